/**
 * From the body of POST /v1/notifications to the notifications to enqueue, finding every problem first:
 * shape problems from the schemas (unknown fields, wrong types, the batch cap), then the queue's own rules
 * (`producer.checkMany`) for each notification whose shape is right, then the key's apps. Any problem: an
 * HttpError listing all of them, and nothing is enqueued.
 */
import { type ApiKeyConfig, keyAllowsApp } from '@pushfleet/config';
import type { NotificationInput, Producer } from '@pushfleet/queue';
import { HttpError, type Problem } from '../http-error.js';
import { batchSchema, fanOutSchema, NotificationSchema } from '../schemas.js';
import { type FieldProblem, shapeChecker } from '../shape-problems.js';

export type SendKind = 'one' | 'batch' | 'fan-out';

export interface SendPlan {
  readonly kind: SendKind;
  readonly notifications: NotificationInput[];
  /** The app of each notification. */
  readonly apps: readonly string[];
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A token that passes every token rule, to check a fan-out's shared fields once. */
const PROBE_TOKEN = '00'.repeat(32);

/** Where a problem's field sits in the request body. */
function pathOf(kind: SendKind, p: Problem): string {
  if (p.index === undefined) return p.field;
  if (kind === 'batch') return `notifications[${p.index}].${p.field}`;
  if (kind === 'fan-out') return p.field === 'token' ? `tokens[${p.index}]` : p.field;
  return p.field;
}

function refuse(status: number, kind: SendKind, problems: readonly Problem[]): never {
  const first = problems[0]!;
  throw new HttpError(status, pathOf(kind, first), first.problem, problems);
}

export function createSendPlanner(maxBatch: number) {
  const one = shapeChecker(NotificationSchema);
  const batch = shapeChecker(batchSchema(maxBatch));
  const fanOut = shapeChecker(fanOutSchema(maxBatch));

  return function plan(body: unknown, producer: Producer, key: ApiKeyConfig): SendPlan {
    if (!isObject(body))
      throw new HttpError(
        400,
        'body',
        'must be a JSON object (one notification, { notifications }, or { tokens, ... })',
      );
    const kind: SendKind = 'notifications' in body ? 'batch' : 'tokens' in body ? 'fan-out' : 'one';
    let notifications: unknown[];
    const problems: Problem[] = [];
    const shapeBad = new Set<number>();

    if (kind === 'one') {
      problems.push(...one.problems(body));
      notifications = [body];
      if (problems.length > 0) refuse(400, kind, problems);
    } else if (kind === 'batch') {
      const envelope = batch.problems(body);
      if (envelope.length > 0) refuse(400, kind, envelope);
      notifications = body.notifications as unknown[];
      notifications.forEach((n, index) => {
        const found = one.problems(n).map((p: FieldProblem) => ({ index, ...p }));
        if (found.length > 0) shapeBad.add(index);
        problems.push(...found);
      });
    } else {
      const shape = fanOut.problems(body);
      if (shape.length > 0) refuse(400, kind, shape);
      const { tokens, ...shared } = body as { tokens: string[] } & Record<string, unknown>;
      // The shared fields once (not once per token), then each token.
      const sharedProblems = producer.checkMany([{ ...shared, token: PROBE_TOKEN }]).problems;
      if (sharedProblems.length > 0)
        refuse(
          400,
          kind,
          sharedProblems.map(({ field, problem }) => ({ field, problem })),
        );
      notifications = tokens.map((token) => ({ ...shared, token }));
    }

    const check = producer.checkMany(notifications);
    for (const p of check.problems) if (!shapeBad.has(p.index)) problems.push(p);
    if (problems.length > 0) {
      problems.sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
      refuse(
        400,
        kind,
        kind === 'one' ? problems.map(({ field, problem }) => ({ field, problem })) : problems,
      );
    }

    const apps = check.apps as string[];
    const forbidden: Problem[] = [];
    apps.forEach((app, index) => {
      if (keyAllowsApp(key, app)) return;
      const field = (notifications[index] as { app?: unknown }).app !== undefined ? 'app' : 'topic';
      forbidden.push({
        ...(kind === 'one' ? {} : { index }),
        field,
        problem: `belongs to app "${app}", which API key "${key.id}" may not use (its apps: ${key.apps.join(', ')})`,
      });
    });
    if (forbidden.length > 0) refuse(403, kind, forbidden);
    return { kind, notifications: notifications as NotificationInput[], apps };
  };
}
