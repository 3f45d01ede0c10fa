/**
 * From an app's configuration (where its endpoint is, where its secrets are) to what a client needs to
 * connect: URL, trust, and loaded, checked credentials. Used by the worker at start-up and by
 * `pushfleet doctor`.
 *
 * Every failure is a CredentialsError whose message starts with the app's name and names the file or
 * environment variable at fault; secret values never appear in one.
 */
import { readFileSync } from 'node:fs';
import {
  APNS_HOSTS,
  APNS_PORT,
  FEEDBACK_HOSTS,
  FEEDBACK_SERVICE_PORT,
  LEGACY_GATEWAY_HOSTS,
  LEGACY_GATEWAY_PORT,
} from '@pushfleet/apns';
import {
  type ApnsEnvironment,
  type CertificateInfo,
  CredentialsError,
  checkCertificateCredentials,
  detectCredentialFormat,
  isPem,
  loadP12,
  loadPemCredentials,
  loadSigningKey,
} from '@pushfleet/credentials';
import type {
  AppConfig,
  DeadLetterConfig,
  RetryConfig,
  SecretSource,
  Transport,
  WebhookConfig,
} from './app-config.js';
import type { EnvironmentVariables } from './env-config.js';
import type { SimulatorEndpoint } from './simulator-endpoint.js';

/** An app's credentials, loaded and checked: a .p8 signing key, or a certificate with its private key. */
export type ResolvedAuth =
  | { readonly kind: 'token'; readonly keyPem: string; readonly keyId: string; readonly teamId: string }
  | {
      readonly kind: 'certificate';
      readonly certPem: string;
      readonly keyPem: string;
      readonly certificate: CertificateInfo;
    };

/** An `AppConfig` resolved: the endpoint it sends to, the CA it trusts, its loaded credentials. */
export interface ResolvedApp {
  readonly name: string;
  readonly topics: readonly string[];
  readonly transport: Transport;
  /** `https://host:port` (HTTP/2) or `tls://host:port` (legacy gateway). */
  readonly url: string;
  /** Legacy transport only: the feedback service, `tls://host:port`. */
  readonly feedbackUrl?: string | undefined;
  /** Which APNs environment the endpoint is (the simulator counts as sandbox/development). */
  readonly apnsEnvironment: ApnsEnvironment;
  /** Extra CA PEM to trust. */
  readonly ca?: string | undefined;
  readonly auth: ResolvedAuth;
  /** The app's overrides of the fleet's retry policy, as configured. */
  readonly retry?: RetryConfig | undefined;
  readonly deadLetters?: DeadLetterConfig | undefined;
  /** The dead-token webhook, its secret read from the environment. */
  readonly webhook?: ResolvedWebhook | undefined;
}

export interface ResolvedWebhook {
  readonly url: string;
  /** The HMAC-SHA256 key (never logged). */
  readonly secret: string;
  readonly batchSize: number;
}

function readSecret(
  app: string,
  what: string,
  source: SecretSource,
  env: EnvironmentVariables,
): { bytes: Buffer; origin: string } {
  if ('file' in source) {
    try {
      return { bytes: readFileSync(source.file), origin: source.file };
    } catch (err) {
      throw new CredentialsError(
        app,
        `cannot read ${what} ${source.file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
  const value = env[source.env];
  if (value === undefined || value === '')
    throw new CredentialsError(app, `environment variable ${source.env} (${what}) is not set`);
  const bytes = isPem(value) ? Buffer.from(value, 'utf8') : Buffer.from(value, 'base64');
  return { bytes, origin: `$${source.env}` };
}

interface Endpoint {
  url: string;
  feedbackUrl?: string;
  apnsEnvironment: ApnsEnvironment;
  caFile?: string;
}

function endpoint(app: AppConfig, simulator: SimulatorEndpoint): Endpoint {
  const legacy = app.transport === 'legacy';
  switch (app.environment) {
    case 'production':
    case 'sandbox':
      return legacy
        ? {
            url: `tls://${LEGACY_GATEWAY_HOSTS[app.environment]}:${LEGACY_GATEWAY_PORT}`,
            feedbackUrl: `tls://${FEEDBACK_HOSTS[app.environment]}:${FEEDBACK_SERVICE_PORT}`,
            apnsEnvironment: app.environment,
          }
        : { url: `https://${APNS_HOSTS[app.environment]}:${APNS_PORT}`, apnsEnvironment: app.environment };
    case 'simulator': {
      const url = legacy ? simulator.legacyUrl : simulator.url;
      if (!url)
        throw new CredentialsError(app.name, `no simulator endpoint is known for transport ${app.transport}`);
      return {
        url,
        ...(legacy && simulator.feedbackUrl ? { feedbackUrl: simulator.feedbackUrl } : {}),
        apnsEnvironment: 'sandbox',
        ...(simulator.caFile ? { caFile: simulator.caFile } : {}),
      };
    }
    default:
      if (!app.url) throw new CredentialsError(app.name, 'environment is a URL but no url was given');
      // A legacy gateway's feedback service sits on the same host, port 2196 (as Apple's did).
      return {
        url: app.url,
        ...(legacy ? { feedbackUrl: `tls://${new URL(app.url).hostname}:${FEEDBACK_SERVICE_PORT}` } : {}),
        apnsEnvironment: 'sandbox',
      };
  }
}

export interface ResolveAppOptions {
  /** The variables `{ "env": NAME }` sources and `passphraseEnv` name (an app passes `process.env`). */
  readonly env: EnvironmentVariables;
  /** Where `environment: "simulator"` points; an app naming the simulator fails without it. */
  readonly simulator?: SimulatorEndpoint | undefined;
  /** The time certificates are checked at. @defaultValue now */
  readonly now?: Date | undefined;
}

/** Load and check an app's credentials. @throws CredentialsError naming the app and the file or variable. */
export function resolveApp(app: AppConfig, options: ResolveAppOptions): ResolvedApp {
  const { env } = options;
  const target = endpoint(app, options.simulator ?? {});
  const caFile = app.caFile ?? target.caFile;
  let ca: string | undefined;
  if (caFile) {
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch (err) {
      throw new CredentialsError(
        app.name,
        `cannot read CA file ${caFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
  let auth: ResolvedAuth;
  const c = app.credentials;
  if (c.type === 'token') {
    if (app.transport === 'legacy')
      throw new CredentialsError(app.name, 'the legacy binary gateway needs a certificate, not a token');
    const { bytes, origin } = readSecret(app.name, 'the .p8 key', c.key, env);
    loadSigningKey(bytes, origin); // throws naming the origin when it is not an EC P-256 PKCS#8 key
    auth = { kind: 'token', keyPem: bytes.toString('utf8'), keyId: c.keyId, teamId: c.teamId };
  } else {
    const passphrase = c.passphraseEnv ? env[c.passphraseEnv] : undefined;
    if (c.passphraseEnv && passphrase === undefined) {
      throw new CredentialsError(
        app.name,
        `environment variable ${c.passphraseEnv} (the pass phrase) is not set`,
      );
    }
    const cert = readSecret(app.name, 'the certificate', c.certificate, env);
    const key = c.key ? readSecret(app.name, 'the private key', c.key, env) : undefined;
    const format = detectCredentialFormat(cert.bytes);
    if (format === 'unknown' || format === 'pem-key') {
      throw new CredentialsError(app.name, `${cert.origin} is not a certificate or .p12`);
    }
    const loaded =
      format === 'p12'
        ? loadP12(cert.bytes, passphrase, cert.origin)
        : loadPemCredentials(cert.bytes, key?.bytes, passphrase, cert.origin, key?.origin);
    checkCertificateCredentials(loaded.certificate, {
      environment: target.apnsEnvironment,
      topics: app.topics,
      ...(options.now ? { now: options.now } : {}),
    });
    auth = {
      kind: 'certificate',
      certPem: loaded.certPem,
      keyPem: loaded.keyPem,
      certificate: loaded.certificate,
    };
  }
  return {
    name: app.name,
    topics: app.topics,
    transport: app.transport,
    url: target.url,
    ...(target.feedbackUrl ? { feedbackUrl: target.feedbackUrl } : {}),
    apnsEnvironment: target.apnsEnvironment,
    ...(ca ? { ca } : {}),
    auth,
    ...(app.retry ? { retry: app.retry } : {}),
    ...(app.deadLetters ? { deadLetters: app.deadLetters } : {}),
    ...(app.webhook ? { webhook: resolveWebhook(app.name, app.webhook, env) } : {}),
  };
}

function resolveWebhook(app: string, webhook: WebhookConfig, env: EnvironmentVariables): ResolvedWebhook {
  const secret = env[webhook.secretEnv];
  if (secret === undefined || secret.length < 16)
    throw new CredentialsError(
      app,
      `environment variable ${webhook.secretEnv} (the webhook secret) is ${secret === undefined ? 'not set' : 'shorter than 16 characters'}`,
    );
  return { url: webhook.url, secret, batchSize: webhook.batchSize ?? 100 };
}
