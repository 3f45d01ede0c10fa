import { describe, expect, it } from 'vitest';
import { managementUrlFor } from './broadcast-worker.js';

describe('managementUrlFor', () => {
  it("pairs Apple's push hosts with their management hosts, and anything else with the configured URL", () => {
    expect(managementUrlFor('https://api.push.apple.com:443', undefined)).toBe(
      'https://api-manage-broadcast.push.apple.com:2196',
    );
    expect(managementUrlFor('https://api.sandbox.push.apple.com:2197', 'x')).toBe(
      'https://api-manage-broadcast.sandbox.push.apple.com:2195',
    );
    expect(managementUrlFor('https://127.0.0.1:2197', 'https://127.0.0.1:2200')).toBe(
      'https://127.0.0.1:2200',
    );
    expect(managementUrlFor('https://127.0.0.1:2197', undefined)).toBeUndefined();
  });
});
