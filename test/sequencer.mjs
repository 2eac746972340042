// Jest's test sequencer, slowest suites first (package.json's jest.testSequencer).
//
// Jest starts suites in the order of their last durations from its cache, and by file size when it
// has none, which is always the case in CI (a clean clone). By file size, the contract suite
// (≈ 40 s) starts 67th of 133 and sigkill recovery 51st: a long suite started late keeps one of the
// two workers busy alone at the end. Here the durations measured once and committed in
// test/suite-timings.json rank the suites jest has no timing for; jest's own cache, when it has
// one, still wins, and a suite that failed last time still runs first.
// Refresh the table from a whole run: `npx jest --json --outputFile=/tmp/jest.json`, then
// `node scripts/suite-timings.mjs /tmp/jest.json`.
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import sequencer from '@jest/test-sequencer';

const Sequencer = sequencer.default ?? sequencer;
const root = dirname(dirname(fileURLToPath(import.meta.url)));
/** Seconds per suite, keyed by its path from the repository root. */
const measured = JSON.parse(readFileSync(join(root, 'test', 'suite-timings.json'), 'utf8')).seconds;

export default class SlowestFirst extends Sequencer {
  sort(tests) {
    const size = (test) => test.context.hasteFS.getSize(test.path) ?? 0;
    const known = (test) => {
      const cached = this.time(test);
      if (cached != null) return cached;
      const seconds = measured[relative(root, test.path).split('\\').join('/')];
      return seconds == null ? null : seconds * 1000;
    };
    const ranked = tests.map((test) => ({ test, failed: this.hasFailed(test), ms: known(test), size: size(test) }));
    ranked.sort((a, b) => {
      if (a.failed !== b.failed) return a.failed ? -1 : 1;
      // A suite with a duration (cached or measured) ahead of one without: the table lists the slow ones.
      if ((a.ms == null) !== (b.ms == null)) return a.ms == null ? 1 : -1;
      if (a.ms != null && b.ms != null && a.ms !== b.ms) return b.ms - a.ms;
      return b.size - a.size;
    });
    for (const r of ranked) r.test.duration = r.ms ?? undefined;
    return ranked.map((r) => r.test);
  }
}
