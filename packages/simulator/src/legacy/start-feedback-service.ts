/**
 * `startFeedbackService`: the legacy feedback service (docs/protocol/legacy-binary.md) on a TLS port with
 * client certificates. On each connection, once the certificate passes the environment check (else: closed at
 * once, as the gateway does), it writes the list of the certificate's topic (its UID) and closes:
 *
 *   tuple  time_t seconds (4) | token length (2) | token       (encodeFeedbackTuples)
 *
 * The list is cleared once read (FeedbackList), so a second connection gets only what died since.
 */
import { encodeFeedbackTuples } from '@pushfleet/apns-legacy';
import { DeviceRegistry } from '../server/device-registry.js';
import { FeedbackList } from './feedback-list.js';
import { type LegacyService, type LegacyServiceOptions, startLegacyService } from './legacy-service.js';

export type FeedbackServiceOptions = LegacyServiceOptions;

export interface FeedbackService extends LegacyService {
  /** The per-topic lists (peek without clearing; reset to list everything again). */
  readonly list: FeedbackList;
  /** Connections served (certificate accepted). */
  readonly served: number;
}

export async function startFeedbackService(options: FeedbackServiceOptions = {}): Promise<FeedbackService> {
  const devices = options.devices ?? new DeviceRegistry();
  const list = new FeedbackList(devices);
  let served = 0;
  const { handle } = await startLegacyService({ ...options, devices }, ({ identities }) => {
    return (socket) => {
      socket.on('error', () => {});
      socket.on('data', () => {}); // clients send nothing; ignore whatever comes
      const identity = identities.get(socket.getPeerX509Certificate());
      if (identity.problem !== undefined || identity.uid === undefined) {
        socket.end();
      } else {
        served++;
        socket.end(encodeFeedbackTuples(list.take(identity.uid)));
      }
      setTimeout(() => socket.destroy(), 1000).unref();
    };
  });
  return {
    ...handle,
    list,
    get served() {
      return served;
    },
  };
}
