/**
 * Misbehaving on purpose, the ways Apple's servers do (429/500/503 answers, GOAWAY, connections that die:
 * docs/protocol/http2-provider-api.md), seeded so a run repeats. Configured at start (`faults` option) and
 * at run time (`sim.faults.set(...)`, `clear()`).
 *
 *   answers      rate429 / rate500 / rate503: the last check before 200 (request-validator.ts); r from the
 *                "status" PRNG:  r < rate429 → 429 TooManyRequests; < +rate500 → 500 InternalServerError;
 *                < +rate503 → 503 ServiceUnavailable
 *   latency      latencyMs + a random extra (uniform 0..latencyJitterMs, or exponential with mean
 *                latencyJitterMs, capped at 10 × the mean) before every answer
 *   resets       resetRate: RST_STREAM INTERNAL_ERROR instead of an answer; disconnectRate: TCP reset of
 *                the whole connection (no GOAWAY), once the request body has arrived
 *   silence      silentDisconnectRate: the whole connection goes silent once the request body has arrived: it
 *                is neither read nor answered again (no RST, no GOAWAY, no PING ACK), as behind a dead NAT
 *                mapping; only the client's request and PING timeouts can find it
 *   GOAWAY       goAwayAfterStreams: when the Nth stream of a connection arrives, GOAWAY with that stream as
 *                last-stream-id (it and the streams before it are answered; later ones are refused);
 *                goAwayEveryMs: each connection gets GOAWAY that long after it opened (or after `set`)
 *   flow control windowSize: SETTINGS_INITIAL_WINDOW_SIZE advertised; readDelayMs: each body chunk is held
 *                that long before the next is read, so WINDOW_UPDATE comes late
 *   accept       refuseConnectionsMs: new TCP connections are reset at accept for that long after `set`
 *   outage       outageMs: the endpoint is down for that long after `set`: every open connection is reset
 *                (TCP RST) at once and new ones are reset at accept until it ends
 *   errors       disconnectAfterErrors: GOAWAY after that many error answers on one connection  [Ours]
 *
 * Each kind draws from its own PRNG stream derived from `seed`, so turning latency on does not change
 * which requests get a 500. A disabled fault costs one boolean test per stream.
 */
import type { Server } from 'node:net';
import type { Reason } from '@pushfleet/apns';
import { createPrng } from './prng.js';

export type LatencyDistribution = 'uniform' | 'exponential';

export interface FaultConfig {
  /** PRNG seed; the same seed and the same request order give the same faults. @defaultValue 1 */
  readonly seed?: number | undefined;
  /** Share of otherwise accepted requests answered 429 TooManyRequests, 0..1. @defaultValue 0 */
  readonly rate429?: number | undefined;
  /** Share answered 500 InternalServerError, 0..1. @defaultValue 0 */
  readonly rate500?: number | undefined;
  /** Share answered 503 ServiceUnavailable, 0..1. @defaultValue 0 */
  readonly rate503?: number | undefined;
  /** Fixed delay before every answer (accepted or rejected), ms. @defaultValue 0 */
  readonly latencyMs?: number | undefined;
  /** Random extra delay: the upper bound (uniform) or the mean (exponential), ms. @defaultValue 0 */
  readonly latencyJitterMs?: number | undefined;
  /** How the extra delay is drawn. @defaultValue `'uniform'` */
  readonly latencyDistribution?: LatencyDistribution | undefined;
  /** Share of streams reset with RST_STREAM INTERNAL_ERROR instead of an answer, 0..1. @defaultValue 0 */
  readonly resetRate?: number | undefined;
  /** Share of streams whose whole connection is reset (TCP RST, no GOAWAY), 0..1. @defaultValue 0 */
  readonly disconnectRate?: number | undefined;
  /** Share of streams whose whole connection goes silent (never read or answered again), 0..1. @defaultValue 0 */
  readonly silentDisconnectRate?: number | undefined;
  /** GOAWAY when the Nth stream of a connection arrives, last-stream-id = that stream; 0 = off. @defaultValue 0 */
  readonly goAwayAfterStreams?: number | undefined;
  /** GOAWAY each connection this long after it opened (or after `set`), ms; 0 = off. @defaultValue 0 */
  readonly goAwayEveryMs?: number | undefined;
  /** Debug-data reason of the GOAWAYs above. @defaultValue `'Shutdown'` */
  readonly goAwayReason?: Reason | undefined;
  /** SETTINGS_INITIAL_WINDOW_SIZE advertised (bytes a client may send per stream before WINDOW_UPDATE). @defaultValue 65_535 */
  readonly windowSize?: number | undefined;
  /** Hold each request body chunk this long before reading on (late WINDOW_UPDATE), ms. @defaultValue 0 */
  readonly readDelayMs?: number | undefined;
  /** Reset new TCP connections at accept for this long from `set` (or start), ms. @defaultValue 0 */
  readonly refuseConnectionsMs?: number | undefined;
  /** The endpoint is down this long from `set` (or start): open connections reset, new ones refused, ms. @defaultValue 0 */
  readonly outageMs?: number | undefined;
  /** [Ours] GOAWAY a connection after this many error answers on it (4xx except 410); 0 = off. @defaultValue 0 */
  readonly disconnectAfterErrors?: number | undefined;
}

/** What the injector did, since start (`clear()` keeps the counts). */
export interface FaultCounters {
  /** Answers replaced by 429/500/503. */
  readonly statuses: number;
  /** Answers delayed by latencyMs/latencyJitterMs. */
  readonly delayed: number;
  /** The sum of those delays, ms (the drawn values, whatever the machine's load does to wall time). */
  readonly delayedMs: number;
  /** Streams reset with RST_STREAM. */
  readonly resets: number;
  /** Connections reset by disconnectRate. */
  readonly disconnects: number;
  /** Connections silenced by silentDisconnectRate. */
  readonly silenced: number;
  /** Open connections reset because an outage began. */
  readonly outageResets: number;
  /** GOAWAYs sent by goAwayAfterStreams, goAwayEveryMs and disconnectAfterErrors. */
  readonly goAways: number;
  /** Streams refused (RST_STREAM REFUSED_STREAM) because they came above a GOAWAY's last-stream-id. */
  readonly refusedStreams: number;
  /** TCP connections reset at accept. */
  readonly refusedConnections: number;
}

/** The HTTP/2 default, and what Apple was seen to advertise. */
export const DEFAULT_WINDOW_SIZE = 65_535;
/** Exponential delays are capped at this many means. */
const EXPONENTIAL_CAP = 10;

type ResolvedFaults = Required<{ [K in keyof FaultConfig]-?: Exclude<FaultConfig[K], undefined> }>;

const NONE: ResolvedFaults = {
  seed: 1,
  rate429: 0,
  rate500: 0,
  rate503: 0,
  latencyMs: 0,
  latencyJitterMs: 0,
  latencyDistribution: 'uniform',
  resetRate: 0,
  disconnectRate: 0,
  silentDisconnectRate: 0,
  goAwayAfterStreams: 0,
  goAwayEveryMs: 0,
  goAwayReason: 'Shutdown',
  windowSize: DEFAULT_WINDOW_SIZE,
  readDelayMs: 0,
  refuseConnectionsMs: 0,
  outageMs: 0,
  disconnectAfterErrors: 0,
};

/** What a connection does with a stream whose body has arrived. @internal */
export type StreamFate = 'answer' | 'reset' | 'disconnect' | 'silence';

/** A connection that follows configuration changes. @internal */
export interface FaultTarget {
  onFaultsChanged(): void;
}

export class FaultInjector {
  #config: ResolvedFaults = NONE;
  #statusRandom = createPrng(1);
  #latencyRandom = createPrng(1);
  #resetRandom = createPrng(1);
  #statusActive = false;
  #perStream = false;
  #refuseUntil = 0;
  #outageUntil = 0;
  readonly #targets = new Set<FaultTarget>();
  readonly #servers: { updateSettings(settings: { initialWindowSize: number }): void }[] = [];
  readonly #counts = {
    statuses: 0,
    delayed: 0,
    delayedMs: 0,
    resets: 0,
    disconnects: 0,
    silenced: 0,
    outageResets: 0,
    goAways: 0,
    refusedStreams: 0,
    refusedConnections: 0,
  };

  constructor(config: FaultConfig = {}) {
    this.set(config);
  }

  /** Replace the whole fault configuration (fields left out are off) and restart every PRNG from the seed. */
  set(config: FaultConfig): void {
    const share = (name: keyof FaultConfig) => {
      const v = config[name] as number | undefined;
      if (v !== undefined && !(v >= 0 && v <= 1)) {
        throw new RangeError(`faults.set: ${name} must be between 0 and 1, got ${v}`);
      }
      return v ?? 0;
    };
    const count = (name: keyof FaultConfig, min = 0) => {
      const v = config[name] as number | undefined;
      if (v !== undefined && !(Number.isFinite(v) && v >= min)) {
        throw new RangeError(`faults.set: ${name} must be a number >= ${min}, got ${v}`);
      }
      return v;
    };
    const distribution = config.latencyDistribution ?? 'uniform';
    if (distribution !== 'uniform' && distribution !== 'exponential') {
      throw new RangeError(`faults.set: latencyDistribution must be 'uniform' or 'exponential'`);
    }
    const next: ResolvedFaults = {
      seed: count('seed', Number.NEGATIVE_INFINITY) ?? 1,
      rate429: share('rate429'),
      rate500: share('rate500'),
      rate503: share('rate503'),
      latencyMs: count('latencyMs') ?? 0,
      latencyJitterMs: count('latencyJitterMs') ?? 0,
      latencyDistribution: distribution,
      resetRate: share('resetRate'),
      disconnectRate: share('disconnectRate'),
      silentDisconnectRate: share('silentDisconnectRate'),
      goAwayAfterStreams: Math.floor(count('goAwayAfterStreams') ?? 0),
      goAwayEveryMs: count('goAwayEveryMs') ?? 0,
      goAwayReason: config.goAwayReason ?? 'Shutdown',
      // RFC 9113 6.5.2: at most 2^31-1; nghttp2 refuses 0-sized windows for requests with bodies.
      windowSize: Math.min(Math.floor(count('windowSize', 1) ?? DEFAULT_WINDOW_SIZE), 2 ** 31 - 1),
      readDelayMs: count('readDelayMs') ?? 0,
      refuseConnectionsMs: count('refuseConnectionsMs') ?? 0,
      outageMs: count('outageMs') ?? 0,
      disconnectAfterErrors: Math.floor(count('disconnectAfterErrors') ?? 0),
    };
    if (next.rate429 + next.rate500 + next.rate503 > 1) {
      throw new RangeError('faults.set: rate429 + rate500 + rate503 add up to more than 1');
    }
    if (next.resetRate + next.disconnectRate + next.silentDisconnectRate > 1) {
      throw new RangeError(
        'faults.set: resetRate + disconnectRate + silentDisconnectRate add up to more than 1',
      );
    }
    this.#config = next;
    this.#statusRandom = createPrng(next.seed);
    this.#latencyRandom = createPrng(next.seed ^ 0x9e3779b9);
    this.#resetRandom = createPrng(next.seed ^ 0x85ebca6b);
    this.#statusActive = next.rate429 + next.rate500 + next.rate503 > 0;
    this.#perStream =
      next.latencyMs + next.latencyJitterMs + next.readDelayMs > 0 ||
      next.resetRate + next.disconnectRate + next.silentDisconnectRate > 0 ||
      next.goAwayAfterStreams > 0;
    const now = performance.now();
    this.#outageUntil = next.outageMs > 0 ? now + next.outageMs : 0;
    const refuseMs = Math.max(next.refuseConnectionsMs, next.outageMs);
    this.#refuseUntil = refuseMs > 0 ? now + refuseMs : 0;
    for (const server of this.#servers) server.updateSettings({ initialWindowSize: next.windowSize });
    for (const target of this.#targets) target.onFaultsChanged();
  }

  /** Turn every fault off (the counters stay). */
  clear(): void {
    this.set({});
  }

  get config(): Readonly<ResolvedFaults> {
    return this.#config;
  }

  get counters(): FaultCounters {
    return { ...this.#counts };
  }

  /** The injected 429/500/503 for this request, if any (validation stage 10). */
  pick(): Reason | undefined {
    if (!this.#statusActive) return undefined;
    const r = this.#statusRandom();
    const c = this.#config;
    let reason: Reason | undefined;
    if (r < c.rate429) reason = 'TooManyRequests';
    else if (r < c.rate429 + c.rate500) reason = 'InternalServerError';
    else if (r < c.rate429 + c.rate500 + c.rate503) reason = 'ServiceUnavailable';
    if (reason !== undefined) this.#counts.statuses++;
    return reason;
  }

  /** True when any per-stream fault (latency, resets, read delay, GOAWAY after N) is on. @internal */
  get perStream(): boolean {
    return this.#perStream;
  }

  /** Reset, disconnect, silence or answer a stream whose body has arrived. @internal */
  fate(): StreamFate {
    const c = this.#config;
    if (c.resetRate + c.disconnectRate + c.silentDisconnectRate === 0) return 'answer';
    const r = this.#resetRandom();
    if (r < c.resetRate) {
      this.#counts.resets++;
      return 'reset';
    }
    if (r < c.resetRate + c.disconnectRate) {
      this.#counts.disconnects++;
      return 'disconnect';
    }
    if (r < c.resetRate + c.disconnectRate + c.silentDisconnectRate) {
      this.#counts.silenced++;
      return 'silence';
    }
    return 'answer';
  }

  /** True while an outage set by `outageMs` lasts: open connections must end. @internal */
  get outage(): boolean {
    return this.#outageUntil > 0 && performance.now() < this.#outageUntil;
  }

  /** @internal */
  countOutageReset(): void {
    this.#counts.outageResets++;
  }

  /** Delay before the next answer, ms (0: answer now). @internal */
  delayMs(): number {
    const c = this.#config;
    if (c.latencyMs + c.latencyJitterMs === 0) return 0;
    let extra = 0;
    if (c.latencyJitterMs > 0) {
      const r = this.#latencyRandom();
      extra =
        c.latencyDistribution === 'uniform'
          ? r * c.latencyJitterMs
          : Math.min(-Math.log(1 - r) * c.latencyJitterMs, EXPONENTIAL_CAP * c.latencyJitterMs);
    }
    this.#counts.delayed++;
    this.#counts.delayedMs += c.latencyMs + extra;
    return c.latencyMs + extra;
  }

  /** @internal */
  countGoAway(): void {
    this.#counts.goAways++;
  }

  /** @internal */
  countRefusedStream(): void {
    this.#counts.refusedStreams++;
  }

  /** Follow configuration changes until `untrack`. @internal */
  track(target: FaultTarget): void {
    this.#targets.add(target);
  }

  /** @internal */
  untrack(target: FaultTarget): void {
    this.#targets.delete(target);
  }

  /**
   * Apply the accept-time faults to a listening server: reset connections while refusing, and advertise
   * `windowSize` to new sessions. @internal
   */
  attach(server: Server & { updateSettings(settings: { initialWindowSize: number }): void }): void {
    this.#servers.push(server);
    server.updateSettings({ initialWindowSize: this.#config.windowSize });
    // Before TLS: the client's handshake fails with ECONNRESET.
    server.prependListener('connection', (socket) => {
      if (this.#refuseUntil === 0) return;
      if (performance.now() >= this.#refuseUntil) {
        this.#refuseUntil = 0;
        return;
      }
      this.#counts.refusedConnections++;
      socket.resetAndDestroy();
    });
  }
}
