/**
 * The API's request and response shapes as TypeBox (JSON Schema) values: Fastify reads them for the
 * OpenAPI document, and the notification handler checks each item with them. They cover shape only (types,
 * known fields, the batch cap); APNs' rules (hex tokens, payload sizes, push types...) stay in
 * `@pushfleet/queue`'s `validateNotification`, so the SDK and the API refuse the same things in the same words.
 */
import Type, { type TSchema } from 'typebox';

/** The fields every notification may carry (one, each of a batch, and a fan-out's shared ones). */
const notificationFields = {
  topic: Type.String({ description: '`apns-topic`: the bundle id, plus the suffix its push type needs' }),
  payload: Type.Union([Type.Object({}, { additionalProperties: true }), Type.String()], {
    description: 'The JSON payload (an object with an `aps` dictionary), or that object serialized',
  }),
  pushType: Type.Optional(
    Type.String({ description: '`apns-push-type`: alert, background, voip, ... (default from the payload)' }),
  ),
  priority: Type.Optional(Type.Integer({ description: '`apns-priority`: 10, 5 or 1' })),
  expiration: Type.Optional(
    Type.Integer({ description: '`apns-expiration`, UNIX seconds; 0 = now or never' }),
  ),
  collapseId: Type.Optional(Type.String({ description: '`apns-collapse-id`, at most 64 bytes' })),
  app: Type.Optional(
    Type.String({ description: 'The app to send with (default: the app owning the topic)' }),
  ),
  sendAt: Type.Optional(Type.Integer({ description: 'Send no sooner than this, ms since the epoch' })),
  delay: Type.Optional(Type.Integer({ description: 'Send no sooner than this many ms from now' })),
};

export const NotificationSchema = Type.Object(
  {
    token: Type.String({ description: 'Device token, hex' }),
    ...notificationFields,
    apnsId: Type.Optional(Type.String({ description: '`apns-id`, a UUID (makes the enqueue idempotent)' })),
  },
  { additionalProperties: false, $id: 'Notification', title: 'One notification' },
);

export function batchSchema(maxItems: number) {
  return Type.Object(
    { notifications: Type.Array(Type.Unknown(), { minItems: 1, maxItems }) },
    { additionalProperties: false, title: 'A batch of notifications' },
  );
}

/** One payload to many tokens: expands to one notification per token (each its own id). */
export function fanOutSchema(maxItems: number) {
  return Type.Object(
    {
      tokens: Type.Array(Type.String(), { minItems: 1, maxItems, description: 'Device tokens, hex' }),
      ...notificationFields,
    },
    { additionalProperties: false, title: 'One payload fanned out to many tokens' },
  );
}

/** The body of POST /v1/notifications, for the document (the handler tells the three apart by their keys). */
export function sendBodySchema(maxItems: number) {
  return Type.Union([
    Type.Ref('Notification'),
    Type.Object(
      { notifications: Type.Array(Type.Ref('Notification'), { minItems: 1, maxItems }) },
      { additionalProperties: false, title: 'A batch of notifications' },
    ),
    fanOutSchema(maxItems),
  ]);
}

export const ProblemSchema = Type.Object(
  {
    index: Type.Optional(
      Type.Integer({ description: 'Which notification of a batch, or which token of a fan-out' }),
    ),
    field: Type.String({ description: 'The field, inside that notification when there is an index' }),
    problem: Type.String(),
  },
  { $id: 'Problem' },
);

export const ErrorSchema = Type.Object(
  {
    error: Type.Object({ field: Type.String(), problem: Type.String() }),
    errors: Type.Optional(Type.Array(Type.Ref('Problem'), { description: 'Every problem, in input order' })),
    enqueued: Type.Optional(
      Type.Array(Type.String(), { description: 'On 503 after a partial enqueue: the ids that are queued' }),
    ),
  },
  { $id: 'Error', additionalProperties: false },
);

export const EnqueuedSchema = Type.Object({
  ids: Type.Array(Type.String(), { description: 'Notification ids (apns-id), in input order' }),
  jobIds: Type.Array(Type.String()),
});

/** The schemas every route may `$ref`; added to Fastify once. */
export const SHARED_SCHEMAS: readonly TSchema[] = [NotificationSchema, ProblemSchema, ErrorSchema];

/** `{ 400: Error, 401: Error, ... }` for a route's responses. */
export function errorResponses(...codes: number[]): Record<number, TSchema> {
  return Object.fromEntries(codes.map((c) => [c, Type.Ref('Error')]));
}

export const LooseObject = Type.Object({}, { additionalProperties: true });
