// `npm run openapi`: writes the OpenAPI document (dist/openapi.json) and the console's typed
// client's types (web/src/api/openapi.d.ts), unless both are newer than every input. `npm test`,
// `npm start` and the typechecks call it, and CI calls it once more before lint: an unchanged API
// costs a stat walk instead of booting Nest's preview and openapi-typescript (≈ 11 s).
// The types are written beside and renamed in, so a concurrent reader (lint) never sees half a file.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const document = join(root, 'dist', 'openapi.json');
const types = join(root, 'web', 'src', 'api', 'openapi.d.ts');
const inputs = [join(root, 'src'), join(root, 'package-lock.json'), fileURLToPath(import.meta.url)];

function newest(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(s.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

const age = (path) => statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0;
const upToDate = () => Math.min(age(document), age(types)) > Math.max(...inputs.map(newest));

if (!process.argv.includes('--force') && upToDate()) {
  console.log('OpenAPI document and console types up to date');
} else {
  const bin = (...path) => join(root, 'node_modules', ...path);
  const run = (args) => execFileSync(process.execPath, args, { stdio: 'inherit', cwd: root });
  run([bin('ts-node', 'dist', 'bin.js'), '--transpile-only', 'src/openapi/write.ts', document]);
  const written = join(root, 'dist', 'openapi.d.ts');
  run([bin('openapi-typescript', 'bin', 'cli.js'), document, '-o', written, '--silent']);
  mkdirSync(dirname(types), { recursive: true });
  renameSync(written, types);
}
