/**
 * Topic -> app routing for producers: each notification goes to the app owning its topic. Built from the
 * apps of the fleet config (`@pushfleet/config`), or any list of names and topics.
 */

export interface AppRoutes {
  readonly apps: readonly string[];
  appFor(topic: string): string | undefined;
}

export function routesFor(apps: ReadonlyArray<{ name: string; topics: readonly string[] }>): AppRoutes {
  const byTopic = new Map<string, string>();
  for (const a of apps) for (const t of a.topics) byTopic.set(t, a.name);
  return { apps: apps.map((a) => a.name), appFor: (topic) => byTopic.get(topic) };
}
