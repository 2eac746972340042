import { randomUUID } from 'node:crypto';
import { RepeatableJob } from '../../src/platform/jobs/repeatable-job';
import { loadConfig } from '../../src/platform/config/config';
import { createLogger } from '../../src/platform/observability/logger';
import { TEST_REDIS_URL } from '../support/database';
import { eventually } from '../support/eventually';
import { openTestRedis } from '../support/redis';

describe('RepeatableJob (the sweeps: node liveness, deletion, retention, KYC)', () => {
  it('runs the work on its schedule, one run at a time, and stops cleanly', async () => {
    const base = loadConfig({ NODE_ENV: 'test', REDIS_URL: TEST_REDIS_URL });
    const config = { ...base, nodes: { ...base.nodes, queuePrefix: `tg-test:${randomUUID().slice(0, 8)}` } };
    let running = 0;
    let overlapped = false;
    let runs = 0;
    const job = new RepeatableJob(config, createLogger('silent', 'test'), {
      name: 'test-sweep',
      label: 'test sweep',
      schedule: { everyMs: 100 },
      run: async () => {
        if (running++ > 0) overlapped = true;
        await new Promise((r) => setTimeout(r, 150)); // longer than the period: runs must not overlap
        running--;
        return { runs: ++runs };
      },
    });
    try {
      await eventually(async () => expect(runs).toBeGreaterThanOrEqual(3));
      expect(overlapped).toBe(false);
    } finally {
      await job.stop();
    }
    const after = runs;
    await new Promise((r) => setTimeout(r, 400));
    expect(runs).toBe(after);
    const redis = openTestRedis();
    const keys = await redis.keys(`${config.nodes.queuePrefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }, 20_000);
});
