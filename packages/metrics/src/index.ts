export { Registry } from 'prom-client';
export * from './api-catalogue.js';
export * from './catalogue.js';
export * from './webhook-catalogue.js';
