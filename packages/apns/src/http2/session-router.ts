import type { ClientConnection } from '@pushfleet/h2';
import type { PoolRetireReason } from './close-reasons.js';
import type { PoolRequest } from './pool-request.js';
import { WaitingRequests } from './waiting-requests.js';

/** A pool's HTTP/2 connection: streams are PoolRequests; the pool may retire it for an expired token. */
export type PoolSession = ClientConnection<PoolRequest, PoolRetireReason>;

/**
 * Which session carries each request: the accepting, connected one with the most free stream slots; when every
 * session is at the server's current stream limit the request waits in one pool-wide FIFO (so a session whose
 * limit APNs dropped to 1 stalls nothing), and goes out as soon as any session has a free slot.
 */
export class SessionRouter {
  /** Live sessions: connecting, open and draining. */
  readonly sessions: PoolSession[] = [];
  readonly waiting = new WaitingRequests();
  readonly #write: (session: PoolSession, pending: PoolRequest) => void;

  /** @param write opens a stream for `pending` on `session` (which has a free slot). */
  constructor(write: (session: PoolSession, pending: PoolRequest) => void) {
    this.#write = write;
  }

  /** Write `pending` now if nothing waits ahead of it and a slot is free; else queue it. False: it waits. */
  dispatch(pending: PoolRequest): boolean {
    if (this.waiting.size === 0) {
      const session = this.leastLoaded();
      if (session !== undefined) {
        this.#write(session, pending);
        return true;
      }
    }
    this.waiting.push(pending);
    return false;
  }

  /** Slots may have opened on `session`: write waiting requests there first, then wherever a slot is free. */
  pump(session: PoolSession): void {
    while (this.waiting.size > 0) {
      const target = session.free > 0 ? session : this.leastLoaded();
      if (target === undefined) return;
      const pending = this.waiting.shift();
      if (pending === undefined) return;
      this.#write(target, pending);
    }
  }

  /** The accepting, connected session with the most free stream slots. */
  leastLoaded(): PoolSession | undefined {
    let best: PoolSession | undefined;
    let bestFree = 0;
    for (const s of this.sessions) {
      const free = s.free;
      if (free > bestFree) {
        best = s;
        bestFree = free;
      }
    }
    return best;
  }

  /**
   * Sessions to open now: up to `minSessions` that take streams, and one more (up to `maxSessions`) when every
   * open one is at its stream limit and none is connecting. Full, not only queued: a sender that keeps its
   * in-flight count at the pool's capacity never makes a request wait, yet its load asks for more capacity.
   */
  sessionsToOpen(minSessions: number, maxSessions: number): number {
    let accepting = 0;
    let connecting = 0;
    let free = 0;
    for (const s of this.sessions) {
      if (!s.accepting) continue;
      accepting++;
      // A session without the server's SETTINGS yet has an unknown limit, not a full one: counted as connecting,
      // or a close or a send in that moment opened a spare connection (CI, Node 24 under load).
      if (!s.connected || !s.settingsReceived) connecting++;
      else free += s.free;
    }
    if (accepting < minSessions) return minSessions - accepting;
    return connecting === 0 && accepting < maxSessions && free === 0 ? 1 : 0;
  }

  /** Some connected, accepting session has not had the server's first SETTINGS: its stream limit is unknown. */
  get awaitingSettings(): boolean {
    return this.sessions.some((s) => s.accepting && s.connected && !s.settingsReceived);
  }

  /** Every connected, accepting session is at its stream limit (or none is connected). */
  get full(): boolean {
    return this.leastLoaded() === undefined;
  }

  /** Some session is connected and takes streams. */
  get anyReady(): boolean {
    return this.sessions.some((s) => s.connected && s.accepting);
  }

  remove(session: PoolSession): void {
    const i = this.sessions.indexOf(session);
    if (i >= 0) this.sessions.splice(i, 1);
  }
}
