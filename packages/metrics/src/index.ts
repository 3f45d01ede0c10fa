export { Registry } from 'prom-client';
export * from './catalogue.js';
