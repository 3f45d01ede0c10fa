/**
 * The legacy half of `startSimulator`: the binary gateway and the feedback service on their own TLS ports,
 * sharing the simulator's TLS identity, environment, device registry and clock. Either is off when its
 * port option is `null` (the default, so existing users see no change).
 */
import type { CertificateEnvironment } from '../certs/apple-oids.js';
import type { DeviceRegistry } from '../server/device-registry.js';
import type { GatewayTls } from './gateway-tls.js';
import { type FeedbackService, startFeedbackService } from './start-feedback-service.js';
import { type LegacyGateway, startLegacyGateway } from './start-legacy-gateway.js';

export interface LegacyServicesOptions {
  readonly host: string;
  /** 0 = a free port, null/undefined = off. */
  readonly legacyPort: number | null | undefined;
  readonly feedbackPort: number | null | undefined;
  readonly environment: CertificateEnvironment;
  readonly tls: GatewayTls;
  readonly clientCa: readonly string[] | undefined;
  readonly devices: DeviceRegistry;
  readonly now: () => number;
}

export interface LegacyServices {
  readonly legacy: LegacyGateway | undefined;
  readonly feedback: FeedbackService | undefined;
  close(): Promise<void>;
}

export async function startLegacyServices(options: LegacyServicesOptions): Promise<LegacyServices> {
  const shared = {
    host: options.host,
    environment: options.environment,
    tls: options.tls,
    clientCa: options.clientCa,
    devices: options.devices,
  };
  let legacy: LegacyGateway | undefined;
  let feedback: FeedbackService | undefined;
  const close = async () => {
    await Promise.all([legacy?.close(), feedback?.close()]);
  };
  try {
    if (options.legacyPort != null) {
      legacy = await startLegacyGateway({ ...shared, port: options.legacyPort, now: options.now });
    }
    if (options.feedbackPort != null) {
      feedback = await startFeedbackService({ ...shared, port: options.feedbackPort });
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { legacy, feedback, close };
}
