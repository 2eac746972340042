/**
 * The multi-instance proof, to run and watch (issue 19, item 4):
 *
 *   npm run proof:instances            # builds dist/, then this script at the FULL size
 *   npm run proof:instances -- --small # the size the jest suite runs (test/proof/instances.e2e.spec.ts)
 *
 * A fresh database; three API instances (`node dist/src/main.js api`) and one worker (`main.js worker`)
 * behind a round-robin balancer (test/proof/balancer.ts); a GPU-engine stand-in as the node. Prints
 * the figures of the five money rules; exit code 1 if any does not hold (see `failures`).
 */
import { formatFigures, failures } from './figures';
import { FULL, runInstancesProof, SMALL } from './instances-proof';

async function main(): Promise<void> {
  const size = process.argv.includes('--small') ? SMALL : FULL;
  const started = Date.now();
  const figures = await runInstancesProof(size, (line) => process.stderr.write(`[proof:instances] ${line}\n`));
  process.stdout.write(`${formatFigures(figures)}\nwhole run: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  const failed = failures(figures);
  if (failed.length > 0) {
    process.stdout.write(`\nFAILED:\n${failed.map((f) => `  - ${f}`).join('\n')}\n`);
    process.exitCode = 1;
  } else process.stdout.write('\nevery rule held\n');
}

main().catch((err: Error) => {
  process.stderr.write(`proof:instances failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
