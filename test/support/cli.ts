import { spawn } from 'node:child_process';
import { runCli } from '../../src/cli/main';
import { TEST_REDIS_URL } from './database';
import { entryPoint } from './entry-point';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment a CLI run gets: only what is given, as an operator's shell would pass it. */
const cliEnv = (env: Record<string, string>) => ({ PATH: process.env.PATH ?? '', NODE_ENV: 'test', REDIS_URL: TEST_REDIS_URL, ...env });

/**
 * One CLI command (`npm run cli -- …`) run in-process through the CLI's own `runCli`: the same
 * flags, services, audit record, output and exit code as the entry point, without a child process
 * per command (which cost 2–8 s each). `cliProcess` below is the real entry point, for the smoke test.
 */
export async function cli(env: Record<string, string>, args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { env: cliEnv(env), stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text) });
  return { code, stdout, stderr };
}

/** The real CLI entry point in a child process (compiled when `dist/` is fresh, see entry-point.ts). */
export function cliProcess(env: Record<string, string>, args: string[]): Promise<CliRun> {
  const child = spawn(process.execPath, [...entryPoint('src/cli/main.ts'), ...args], {
    env: cliEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}
