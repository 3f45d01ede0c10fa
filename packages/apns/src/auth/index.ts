export * from './provider-token.js';
export type { ProviderTokenSource } from './provider-token-source.js';
