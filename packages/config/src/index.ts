// The public surface of @pushfleet/config: the fleet's configuration, from the file or the environment, and
// each app resolved to its endpoint and loaded credentials.

export {
  ALL_APPS,
  type ApiKeyConfig,
  apiKeysFromEnv,
  generateApiKey,
  hashApiKey,
  keyAllowsApp,
  parseApiKeysVariable,
} from './api-keys.js';
export {
  APP_ENVIRONMENTS,
  type AppConfig,
  type AppEnvironment,
  type CertificateCredentialsConfig,
  type CredentialsConfig,
  type DeadLetterConfig,
  type FleetConfig,
  type RetryConfig,
  type SecretSource,
  type TokenCredentialsConfig,
  TRANSPORTS,
  type Transport,
  type WebhookConfig,
} from './app-config.js';
export {
  appFromEnv,
  appNameFromEnv,
  configuredApps,
  type EnvironmentVariables,
  fleetConfigFromEnv,
  integerFromEnv,
  simulatorEndpointFromEnv,
} from './env-config.js';
export { loadFleetConfig, parseFleetConfig } from './fleet-config.js';
export { redisUrlFromEnv, requiredRedisUrlFromEnv } from './redis-env.js';
export {
  type ResolveAppOptions,
  type ResolvedApp,
  type ResolvedAuth,
  type ResolvedWebhook,
  resolveApp,
} from './resolve-app.js';
export { localSimulatorEndpoint, type SimulatorEndpoint } from './simulator-endpoint.js';
