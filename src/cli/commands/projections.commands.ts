import { projectors } from '../../read-models';
import { READ_MODELS_CHECKPOINT } from '../../platform/projection-runtime/checkpoint';
import { tryLeaderLock } from '../../platform/projection-runtime/leader-lock';
import { REPLAY_BATCH_SIZE, replay, resetReadModels } from '../../platform/projection-runtime/replay';
import { verifyProjections } from '../../platform/projection-runtime/verify';
import { CliContext } from '../context';

const PROGRESS_EVERY = 10_000;

/**
 * Truncates every read model and replays all events. If a running instance holds the projection
 * runner, it notices the reset and replays by itself; otherwise this command replays, with progress.
 */
export async function rebuildProjections(ctx: CliContext): Promise<number> {
  const leader = await tryLeaderLock(ctx.pool);
  await resetReadModels(ctx.db, projectors, READ_MODELS_CHECKPOINT);
  if (!leader) {
    ctx.progress('Read models reset. A running Tollgate instance holds the projection runner and is replaying now;');
    ctx.progress('watch tollgate_projection_lag_seconds on /metrics until it reads 0.');
    return 0;
  }
  try {
    const started = Date.now();
    let reported = 0;
    const { events } = await replay(ctx.db, ctx.store, projectors, {
      from: null,
      batchSize: REPLAY_BATCH_SIZE,
      checkpointName: READ_MODELS_CHECKPOINT,
      onProgress: (n) => {
        if (n - reported >= PROGRESS_EVERY) {
          reported = n;
          ctx.progress(`  replayed ${n} events (${rate(n, started)} events/s)`);
        }
      },
    });
    ctx.out(JSON.stringify({ rebuilt: projectors.map((p) => p.name), events, seconds: (Date.now() - started) / 1000, eventsPerSecond: rate(events, started) }));
    return 0;
  } finally {
    leader.release(true);
  }
}

/** Rebuilds into a scratch schema and compares with the live read models; exit code 1 on any difference. */
export async function verifyProjectionsCommand(ctx: CliContext): Promise<number> {
  const started = Date.now();
  let reported = 0;
  const report = await verifyProjections(ctx.db, ctx.store, projectors, {
    checkpointName: READ_MODELS_CHECKPOINT,
    batchSize: REPLAY_BATCH_SIZE,
    onProgress: (n) => {
      if (n - reported >= PROGRESS_EVERY) {
        reported = n;
        ctx.progress(`  replayed ${n} events into the scratch schema (${rate(n, started)} events/s)`);
      }
    },
  });
  ctx.out(JSON.stringify(report, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2));
  ctx.progress(report.ok ? 'projections:verify: no difference' : 'projections:verify: DIFFERENCES FOUND');
  return report.ok ? 0 : 1;
}

function rate(events: number, startedMs: number): number {
  return Math.round(events / Math.max((Date.now() - startedMs) / 1000, 0.001));
}
