import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** The console suites drive the built app: build it when stale (the same step `npm test` runs). */
export function buildConsole(): void {
  execFileSync(process.execPath, [join(__dirname, '..', '..', 'web', 'build-if-stale.mjs')], { stdio: 'pipe' });
}
