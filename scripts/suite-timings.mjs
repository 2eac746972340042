// Writes test/suite-timings.json (read by test/sequencer.mjs) from a jest JSON report of a whole run:
//   npx jest --json --outputFile=/tmp/jest.json && node scripts/suite-timings.mjs /tmp/jest.json
// A partial run updates the suites it ran and keeps the others; only suites of 5 s or more are kept
// (the rest start after them, largest file first).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const file = join(root, 'test', 'suite-timings.json');
const table = JSON.parse(readFileSync(file, 'utf8'));
const all = { ...table.seconds };
for (const r of report.testResults) all[relative(root, r.name).split('\\').join('/')] = Math.round((r.endTime - r.startTime) / 100) / 10;
const seconds = Object.fromEntries(
  Object.entries(all)
    .filter(([, s]) => s >= 5)
    .sort((a, b) => b[1] - a[1]),
);
writeFileSync(file, JSON.stringify({ ...table, seconds }, null, 2) + '\n');
console.log(`${file}: ${Object.keys(seconds).length} suites of 5 s or more`);
