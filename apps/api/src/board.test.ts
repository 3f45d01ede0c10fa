/**
 * The queue board in a real headless Chromium (Debian's `chromium`, driven by puppeteer-core; no browser
 * download): the page loads behind an API key, lists every app's queue, and shows a failed job. A
 * screenshot goes to reports/board-failed-job.png. Skipped, saying so, where chromium is not installed.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { appQueue } from '@pushfleet/queue';
import { startRedisServer } from '@pushfleet/queue/redis-server';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import puppeteer from 'puppeteer-core';
import { describe, expect, it } from 'vitest';
import { testKey } from './__fixtures__/api-harness.js';
import { createBoardServer } from './board.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) =>
  existsSync(p),
);
const REPORTS = fileURLToPath(new URL('../../../reports/', import.meta.url));
if (!CHROMIUM) console.warn('board.test: skipped, no chromium (install it: apt-get install -y chromium)');

async function failOneJob(redis: Redis, app: string): Promise<string> {
  const { name, prefix } = appQueue(app);
  const queue = new Queue(name, { connection: redis, prefix });
  const [eventsConnection, workerConnection] = [redis.duplicate(), redis.duplicate()];
  const events = new QueueEvents(name, { connection: eventsConnection, prefix });
  await events.waitUntilReady();
  const failed = new Promise<void>((resolve) => events.once('failed', () => resolve()));
  const job = await queue.add(
    'push',
    { v: 1, app, enqueuedAt: Date.now(), notifications: [] },
    { attempts: 1 },
  );
  const worker = new Worker(
    name,
    async () => {
      throw new Error('rejected: BadDeviceToken (400) for the board test');
    },
    { connection: workerConnection, prefix },
  );
  await failed;
  await worker.close();
  await events.close();
  await queue.close();
  eventsConnection.disconnect();
  workerConnection.disconnect();
  return job.id!;
}

describe.skipIf(!CHROMIUM)('pushfleet board in Chromium', () => {
  it('loads behind an API key, lists every app queue and shows a failed job', {
    timeout: 60_000,
  }, async () => {
    await using server = await startRedisServer();
    const redis = new Redis(server.url, { maxRetriesPerRequest: null });
    const ops = testKey('ops', ['*']);
    const shopOnly = testKey('shop-only', ['shop']);
    const board = await createBoardServer({ redis, apps: ['shop', 'news'], apiKeys: [ops, shopOnly] });
    const base = await board.listen({ port: 0, host: '127.0.0.1' });
    const browser = await puppeteer.launch({
      executablePath: CHROMIUM!,
      headless: true,
      args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    });
    try {
      const jobId = await failOneJob(redis, 'shop');

      // Without a key, and with a key for one app only: refused.
      const anonymous = await fetch(`${base}/`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm="pushfleet board"/);
      const basic = (key: string) => `Basic ${Buffer.from(`op:${key}`).toString('base64')}`;
      expect((await fetch(`${base}/`, { headers: { authorization: basic(shopOnly.key) } })).status).toBe(403);
      // Read-only: a retry through Bull Board's API is refused.
      const retry = await fetch(`${base}/api/queues/shop-notifications/${jobId}/retry`, {
        method: 'PUT',
        headers: { authorization: basic(ops.key) },
      });
      expect(retry.status).toBe(403);

      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 900 });
      await page.authenticate({ username: 'op', password: ops.key });
      const res = await page.goto(`${base}/`, { waitUntil: 'networkidle0' });
      expect(res?.status()).toBe(200);
      await page.waitForFunction("document.body.innerText.includes('news')", { timeout: 15_000 });
      const overview = (await page.evaluate('document.body.innerText')) as string;
      expect(overview).toContain('shop');
      expect(overview).toContain('news');

      await page.goto(`${base}/queue/shop-notifications?status=failed`, { waitUntil: 'networkidle0' });
      await page.waitForFunction("document.body.innerText.includes('BadDeviceToken')", { timeout: 15_000 });
      const failedView = (await page.evaluate('document.body.innerText')) as string;
      expect(failedView).toContain(`#${jobId}`);
      expect(failedView).not.toMatch(/Retry all/i); // read-only board: no retry button
      mkdirSync(REPORTS, { recursive: true });
      await page.screenshot({ path: `${REPORTS}board-failed-job.png`, fullPage: true });
      expect(existsSync(`${REPORTS}board-failed-job.png`)).toBe(true);
    } finally {
      await browser.close();
      await board.close();
      redis.disconnect();
    }
  });

  it('with allowRetry, a failed job can be retried and nothing else changes', {
    timeout: 30_000,
  }, async () => {
    await using server = await startRedisServer();
    const redis = new Redis(server.url, { maxRetriesPerRequest: null });
    const ops = testKey('ops', ['*']);
    const board = await createBoardServer({ redis, apps: ['shop'], apiKeys: [ops], allowRetry: true });
    const base = await board.listen({ port: 0, host: '127.0.0.1' });
    try {
      const jobId = await failOneJob(redis, 'shop');
      const auth = { authorization: `Bearer ${ops.key}` };
      const clean = await fetch(`${base}/api/queues/shop-notifications/clean/failed`, {
        method: 'PUT',
        headers: auth,
      });
      expect(clean.status).toBe(403);
      const retry = await fetch(`${base}/api/queues/shop-notifications/${jobId}/retry`, {
        method: 'PUT',
        headers: auth,
      });
      expect(retry.status).toBe(204);
      const { name, prefix } = appQueue('shop');
      const queue = new Queue(name, { connection: redis, prefix });
      expect(await queue.getJobState(jobId)).toBe('waiting');
      await queue.close();
    } finally {
      await board.close();
      redis.disconnect();
    }
  });
});
