/**
 * The only place Redis key names are built. Every key of an app shares one hash tag, `{pushfleet:<app>}`,
 * so an app's queue, registry and feedback stream live in one Redis Cluster slot (BullMQ's cluster rule:
 * the hash tag goes in the prefix).
 *
 *   {pushfleet:<app>}:notifications:*      BullMQ's keys for the app's queue (BullMQ builds the suffixes)
 *   {pushfleet:<app>}:tokens:invalid       hash  token -> JSON InvalidTokenRecord (the dead-token registry)
 *   {pushfleet:<app>}:feedback             stream of token-invalid events for the backend
 *   {pushfleet:<app>}:paused               string JSON AppPause: why the app's queue is paused (credentials broken)
 *   {pushfleet:<app>}:dlq                  hash   notification id -> JSON DeadLetter (the dead-letter list)
 *   {pushfleet:<app>}:dlq:order            zset   notification id, scored by when it was dead-lettered
 *   {pushfleet:<app>}:id:<apns-id>         string fingerprint of a caller-chosen id's notification (idempotency)
 *   {pushfleet:<app>}:where:<bucket>       hash   notification id -> job id (notification-status.ts; 10-minute buckets)
 *   {pushfleet:<app>}:final:<bucket>       hash   notification id -> JSON FinalRecord
 *   {pushfleet:<app>}:outcomes             hash   outcome -> count of notifications that ended so
 *   {pushfleet:<app>}:webhook:position     string the last feedback-stream id the dead-token webhook delivered
 *   {pushfleet:<app>}:webhook:lease        string which process delivers the app's webhook now (expires)
 *   {pushfleet:<app>}:broadcasts:*         BullMQ's keys for the app's broadcast and channel-operation jobs
 *   {pushfleet:<app>}:channels             hash   channel id -> JSON ChannelEntry (channel-registry.ts)
 *   {pushfleet:<app>}:dlq:broadcasts       hash   id -> JSON BroadcastDeadLetter (broadcast-dead-letter.ts)
 *   {pushfleet:<app>}:dlq:broadcasts:order zset   id, scored by when it was dead-lettered
 */

/** App names become part of keys and metric labels: keep them short and plain. */
export const APP_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export const QUEUE_NAME = 'notifications';
/** BullMQ queue of an app's broadcasts and channel operations. */
export const BROADCAST_QUEUE_NAME = 'broadcasts';

export function appPrefix(app: string): string {
  return `{pushfleet:${app}}`;
}

export const queueKeys = {
  /** BullMQ `prefix` option for the app's queue. */
  bullPrefix: (app: string) => appPrefix(app),
  queueName: () => QUEUE_NAME,
  invalidTokens: (app: string) => `${appPrefix(app)}:tokens:invalid`,
  feedbackStream: (app: string) => `${appPrefix(app)}:feedback`,
  providerToken: (teamId: string, keyId: string) => `{pushfleet:token:${teamId}:${keyId}}`,
  providerTokenLease: (teamId: string, keyId: string) => `{pushfleet:token:${teamId}:${keyId}}:lease`,
  paused: (app: string) => `${appPrefix(app)}:paused`,
  deadLetters: (app: string) => `${appPrefix(app)}:dlq`,
  deadLetterOrder: (app: string) => `${appPrefix(app)}:dlq:order`,
  idempotency: (app: string, id: string) => `${appPrefix(app)}:id:${id}`,
  notificationJobs: (app: string, bucket: number) => `${appPrefix(app)}:where:${bucket}`,
  finalOutcomes: (app: string, bucket: number) => `${appPrefix(app)}:final:${bucket}`,
  outcomeCounts: (app: string) => `${appPrefix(app)}:outcomes`,
  webhookPosition: (app: string) => `${appPrefix(app)}:webhook:position`,
  webhookLease: (app: string) => `${appPrefix(app)}:webhook:lease`,
  channels: (app: string) => `${appPrefix(app)}:channels`,
  broadcastDeadLetters: (app: string) => `${appPrefix(app)}:dlq:broadcasts`,
  broadcastDeadLetterOrder: (app: string) => `${appPrefix(app)}:dlq:broadcasts:order`,
} as const;

/** Where an app's broadcast queue lives (broadcasts and channel operations): same prefix, its own name. */
export function appBroadcastQueue(app: string): { readonly name: string; readonly prefix: string } {
  return { name: BROADCAST_QUEUE_NAME, prefix: queueKeys.bullPrefix(app) };
}

/** Where an app's BullMQ queue lives (its name and key prefix), for code outside this package that opens a Worker. */
export function appQueue(app: string): { readonly name: string; readonly prefix: string } {
  return { name: QUEUE_NAME, prefix: queueKeys.bullPrefix(app) };
}
