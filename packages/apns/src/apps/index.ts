export * from './resolve-app.js';
