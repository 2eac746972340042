import { entryPoint } from '../support/entry-point';
import { eventually } from '../support/eventually';
import { freePort } from '../support/net';
import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { TEST_DATABASE_SERVER, TEST_REDIS_URL } from '../support/database';

/** The real entry point, as `npm start` runs it, in a child process. */
function runMain(env: Record<string, string>, args: string[] = []): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [...entryPoint('src/main.ts'), ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe('the process (src/main.ts)', () => {
  const dbName = `tg_test_process_${randomUUID().slice(0, 8)}`;

  afterAll(async () => {
    const admin = new Pool({ connectionString: `${TEST_DATABASE_SERVER}/postgres`, max: 1 });
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  });

  it('creates its database, migrates, becomes ready, and shuts down cleanly on SIGTERM', async () => {
    const port = await freePort();
    const metricsPort = await freePort();
    const proc = runMain({
      PORT: String(port),
      HOST: '127.0.0.1',
      METRICS_PORT: String(metricsPort),
      TUNNEL_RELAY_PORT: '0',
      DATABASE_URL: `${TEST_DATABASE_SERVER}/${dbName}`,
      REDIS_URL: TEST_REDIS_URL,
    });
    try {
      await eventually(
        async () => {
          if (
            (await fetch(`http://127.0.0.1:${port}/health/ready`).then(
              (r) => r.status,
              () => 0,
            )) !== 200
          )
            throw new Error(`never became ready:\n${proc.output()}`);
        },
        40_000,
        200,
      );
      expect(proc.output()).toContain('migrations applied');
      expect(proc.output()).toContain('tollgate started');
      // /metrics: on the internal listener (METRICS_HOST defaults to loopback), never on the public port.
      expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
      expect(proc.output()).toContain('shutdown complete');
    } finally {
      proc.child.kill('SIGKILL');
    }
  }, 60_000);

  it('refuses to boot on bad configuration, listing every problem at once', async () => {
    const proc = runMain({ PORT: 'eighty', DATABASE_URL: 'mysql://nope', LOG_LEVEL: 'chatty' });
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toContain('Invalid configuration');
    expect(proc.output()).toContain('PORT must be an integer');
    expect(proc.output()).toContain('DATABASE_URL must use postgres: or postgresql:');
    expect(proc.output()).toContain('LOG_LEVEL must be one of');
  }, 30_000);

  it('refuses an unknown role', async () => {
    const proc = runMain({}, ['everything']);
    expect(await proc.exited).toBe(2);
    expect(proc.output()).toContain('usage:');
  }, 30_000);
});
