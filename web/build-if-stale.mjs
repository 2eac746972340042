// Builds the console (vite) unless web/dist is newer than every input: `npm start` and `npm test`
// call it, so a fresh `npm ci` is enough and an unchanged console costs a stat walk, not a build.
// Test suites running in parallel may call it at once: a lock directory lets one build while
// the others wait, then find the build up to date.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = dirname(fileURLToPath(import.meta.url));
const root = dirname(web);
const stamp = join(web, 'dist', 'index.html');
const lock = join(web, '.build-lock');
const inputs = [join(web, 'src'), join(web, 'index.html'), join(web, 'vite.config.ts'), join(root, 'package-lock.json')];
/** A lock older than this was left by a killed build. */
const LOCK_STALE_MS = 180_000;
const LOCK_WAIT_MS = 240_000;

function newest(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(s.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

const upToDate = () => existsSync(stamp) && statSync(stamp).mtimeMs > Math.max(...inputs.map(newest));

function acquire() {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(lock);
      return;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })?.mtimeMs > LOCK_STALE_MS) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`web console build: ${lock} held for too long`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
}

const force = process.argv.includes('--force');
if (!force && upToDate()) {
  console.log('web console up to date (web/dist)');
} else {
  acquire();
  try {
    if (!force && upToDate()) {
      console.log('web console up to date (web/dist), built meanwhile');
    } else {
      execFileSync(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', join(web, 'vite.config.ts'), '--logLevel', 'warn'], {
        stdio: 'inherit',
        cwd: root,
        // jest runs with NODE_ENV=test, which would make Vite bundle React's development build.
        env: { ...process.env, NODE_ENV: 'production' },
      });
      console.log('web console built (web/dist)');
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
