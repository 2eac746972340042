import { spawn } from 'node:child_process';
import { TEST_REDIS_URL } from './database';
import { entryPoint } from './entry-point';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The real CLI entry point (`npm run cli -- …`) in a child process (compiled when `dist/` is fresh, see entry-point.ts). */
export function cli(env: Record<string, string>, args: string[]): Promise<CliRun> {
  const child = spawn(process.execPath, [...entryPoint('src/cli/main.ts'), ...args], {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', REDIS_URL: TEST_REDIS_URL, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}
