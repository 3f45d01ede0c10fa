export { runStart, type StartOptions } from './start.js';
