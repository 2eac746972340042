import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');
/** The folders a child process of ours loads code from. */
const SOURCES = ['src', 'migrations', 'test'];

let compiledIsFresh: boolean | undefined;

/**
 * `node` arguments that run one of our TypeScript entry points in a child process. `npm test` compiles
 * the project to `dist/` first (`tsc`), and the compiled JavaScript starts in about a quarter of the
 * time ts-node needs to transpile the Nest graph (measured: 2.0 s against 8.0 s for one
 * `admin:create`), which is most of what the CLI suites spend. A run of `npx jest` after an edit finds
 * `dist/` older than the source and falls back to ts-node, so a test never runs yesterday's code.
 */
export function entryPoint(tsPath: string): string[] {
  compiledIsFresh ??= isCompiledFresh();
  if (compiledIsFresh) return [join(ROOT, 'dist', tsPath.replace(/\.ts$/, '.js'))];
  return ['-r', 'ts-node/register/transpile-only', join(ROOT, tsPath)];
}

function isCompiledFresh(): boolean {
  for (const dir of SOURCES) {
    for (const file of tsFiles(join(ROOT, dir))) {
      const compiled = join(ROOT, 'dist', relative(ROOT, file).replace(/\.ts$/, '.js'));
      if (!existsSync(compiled) || statSync(compiled).mtimeMs < statSync(file).mtimeMs) return false;
    }
  }
  return true;
}

function* tsFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* tsFiles(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && !entry.name.endsWith('.spec.ts')) yield path;
  }
}
