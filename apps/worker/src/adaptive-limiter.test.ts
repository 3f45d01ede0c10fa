import { type ApnsRequest, promiseOf, type SendReceiver, type Verdict } from '@pushfleet/apns';
import { describe, expect, it } from 'vitest';
import { AdaptiveLimiter } from './adaptive-limiter.js';

/** A transport that answers after a turn of the event loop, 429 for a share of requests while `throttling`. */
class ThrottlingSender {
  throttling = true;
  inFlight = 0;
  peak = 0;
  #seed = 7;
  #random(): number {
    this.#seed = (this.#seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return this.#seed / 2 ** 31;
  }
  submit(request: ApnsRequest, receiver: SendReceiver): void {
    this.#answer(request).then(
      (v) => receiver.resolve(v),
      (e: Error) => receiver.reject(e),
    );
  }
  async #answer(request: ApnsRequest): Promise<Verdict> {
    this.inFlight++;
    this.peak = Math.max(this.peak, this.inFlight);
    await new Promise((r) => setImmediate(r));
    this.inFlight--;
    const throttled = this.throttling && this.#random() < 0.2;
    return throttled
      ? {
          outcome: 'retry',
          action: 'retry',
          status: 429,
          reason: 'TooManyRequests',
          apnsId: request.apnsId ?? '',
        }
      : { outcome: 'delivered', action: undefined, status: 200, apnsId: request.apnsId ?? '' };
  }
}

const request = (i: number): ApnsRequest => ({
  token: i.toString(16).padStart(64, '0'),
  topic: 'com.example.app',
  pushType: 'alert',
  payload: '{"aps":{}}',
  apnsId: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
});

const send = (limiter: AdaptiveLimiter, r: ApnsRequest) =>
  promiseOf((receiver) => limiter.submit(r, receiver));

async function burst(limiter: AdaptiveLimiter, from: number, count: number): Promise<void> {
  await Promise.all(Array.from({ length: count }, (_, i) => send(limiter, request(from + i))));
}

describe('AdaptiveLimiter', () => {
  it('under 20% 429s the app sends fewer at once, and recovers to the maximum once they stop', async () => {
    const inner = new ThrottlingSender();
    const limits: number[] = [];
    const limiter = new AdaptiveLimiter(inner, {
      max: 64,
      decreaseIntervalMs: 0,
      onLimit: (l) => limits.push(l),
    });
    await burst(limiter, 0, 2_000);
    expect(Math.min(...limits)).toBeLessThanOrEqual(4); // halved again and again while 429s keep coming
    inner.peak = 0;
    await burst(limiter, 2_000, 500);
    expect(inner.peak).toBeLessThan(64); // still throttled: never the full 64 at once

    inner.throttling = false;
    inner.peak = 0;
    for (let round = 0; round < 40 && limiter.limit < 64; round++)
      await burst(limiter, 10_000 + round * 1000, 1000);
    expect(limiter.limit).toBe(64);
    await burst(limiter, 100_000, 500);
    expect(inner.peak).toBe(64);
  });

  it('never exceeds its limit, and queues the rest in arrival order', async () => {
    const order: number[] = [];
    const limiter = new AdaptiveLimiter(
      {
        submit(r, receiver) {
          order.push(Number.parseInt(r.token, 16));
          setImmediate(() =>
            receiver.resolve({ outcome: 'delivered', action: undefined, status: 200, apnsId: '' }),
          );
        },
      },
      { max: 3 },
    );
    const sends = Array.from({ length: 10 }, (_, i) => send(limiter, request(i)));
    expect(limiter.inFlight).toBeLessThanOrEqual(3);
    await Promise.all(sends);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("hands a slot freed inside the transport's callback on only after that callback returned", async () => {
    // A transport tells its receivers from inside its own read handling; a send from there would re-enter it.
    let answering = false;
    const reentered: number[] = [];
    const pending: SendReceiver[] = [];
    const limiter = new AdaptiveLimiter(
      {
        submit(r, receiver) {
          if (answering) reentered.push(Number.parseInt(r.token, 16));
          pending.push(receiver);
        },
      },
      { max: 2 },
    );
    const sends = Array.from({ length: 4 }, (_, i) => send(limiter, request(i)));
    expect(pending).toHaveLength(2);
    answering = true;
    for (const receiver of pending.splice(0))
      receiver.resolve({ outcome: 'delivered', action: undefined, status: 200, apnsId: '' });
    answering = false;
    expect(pending).toHaveLength(0); // not yet: the waiters go out in a microtask
    await Promise.resolve();
    expect(pending).toHaveLength(2);
    for (const receiver of pending.splice(0))
      receiver.resolve({ outcome: 'delivered', action: undefined, status: 200, apnsId: '' });
    await Promise.all(sends);
    expect(reentered).toEqual([]);
  });

  it('sends what waited for a connection as soon as the transport says its capacity grew', async () => {
    let capacity = 0; // not connected: one request goes ahead, to open the connection
    const pending: SendReceiver[] = [];
    const limiter = new AdaptiveLimiter(
      { submit: (_r, receiver) => void pending.push(receiver) },
      { capacity: () => capacity },
    );
    const sends = Array.from({ length: 5 }, (_, i) => send(limiter, request(i)));
    expect(pending).toHaveLength(1);
    capacity = 100; // the connection opened; the first request is still unanswered
    limiter.capacityChanged();
    await Promise.resolve();
    expect(pending).toHaveLength(5);
    for (const receiver of pending)
      receiver.resolve({ outcome: 'delivered', action: undefined, status: 200, apnsId: '' });
    await Promise.all(sends);
  });

  it('a burst of 429s within decreaseIntervalMs halves the limit once', async () => {
    const limiter = new AdaptiveLimiter(
      {
        submit: (_r, receiver) =>
          queueMicrotask(() =>
            receiver.resolve({
              outcome: 'retry',
              action: 'retry',
              status: 429,
              reason: 'TooManyRequests',
              apnsId: '',
            }),
          ),
      },
      { max: 100, decreaseIntervalMs: 60_000 },
    );
    await burst(limiter, 0, 20);
    expect(limiter.limit).toBe(50);
  });
});
