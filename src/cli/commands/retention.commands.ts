import { RetentionSweep } from '../../privacy/retention/retention-sweep';
import { CliContext } from '../context';

/** One retention sweep now (the same as the scheduled job); prints its report. Re-run to drain a backlog. */
export async function runRetention(ctx: CliContext): Promise<number> {
  const report = await (await ctx.services()).get(RetentionSweep).sweep();
  ctx.out(JSON.stringify(report));
  return 0;
}
