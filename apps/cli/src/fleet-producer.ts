/** A producer for the CLI's commands, routed like the API's: the fleet config's apps, or the one app. */
import { appNameFromEnv, fleetConfigFromEnv } from '@pushfleet/config';
import { createProducer, type Producer, routesFor } from '@pushfleet/queue';

export interface FleetProducer {
  readonly producer: Producer;
  /** Every app, in config order. */
  readonly apps: readonly string[];
  /** The first topic of the first app, when the config names topics. */
  readonly defaultTopic: string | undefined;
  /** The topics the config gives an app (none without a fleet config). */
  topicsOf(app: string): readonly string[];
}

export function fleetProducer(redisUrl: string, env: NodeJS.ProcessEnv = process.env): FleetProducer {
  const config = fleetConfigFromEnv(env);
  const producer = createProducer({
    redis: redisUrl,
    ...(config ? { routes: routesFor(config.apps) } : { app: appNameFromEnv(env) }),
  });
  return {
    producer,
    apps: config ? config.apps.map((a) => a.name) : [appNameFromEnv(env)],
    defaultTopic: config?.apps[0]?.topics[0],
    topicsOf: (app) => config?.apps.find((a) => a.name === app)?.topics ?? [],
  };
}
