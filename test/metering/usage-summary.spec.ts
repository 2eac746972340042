import { aggregateUsage, emptyHistogram, addToHistogram, latencyBucket, LATENCY_BOUNDS_MS, netPostings, percentile, fromSparse, toSparse } from '../../src/metering/usage-summary';

describe('latency histograms', () => {
  it('puts every latency in the bucket whose bounds hold it', () => {
    for (let ms = 0; ms <= 5000; ms++) {
      const i = latencyBucket(ms);
      if (i < LATENCY_BOUNDS_MS.length) expect(ms).toBeLessThanOrEqual(LATENCY_BOUNDS_MS[i]);
      if (i > 0) expect(ms).toBeGreaterThan(LATENCY_BOUNDS_MS[i - 1]);
    }
  });

  it('reads percentiles within one bucket (≈ 19 %)', () => {
    const h = emptyHistogram();
    for (let ms = 1; ms <= 1000; ms++) addToHistogram(h, ms);
    const p50 = percentile(h, 0.5) as number;
    const p95 = percentile(h, 0.95) as number;
    expect(p50).toBeGreaterThanOrEqual(500);
    expect(p50).toBeLessThanOrEqual(500 * 1.2);
    expect(p95).toBeGreaterThanOrEqual(950);
    expect(p95).toBeLessThanOrEqual(950 * 1.2);
    expect(percentile(emptyHistogram(), 0.5)).toBeNull();
    expect(fromSparse(toSparse(h))).toEqual(h);
  });
});

describe('aggregateUsage', () => {
  const base = {
    accountId: 'a',
    keyId: 'k1',
    model: 'm',
    endpoint: 'chat.completions' as const,
    nodeId: 'n1',
    providerId: 'p1',
    status: 'completed' as const,
    inputTokens: 10,
    outputTokens: 5,
    images: 0,
    estimated: false,
    ttftMs: 20,
    latencyMs: 100,
    costMicroUsd: '300',
    providerShareMicroUsd: '210',
    holdId: 'h',
    recordedAt: '2026-01-01T00:00:00Z',
    postings: [],
  };
  it('groups by key, model, endpoint and node and sums everything', () => {
    const groups = aggregateUsage([
      { ...base, requestId: 'r1' },
      { ...base, requestId: 'r2', status: 'upstream_failed', estimated: true, ttftMs: null },
      { ...base, requestId: 'r3', keyId: 'k2' },
    ]);
    expect(groups).toHaveLength(2);
    const g = groups.find((x) => x.keyId === 'k1')!;
    expect(g).toMatchObject({ requests: 2, completed: 1, upstreamFailed: 1, estimated: 1, inputTokens: 20, outputTokens: 10, costMicroUsd: '600', providerShareMicroUsd: '420' });
    expect(g.latency).toEqual([[latencyBucket(100), 2]]);
    expect(g.ttft).toEqual([[latencyBucket(20), 1]]);
  });

  it('nets postings per ledger account', () => {
    expect(
      netPostings([
        { account: 'developer:a', amountMicroUsd: '300' },
        { account: 'platform:revenue', amountMicroUsd: '-300' },
        { account: 'developer:a', amountMicroUsd: '200' },
        { account: 'platform:revenue', amountMicroUsd: '-200' },
        { account: 'provider:p', amountMicroUsd: '0' },
      ]),
    ).toEqual([
      { account: 'developer:a', amountMicroUsd: '500' },
      { account: 'platform:revenue', amountMicroUsd: '-500' },
    ]);
  });
});
