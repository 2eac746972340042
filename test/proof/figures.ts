import { ProofFigures } from './instances-proof';

const usd = (micro: bigint) => `${micro.toLocaleString('en-US')} µUSD`;

/** The figures as a person reads them (the docs quote this output). */
export function formatFigures(f: ProofFigures): string {
  const o = f.overspend;
  const r = f.revocation;
  const l = f.rateLimit;
  const k = f.kill;
  const t = f.tunnel;
  const b = f.books;
  return [
    `multi-instance proof: ${f.size.apiInstances} API instances + 1 worker behind a round-robin balancer (ready in ${(f.startupMs / 1000).toFixed(1)} s)`,
    '',
    `1. overspend: balance ${usd(o.balanceMicroUsd)}, ${o.sent} streamed requests from ${f.size.overspendClients} concurrent clients`,
    `   completed ${o.completed}, refused 402 ${o.refused402}, other ${o.other}`,
    `   charged ${usd(o.chargedMicroUsd)} of ${usd(o.balanceMicroUsd)}; left ${usd(o.remainingMicroUsd)} (one reservation: ${usd(o.reservationMicroUsd)}); overspend ${usd(o.overspendMicroUsd)}`,
    `2. revocation: revoke call took ${r.revokeCallMs.toFixed(1)} ms; refused after: ${r.refusedAfterMs.map((x) => `${x.instance} ${x.ms.toFixed(1)} ms`).join(', ')}`,
    `3. rate limit: key limit ${l.limitPerMinute}/min, ${l.sent} requests round-robin: allowed ${l.allowed}, refused 429 ${l.refused429}, other ${l.other}` +
      ` (${l.oneWindow ? 'one window' : 'crossed a window boundary'}; per-instance counters would have allowed ${l.limitPerMinute * f.size.apiInstances})`,
    `4. tunnel: ${t.sent} streamed requests from ${t.clients} clients to a node behind NAT until ${t.target} completed (${(t.elapsedMs / 1000).toFixed(1)} s); tunnel cut ${t.cuts} times, the agent reconnected ${t.reconnects} times`,
    `   per instance: ${t.tunnelsPerInstance.map((p) => `${p.instance} ${p.sent} sent / ${p.tunnels} tunnels held`).join(', ')}`,
    `   completed ([DONE]) ${t.completed}: charged once ${t.completedChargedOnce}, uncharged ${t.completedUncharged}, charged twice or more ${t.completedDuplicated}`,
    `   cut with the tunnel ${t.cut}: charged once ${t.cutChargedOnce}, uncharged ${t.cutUncharged}, twice or more ${t.cutDuplicated}, above their reservation ${t.cutAboveReservation}`,
    `   refused before an answer ${t.failedBeforeAnswer} (${JSON.stringify(t.failures)}), of which charged ${t.failedCharged}; charges the client never saw an id for ${t.unseenCharges}`,
    `5. exactly once: ${k.sent} streamed requests from ${f.size.killClients} clients; ${k.killed} SIGKILLed with ${k.inFlightOnKilledAtKill} of them in flight (${k.respondingOnKilledAtKill} streaming)`,
    `   per instance: ${k.perInstance.map((p) => `${p.instance} ${p.sent} sent / ${p.refusedConnections} refused connections`).join(', ')}`,
    `   completed ([DONE]) ${k.completed}: charged once ${k.completedChargedOnce}, uncharged ${k.completedUncharged}, charged twice or more ${k.completedDuplicated}`,
    `   cut by the kill ${k.cut}: charged once ${k.cutCharged} (at the bound by recovery: ${k.cutRecoveredAtBound}), uncharged ${k.cutUncharged} (they had delivered ${k.cutUnchargedContentEvents} content events), twice or more ${k.cutDuplicated}, above their reservation ${k.cutAboveReservation}`,
    `   cut streams delivered ${k.cutDeliveredContentEvents} content events; charged ${k.cutChargedOutputTokens} output tokens, ${usd(k.cutChargedMicroUsd)} of ${usd(k.cutReservedMicroUsd)} reserved` +
      ' (a request whose instance died is charged at its bounds by recovery, not for what it delivered: docs/trusting-nodes.md, "At the bound")',
    `   failed before an answer ${k.failedBeforeAnswer} (${JSON.stringify(k.failures)}); charges the client never saw an id for ${k.unseenCharges}; duplicate UsageRecorded overall ${k.duplicateEventsOverall}; recovery took ${(k.recoveryWaitMs / 1000).toFixed(1)} s`,
    `6. books: trial balance debits ${b.debitsMicroUsd} credits ${b.creditsMicroUsd} net ${b.netMicroUsd}; projections:verify exit ${b.verifyExitCode} (${b.verifyOk ? 'no difference' : `differences in ${b.verifyTablesWithDifferences.join(', ')}`})`,
    `crashes (processes that exited on their own): ${f.crashes.length === 0 ? 'none' : f.crashes.map((c) => `${c.instance} ${c.how}:\n${c.lastOutput}`).join('\n')}`,
    '',
    `stages (s): ${Object.entries(f.stageMs)
      .map(([name, ms]) => `${name} ${(ms / 1000).toFixed(1)}`)
      .join(', ')}`,
  ].join('\n');
}

/** The rules, as checked by the script and asserted one by one by the jest suite. Empty = all held. */
export function failures(f: ProofFigures): string[] {
  const out: string[] = [];
  const o = f.overspend;
  if (o.completed === 0 || o.refused402 === 0) out.push('overspend: the balance was not drained (no completion or no 402)');
  if (o.chargedMicroUsd > o.balanceMicroUsd + o.reservationMicroUsd) out.push(`overspend: charged ${o.chargedMicroUsd} > balance + one reservation`);
  if (f.revocation.refusedAfterMs.some((x) => !(x.ms < 1_000))) out.push('revocation: an instance accepted a revoked key for 1 s or more');
  const l = f.rateLimit;
  if (l.allowed > l.limitPerMinute * (l.oneWindow ? 1 : 2)) out.push(`rate limit: allowed ${l.allowed} > limit ${l.limitPerMinute} (one window's tolerance)`);
  if (l.oneWindow && l.allowed < l.limitPerMinute) out.push(`rate limit: allowed ${l.allowed} < limit ${l.limitPerMinute}`);
  const k = f.kill;
  if (k.completed === 0) out.push('exactly once: nothing completed');
  if (k.completedChargedOnce !== k.completed) out.push(`exactly once: ${k.completedUncharged} completed uncharged, ${k.completedDuplicated} charged twice`);
  if (k.cutDuplicated > 0 || k.cutAboveReservation > 0) out.push('exactly once: a cut request charged twice or above its reservation');
  if (k.duplicateEventsOverall !== 0) out.push('exactly once: duplicate UsageRecorded events');
  const t = f.tunnel;
  if (t.completed < t.target) out.push(`tunnel: ${t.completed} of ${t.target} streams completed`);
  if (t.reconnects < 2) out.push(`tunnel: the agent reconnected ${t.reconnects} times, not twice`);
  if (t.tunnelsPerInstance.some((p) => p.sent === 0)) out.push('tunnel: an instance received no request');
  if (t.completedChargedOnce !== t.completed) out.push(`tunnel: ${t.completedUncharged} completed uncharged, ${t.completedDuplicated} charged twice`);
  if (t.cutChargedOnce !== t.cut || t.cutAboveReservation > 0)
    out.push(`tunnel: of ${t.cut} cut streams ${t.cutUncharged} uncharged, ${t.cutDuplicated} charged twice, ${t.cutAboveReservation} above their reservation`);
  if (t.failedCharged > 0 || t.unseenCharges > 0) out.push(`tunnel: ${t.failedCharged} refused requests charged, ${t.unseenCharges} charges for requests never answered`);
  if (f.crashes.length > 0) out.push(`crashed: ${f.crashes.map((c) => `${c.instance} (${c.how})`).join(', ')}`);
  const b = f.books;
  if (b.netMicroUsd !== '0') out.push(`books: trial balance net ${b.netMicroUsd}`);
  if (b.verifyExitCode !== 0 || !b.verifyOk) out.push('books: projections:verify found differences');
  return out;
}
