export * from './grafana/dashboard.js';
export * from './grafana/panels.js';
