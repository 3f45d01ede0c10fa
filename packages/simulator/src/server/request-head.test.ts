import { describe, expect, it } from 'vitest';
import { apnsHeadersOf, parseRequestHead } from './request-head.js';
import { topicSuffix } from './request-validator.js';

describe('parseRequestHead', () => {
  it('reads the APNs headers in one pass', () => {
    const head = parseRequestHead([
      ':method',
      'POST',
      ':path',
      '/3/device/ab',
      'apns-topic',
      'com.x',
      'apns-priority',
      '5',
      'user-agent',
      'test',
    ]);
    expect(head).toMatchObject({
      method: 'POST',
      path: '/3/device/ab',
      topic: 'com.x',
      priority: '5',
      duplicate: false,
    });
  });

  it.each([['apns-topic'], [':path'], ['authorization'], ['x-other']])(
    'flags %s twice as a duplicate',
    (name) => {
      expect(parseRequestHead([':method', 'POST', name, 'a', 'apns-id', 'b', name, 'c']).duplicate).toBe(
        true,
      );
    },
  );

  it('keeps only apns-* headers for the recorder', () => {
    expect(
      apnsHeadersOf([':path', '/', 'authorization', 'bearer x', 'apns-id', 'i', 'apns-topic', 't']),
    ).toEqual({
      'apns-id': 'i',
      'apns-topic': 't',
    });
  });
});

describe('topicSuffix', () => {
  it.each([
    ['com.x', ''],
    ['com.x.voip', '.voip'],
    ['com.x.voip-ptt', '.voip-ptt'],
    ['com.x.push-type.liveactivity', '.push-type.liveactivity'],
    ['com.x.pushkit.fileprovider', '.pushkit.fileprovider'],
    ['.voip', ''],
  ])('%s → "%s"', (topic, suffix) => {
    expect(topicSuffix(topic)).toBe(suffix);
  });
});
