/**
 * From an app's configuration (where its endpoint is, where its secrets are) to what a client needs to
 * connect: URL, trust, and loaded, checked credentials. Used by the worker at start-up and by
 * `pushfleet doctor`. The shape of `AppSpec` is what `@pushfleet/queue`'s config parser produces; it is
 * declared here structurally so that this package imports none of ours.
 *
 * Every failure is a CredentialsError whose message starts with the app's name and names the file or
 * environment variable at fault; secret values never appear in one.
 */
import { readFileSync } from 'node:fs';
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
import {
  FEEDBACK_HOSTS,
  FEEDBACK_SERVICE_PORT,
  LEGACY_GATEWAY_HOSTS,
  LEGACY_GATEWAY_PORT,
} from '../legacy-hosts.js';
import { APNS_HOSTS, APNS_PORT } from '../types.js';

/** Where a secret is: a file, or an environment variable holding it (PEM text, or base64 of a .p12). */
export type SecretSource = { readonly file: string } | { readonly env: string };

export interface AppSpec {
  readonly name: string;
  readonly topics: readonly string[];
  readonly transport: 'http2' | 'legacy';
  readonly environment: 'production' | 'sandbox' | 'simulator' | 'url';
  readonly url?: string | undefined;
  readonly caFile?: string | undefined;
  readonly credentials:
    | { readonly type: 'token'; readonly key: SecretSource; readonly keyId: string; readonly teamId: string }
    | {
        readonly type: 'certificate';
        readonly certificate: SecretSource;
        readonly key?: SecretSource | undefined;
        readonly passphraseEnv?: string | undefined;
      };
}

export type ResolvedAuth =
  | { readonly kind: 'token'; readonly keyPem: string; readonly keyId: string; readonly teamId: string }
  | {
      readonly kind: 'certificate';
      readonly certPem: string;
      readonly keyPem: string;
      readonly certificate: CertificateInfo;
    };

export interface ResolvedApp {
  readonly name: string;
  readonly topics: readonly string[];
  readonly transport: 'http2' | 'legacy';
  /** `https://host:port` (HTTP/2) or `tls://host:port` (legacy gateway). */
  readonly url: string;
  /** Legacy transport only: the feedback service, `tls://host:port` (A.8). */
  readonly feedbackUrl?: string | undefined;
  /** Which APNs environment the endpoint is (the simulator counts as sandbox/development). */
  readonly apnsEnvironment: ApnsEnvironment;
  /** Extra CA PEM to trust. */
  readonly ca?: string | undefined;
  readonly auth: ResolvedAuth;
}

/** Where `environment: "simulator"` points: what `pushfleet simulator` listens on by default. */
export interface SimulatorEndpoint {
  readonly url: string;
  readonly legacyUrl?: string | undefined;
  readonly feedbackUrl?: string | undefined;
  readonly caFile?: string | undefined;
}

export const DEFAULT_SIMULATOR_ENDPOINT: SimulatorEndpoint = {
  url: 'https://127.0.0.1:2197',
  legacyUrl: 'tls://127.0.0.1:2195',
  feedbackUrl: 'tls://127.0.0.1:2196',
  caFile: '.data/simulator/ca.pem',
};

type Env = Readonly<Record<string, string | undefined>>;

function readSecret(
  app: string,
  what: string,
  source: SecretSource,
  env: Env,
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

function endpoint(spec: AppSpec, simulator: SimulatorEndpoint): Endpoint {
  const legacy = spec.transport === 'legacy';
  switch (spec.environment) {
    case 'production':
    case 'sandbox':
      return legacy
        ? {
            url: `tls://${LEGACY_GATEWAY_HOSTS[spec.environment]}:${LEGACY_GATEWAY_PORT}`,
            feedbackUrl: `tls://${FEEDBACK_HOSTS[spec.environment]}:${FEEDBACK_SERVICE_PORT}`,
            apnsEnvironment: spec.environment,
          }
        : { url: `https://${APNS_HOSTS[spec.environment]}:${APNS_PORT}`, apnsEnvironment: spec.environment };
    case 'simulator': {
      const url = legacy ? simulator.legacyUrl : simulator.url;
      if (!url)
        throw new CredentialsError(
          spec.name,
          `no simulator endpoint is known for transport ${spec.transport}`,
        );
      return {
        url,
        ...(legacy && simulator.feedbackUrl ? { feedbackUrl: simulator.feedbackUrl } : {}),
        apnsEnvironment: 'sandbox',
        ...(simulator.caFile ? { caFile: simulator.caFile } : {}),
      };
    }
    default:
      if (!spec.url) throw new CredentialsError(spec.name, 'environment is a URL but no url was given');
      // A legacy gateway's feedback service sits on the same host, port 2196 (as Apple's did).
      return {
        url: spec.url,
        ...(legacy ? { feedbackUrl: `tls://${new URL(spec.url).hostname}:${FEEDBACK_SERVICE_PORT}` } : {}),
        apnsEnvironment: 'sandbox',
      };
  }
}

/** Load and check an app's credentials. @throws CredentialsError naming the app and the file or variable. */
export function resolveApp(
  spec: AppSpec,
  options: { env?: Env; simulator?: SimulatorEndpoint; now?: Date } = {},
): ResolvedApp {
  const env = options.env ?? process.env;
  const target = endpoint(spec, options.simulator ?? DEFAULT_SIMULATOR_ENDPOINT);
  const caFile = spec.caFile ?? target.caFile;
  let ca: string | undefined;
  if (caFile) {
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch (err) {
      throw new CredentialsError(
        spec.name,
        `cannot read CA file ${caFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
  let auth: ResolvedAuth;
  const c = spec.credentials;
  if (c.type === 'token') {
    if (spec.transport === 'legacy')
      throw new CredentialsError(spec.name, 'the legacy binary gateway needs a certificate, not a token');
    const { bytes, origin } = readSecret(spec.name, 'the .p8 key', c.key, env);
    loadSigningKey(bytes, origin); // throws naming the origin when it is not an EC P-256 PKCS#8 key
    auth = { kind: 'token', keyPem: bytes.toString('utf8'), keyId: c.keyId, teamId: c.teamId };
  } else {
    const passphrase = c.passphraseEnv ? env[c.passphraseEnv] : undefined;
    if (c.passphraseEnv && passphrase === undefined) {
      throw new CredentialsError(
        spec.name,
        `environment variable ${c.passphraseEnv} (the pass phrase) is not set`,
      );
    }
    const cert = readSecret(spec.name, 'the certificate', c.certificate, env);
    const key = c.key ? readSecret(spec.name, 'the private key', c.key, env) : undefined;
    const format = detectCredentialFormat(cert.bytes);
    if (format === 'unknown' || format === 'pem-key') {
      throw new CredentialsError(spec.name, `${cert.origin} is not a certificate or .p12`);
    }
    const loaded =
      format === 'p12'
        ? loadP12(cert.bytes, passphrase, cert.origin)
        : loadPemCredentials(cert.bytes, key?.bytes, passphrase, cert.origin, key?.origin);
    checkCertificateCredentials(loaded.certificate, {
      environment: target.apnsEnvironment,
      topics: spec.topics,
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
    name: spec.name,
    topics: spec.topics,
    transport: spec.transport,
    url: target.url,
    ...(target.feedbackUrl ? { feedbackUrl: target.feedbackUrl } : {}),
    apnsEnvironment: target.apnsEnvironment,
    ...(ca ? { ca } : {}),
    auth,
  };
}
