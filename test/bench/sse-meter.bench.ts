/**
 * The SSE meter's CPU per streamed request: prints figures, asserts nothing (not a jest suite).
 *
 *   npm run bench:sse     # = ts-node --transpile-only test/bench/sse-meter.bench.ts
 *
 * The stream is bench:gateway's (20 content events, the usage event, [DONE]), pushed through a
 * fresh SseMeter per request three ways: as one chunk, one chunk per event, and one chunk per
 * event with the usage event kept for the client. Five rounds of 50,000 streams each after a
 * warm-up; CPU time (user + system) per stream, min / median / max over the rounds. Pin it for
 * steadier figures: `taskset -c 1 npm run bench:sse`.
 */
import { SseMeter } from '../../src/openai/sse-meter';
import { alignTable, machineLine, runMain } from './bench-helpers';

const STREAMS = 50_000;
const ROUNDS = 5;

function events(): Buffer[] {
  const head = { id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'bench' };
  const out: string[] = [];
  for (let i = 0; i < 20; i++) out.push(`data: ${JSON.stringify({ ...head, choices: [{ index: 0, delta: { content: 'tok ' }, finish_reason: null }] })}\n\n`);
  out.push(`data: ${JSON.stringify({ ...head, choices: [], usage: { prompt_tokens: 8, completion_tokens: 20, total_tokens: 28 } })}\n\n`);
  out.push('data: [DONE]\n\n');
  return out.map((e) => Buffer.from(e));
}

/** CPU µs per stream, one figure per round. */
function measure(meter: () => void): number[] {
  for (let i = 0; i < STREAMS / 5; i++) meter();
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.cpuUsage();
    for (let i = 0; i < STREAMS; i++) meter();
    const used = process.cpuUsage(start);
    rounds.push((used.user + used.system) / STREAMS);
  }
  return rounds.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const perEvent = events();
  const whole = Buffer.concat(perEvent);
  let sink = 0; // keeps the results alive
  const cases: [string, () => void][] = [
    ['one chunk', () => (sink += new SseMeter(false).push(whole)?.length ?? 0)],
    [
      'a chunk per event',
      () => {
        const m = new SseMeter(false);
        for (const e of perEvent) sink += m.push(e)?.length ?? 0;
      },
    ],
    [
      'a chunk per event, usage kept',
      () => {
        const m = new SseMeter(true);
        for (const e of perEvent) sink += m.push(e)?.length ?? 0;
      },
    ],
  ];
  const rows = cases.map(([name, run]) => {
    const r = measure(run);
    return [name, r[0].toFixed(1), r[Math.floor(r.length / 2)].toFixed(1), r[r.length - 1].toFixed(1)];
  });
  process.stdout.write(
    [
      '',
      `bench:sse: the SSE meter on bench:gateway's stream (${whole.length} bytes, ${perEvent.length} events), ${ROUNDS} rounds of ${STREAMS} streams`,
      machineLine(),
      '',
      alignTable(['pushed as', 'µs/stream min', 'median', 'max'], rows, new Set([1, 2, 3])),
      '',
      `(${sink > 0 ? 'results used' : 'no output'})`,
      '',
    ].join('\n'),
  );
}

runMain(main);
