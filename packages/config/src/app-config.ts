/**
 * What the configuration says about an app, before anything is loaded: its name and topics, where it sends,
 * and where its secrets are. The config file and the APNS_* variables both produce an `AppConfig`;
 * `resolveApp` turns one into a `ResolvedApp`.
 */
import type { ApiKeyConfig } from './api-keys.js';

export const TRANSPORTS = ['http2', 'legacy'] as const;
export type Transport = (typeof TRANSPORTS)[number];

/** The endpoints an app may name instead of a URL: Apple's two, or the bundled simulator. */
export const APP_ENVIRONMENTS = ['production', 'sandbox', 'simulator'] as const;
export type AppEnvironment = (typeof APP_ENVIRONMENTS)[number];

/** Where a secret is: a file, or an environment variable holding it (PEM text, or base64 of a .p12). */
export type SecretSource = { readonly file: string } | { readonly env: string };

export interface TokenCredentialsConfig {
  readonly type: 'token';
  /** The .p8 signing key. */
  readonly key: SecretSource;
  readonly keyId: string;
  readonly teamId: string;
}

export interface CertificateCredentialsConfig {
  readonly type: 'certificate';
  /** A .p12/.pfx, or a PEM/DER certificate (with `key` when it does not hold the key). */
  readonly certificate: SecretSource;
  readonly key?: SecretSource | undefined;
  /** Environment variable holding the .p12 / key pass phrase. */
  readonly passphraseEnv?: string | undefined;
}

export type CredentialsConfig = TokenCredentialsConfig | CertificateCredentialsConfig;

export interface AppConfig {
  readonly name: string;
  /** Every apns-topic this app sends to; a notification is routed to the app owning its topic. */
  readonly topics: readonly string[];
  /** @defaultValue 'http2' */
  readonly transport: Transport;
  /** A named endpoint, or `url` when `url` holds an explicit one. */
  readonly environment: AppEnvironment | 'url';
  /** `https://host:port` (HTTP/2) or `tls://host:port` (legacy), when environment is `url`. */
  readonly url?: string | undefined;
  /** Extra CA (PEM file) to trust, e.g. the simulator's. */
  readonly caFile?: string | undefined;
  readonly credentials: CredentialsConfig;
  /** Overrides of the fleet's retry policy for this app (see the README's delivery section). */
  readonly retry?: RetryConfig | undefined;
  /** Bounds of this app's dead-letter list. */
  readonly deadLetters?: DeadLetterConfig | undefined;
  /** Where newly recorded dead tokens are POSTed, signed (see the README's dead-token webhook). */
  readonly webhook?: WebhookConfig | undefined;
}

/** An app's dead-token webhook: the receiver's URL and the variable holding the signing secret. */
export interface WebhookConfig {
  /** `http://` or `https://` URL the batches are POSTed to. */
  readonly url: string;
  /** Environment variable holding the HMAC-SHA256 secret (the secret is never in the file). */
  readonly secretEnv: string;
  /** Dead tokens per POST at most. @defaultValue 100 */
  readonly batchSize?: number | undefined;
}

/** How long and how often an app's notifications are retried; every field optional, in milliseconds. */
export interface RetryConfig {
  /** Retry a notification without apns-expiration this long after it was enqueued (default 24 h). */
  readonly maxAgeMs?: number;
  /** Retry a notification with apns-expiration 0 this long (default 60 s). */
  readonly noStoreHorizonMs?: number;
  /** The first backoff's ceiling; it doubles per try (default 1 s). */
  readonly baseDelayMs?: number;
  /** The longest backoff (default 5 min). */
  readonly maxDelayMs?: number;
  /** The shortest backoff (default 250 ms). */
  readonly floorMs?: number;
}

export const RETRY_CONFIG_FIELDS = [
  'maxAgeMs',
  'noStoreHorizonMs',
  'baseDelayMs',
  'maxDelayMs',
  'floorMs',
] as const;

export interface DeadLetterConfig {
  /** Entries kept; the oldest go first (default 100,000). */
  readonly maxEntries?: number;
  /** Entries older than this are dropped (default 14 days). */
  readonly maxAgeMs?: number;
}

/** The config file's contents: every app the fleet serves, and the API keys that may reach them. */
export interface FleetConfig {
  readonly apps: readonly AppConfig[];
  /** Keys of the HTTP API and the queue board (hashes only). @defaultValue none (see PUSHFLEET_API_KEYS) */
  readonly apiKeys?: readonly ApiKeyConfig[] | undefined;
}
