import { BoundedTtlMap, KeyCache, KeyCacheEntry } from '../../src/api-keys/key-cache';
import { parseInvalidation } from '../../src/api-keys/key-invalidation-listener';
import { KeyUsageRecorder, UsageSlot } from '../../src/api-keys/key-usage';

describe('BoundedTtlMap', () => {
  it('forgets entries after ttlMs and drops the oldest beyond capacity', () => {
    const map = new BoundedTtlMap<string, number>(2, 100);
    map.set('a', 1, 0);
    map.set('b', 2, 50);
    expect(map.get('a', 99)).toBe(1);
    expect(map.get('a', 100)).toBeUndefined();
    map.set('c', 3, 60);
    map.set('d', 4, 70); // full: b (oldest) goes
    expect([map.get('b', 70), map.get('c', 70), map.get('d', 70)]).toEqual([undefined, 3, 4]);
    expect(map.size).toBe(2);
  });

  it('sweeps expired entries from the head on insert, so stale entries do not occupy the capacity', () => {
    const map = new BoundedTtlMap<string, number>(3, 100);
    map.set('a', 1, 0);
    map.set('b', 2, 10);
    map.set('c', 3, 500); // a and b expired
    expect(map.size).toBe(1);
  });
});

describe('KeyCache', () => {
  const entry = (keyHash: string, accountId: string, verifiedAtMs: number): KeyCacheEntry => ({ keyHash, accountId, verifiedAtMs });

  it('finds entries again by key hash and by account, and keeps its indexes in step with evictions', () => {
    const cache = new KeyCache<KeyCacheEntry>(3, 1_000);
    cache.set('d1', entry('h1', 'acc1', 0), 0);
    cache.set('d2', entry('h2', 'acc1', 1), 1);
    cache.set('d3', entry('h3', 'acc2', 2), 2);
    expect(cache.evictKeyHash('h2')).toBe(true);
    expect(cache.get('d2')).toBeUndefined();
    expect(cache.evictAccount('acc1')).toBe(1);
    expect(cache.get('d1')).toBeUndefined();
    expect(cache.get('d3')).toBeDefined();
    cache.set('d4', entry('h4', 'acc3', 3), 3);
    cache.set('d5', entry('h5', 'acc3', 4), 4);
    cache.set('d6', entry('h6', 'acc3', 5), 5); // full: d3 goes, and with it its index entries
    expect(cache.size).toBe(3);
    expect(cache.evictKeyHash('h3')).toBe(false);
    expect(cache.evictAccount('acc2')).toBe(0);
    expect(cache.evictAccount('acc3')).toBe(3);
    expect(cache.size).toBe(0);
  });

  it('drops entries older than maxAgeMs when inserting', () => {
    const cache = new KeyCache<KeyCacheEntry>(10, 100);
    cache.set('d1', entry('h1', 'a', 0), 0);
    cache.set('d2', entry('h2', 'a', 200), 200);
    expect(cache.size).toBe(1);
    expect(cache.evictKeyHash('h1')).toBe(false);
  });
});

describe('parseInvalidation', () => {
  it('reads the two message shapes and nothing else', () => {
    expect(parseInvalidation('{"kind":"key","keyHash":"ab","accountId":"x"}')).toEqual({ kind: 'key', keyHash: 'ab', accountId: 'x' });
    expect(parseInvalidation('{"kind":"account","accountId":"x","suspended":false}')).toEqual({ kind: 'account', accountId: 'x', suspended: false });
    for (const bad of [
      '',
      'null',
      '[]',
      '{"kind":"key","accountId":"x"}',
      '{"kind":"account","accountId":"x"}',
      `{"kind":"key","keyHash":"${'a'.repeat(2_000)}","accountId":"x"}`,
    ]) {
      expect(parseInvalidation(bad)).toBeNull();
    }
  });
});

describe('KeyUsageRecorder', () => {
  const slot = (keyId: string): UsageSlot => ({ keyId, lastUsedMs: 0, pending: false });

  it('queues a key once per flush, writes its newest time, and keeps the batch when a write fails', async () => {
    const writes: [string[], number[]][] = [];
    let fail = true;
    const recorder = new KeyUsageRecorder(async (ids, times) => {
      if (fail) throw new Error('database down');
      writes.push([ids, times]);
    }, 2);
    const a = slot('a');
    const b = slot('b');
    const c = slot('c');
    recorder.touch(a, 10);
    recorder.touch(a, 20);
    recorder.touch(b, 15);
    recorder.touch(c, 16); // beyond maxPending: dropped and counted
    expect(recorder.pending).toBe(2);
    expect(recorder.dropped).toBe(1);
    await expect(recorder.flush()).rejects.toThrow('database down');
    expect(recorder.pending).toBe(2); // carried over
    fail = false;
    recorder.touch(a, 30);
    expect(await recorder.flush()).toBe(2);
    expect(writes).toEqual([
      [
        ['a', 'b'],
        [30, 15],
      ],
    ]);
    expect(recorder.statements).toBe(1);
    expect(await recorder.flush()).toBe(0);
  });
});
