import { entryPoint } from '../support/entry-point';
import { spawn } from 'node:child_process';
import { TEST_DATABASE_SERVER, TEST_REDIS_URL } from '../support/database';

/** `npm run demo` as a user runs it: the whole flow prints, and ends with a balanced ledger. */
describe('npm run demo', () => {
  it('streams a completion through the SDK and shows balance, usage and the provider earning', async () => {
    const child = spawn(process.execPath, entryPoint('test/demo/demo.ts'), {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: `${TEST_DATABASE_SERVER}/tollgate_demo`, REDIS_URL: TEST_REDIS_URL },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect({ code, err: err.slice(0, 2_000) }).toEqual({ code: 0, err: expect.any(String) });
    expect(out).toContain('assistant: Hello from the engine.');
    expect(out).toMatch(/developer balance: 4\.999995 USD/);
    expect(out).toMatch(/provider earned: 3 micro-USD/);
    expect(out).toContain('"balanced":true');
    // Step 6: a simulated upstream vendor serves a second model; its cost is owed to vendor:{id}.
    expect(out).toContain('assistant (via the upstream): Hi from the vendor.');
    expect(out).toMatch(/owed to the vendor: [1-9]\d* micro-USD/);
    expect(out.slice(out.indexOf('6. '))).toContain('"balanced":true');
  }, 120_000);
});
