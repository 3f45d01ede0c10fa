/**
 * Ids the producer makes for notifications whose caller chose none name their job, so no id -> job index
 * entry is written for them: a made job id is a random UUID ending in `0000`, and the job's i-th notification
 * gets that UUID with i (hex) in those four digits, the first one the job id itself. A status read takes the
 * job from the id (`candidateJobId`) and checks that the job holds it. The index entry cost 141 B of Redis per
 * notification and its script ~3 of Redis's ~9.5 µs per notification in bench:e2e. The ids stay random v4
 * UUIDs (106 random bits), as `apns-id` asks. Ids a caller chose are indexed, as before.
 */
import { randomUUID } from 'node:crypto';

/** Positions a made id can name: four hex digits. */
const POSITIONS = 0x10000;
/** Where the position goes: the last four of the UUID's 36 characters. */
const POSITION_AT = 32;

/** A new job id for a job whose first notification's id is made here. */
export function newJobId(): string {
  return `${randomUUID().slice(0, POSITION_AT)}0000`;
}

/**
 * The id of the notification at `position` in the job `jobId` (from newJobId), or undefined past the last.
 * Made for every notification by the producer and again by each run of its job (v3 job records leave these
 * ids out), so the digits of the first 4,096 places are made once (~100 KB).
 */
export function madeNotificationId(jobId: string, position: number): string | undefined {
  if (!Number.isInteger(position) || position < 0 || position >= POSITIONS) return undefined;
  return jobId.slice(0, POSITION_AT) + (POSITION_DIGITS[position] ?? hex4(position));
}
const hex4 = (position: number): string => position.toString(16).padStart(4, '0');

/**
 * Whether `id` is the one the job whose made ids start with `prefix` (madeIdPrefix) made for `position`:
 * compared in place, not by making that id (the producer asks it of every notification it packs).
 */
export function isMadeIdAt(prefix: string, id: string, position: number): boolean {
  const digits = POSITION_DIGITS[position] ?? hex4(position);
  return id.length === 36 && digits.length === 4 && id.startsWith(prefix) && id.endsWith(digits);
}
const POSITION_DIGITS: readonly string[] = Array.from({ length: 0x1000 }, (_, i) => hex4(i));

/** The job a made id names, if `id` is one: the caller checks that the job holds the id. */
export function candidateJobId(id: string): string {
  return `${id.slice(0, POSITION_AT)}0000`;
}

/** What every made id of job `jobId` starts with, or undefined when `jobId` is not a made job id. */
export function madeIdPrefix(jobId: string): string | undefined {
  return jobId.length === 36 && jobId.endsWith('0000') ? jobId.slice(0, POSITION_AT) : undefined;
}

/** The position digits of `id` (its last four) when it is a made id starting with `prefix`, else undefined. */
export function madePositionDigits(prefix: string, id: string): string | undefined {
  if (id.length !== 36 || !id.startsWith(prefix)) return undefined;
  const digits = id.slice(POSITION_AT);
  return HEX4.test(digits) ? digits : undefined;
}
const HEX4 = /^[0-9a-f]{4}$/;
