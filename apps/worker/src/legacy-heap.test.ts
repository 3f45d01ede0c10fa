import { describe, expect, it } from 'vitest';
import { MAX_HELD_NOTIFICATIONS } from './job-intake.js';
import { heapPlanFor, LEGACY_ONLY_HEAP_FLAGS, LEGACY_ONLY_MAX_HELD } from './legacy-heap.js';

describe('the heap plan of a worker process', () => {
  it('tunes the heap and holds more only when every app is legacy', () => {
    expect(heapPlanFor([{ transport: 'legacy' }, { transport: 'legacy' }])).toEqual({
      flags: LEGACY_ONLY_HEAP_FLAGS,
      maxHeld: LEGACY_ONLY_MAX_HELD,
    });
    expect(LEGACY_ONLY_MAX_HELD).toBeGreaterThan(MAX_HELD_NOTIFICATIONS);
    // One HTTP/2 app is enough to keep V8's defaults: its CPU-bound path pays for a tighter heap.
    expect(heapPlanFor([{ transport: 'legacy' }, { transport: 'http2' }])).toBeUndefined();
    expect(heapPlanFor([{ transport: 'http2' }])).toBeUndefined();
    expect(heapPlanFor([])).toBeUndefined();
  });
});
