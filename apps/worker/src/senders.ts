/**
 * One sender per app, by transport: the HTTP/2 client (token or certificate auth) or the legacy binary
 * client (certificate auth). Both answer `send(request)` with a Verdict, so everything after the send
 * (job record, retries, registry, metrics) is shared.
 */
import { Http2Client, LegacyClient, loadSigningKey, ProviderToken } from '@pushfleet/apns';
import type { FleetMetrics } from '@pushfleet/metrics';
import type { AppConfig } from './config.js';
import { transportMetricsListener } from './instrumentation.js';
import type { PushSender } from './push-processor.js';

export interface Sender extends PushSender {
  close(): Promise<void>;
  /** Seconds since the provider token in use was issued (token auth only). */
  tokenAgeSeconds?(): number;
}

/** `tls://host:port` -> host and port. */
export function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(u.port) };
}

export function createSender(app: AppConfig, metrics: FleetMetrics): Sender {
  const listener = transportMetricsListener(metrics, app.name, app.transport);
  const ca = app.ca ? { ca: app.ca } : {};
  if (app.auth.kind === 'certificate') {
    const notAfter = Math.floor(app.auth.certificate.notAfter.getTime() / 1000);
    metrics.certificateExpiry.set({ app: app.name }, notAfter);
    if (app.transport === 'legacy') {
      return new LegacyClient({
        ...hostPort(app.url),
        ...ca,
        cert: app.auth.certPem,
        key: app.auth.keyPem,
        listener,
      });
    }
    const auth = { kind: 'certificate' as const, cert: app.auth.certPem, key: app.auth.keyPem };
    return new Http2Client({ url: app.url, ...ca, auth, listener });
  }
  const key = loadSigningKey(app.auth.keyPem, `${app.name} key`);
  const token = new ProviderToken({ key, keyId: app.auth.keyId, teamId: app.auth.teamId });
  const client = new Http2Client({ url: app.url, ...ca, auth: { kind: 'token', token }, listener });
  return Object.assign(client, { tokenAgeSeconds: () => (Date.now() - token.issuedAtMs) / 1000 });
}
