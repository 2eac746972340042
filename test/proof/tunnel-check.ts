import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'pg';
import type { NodeAgent } from '../../src/node-agent/node-agent';
import { Balancer } from './balancer';
import { chat, Seen } from './client';
import { Instance } from './cluster';
import { chargesOf, failuresOf, intentsSettled } from './money-checks';
import { PROOF_TUNNEL_MODEL } from './provision';

export interface TunnelFigures {
  /** Completed responses the check ran until. */
  target: number;
  clients: number;
  sent: number;
  elapsedMs: number;
  /** Tunnels the agent opened during the check beyond the one it had (each after a cut). */
  reconnects: number;
  cuts: number;
  /** Tunnel connections each instance was given during the check (the balancer picks in turn). */
  tunnelsPerInstance: { instance: string; tunnels: number; sent: number }[];
  completed: number;
  completedChargedOnce: number;
  completedUncharged: number;
  completedDuplicated: number;
  /** Streams that began (200) and broke before [DONE]: their tunnel was cut under them. */
  cut: number;
  cutChargedOnce: number;
  cutUncharged: number;
  cutDuplicated: number;
  cutAboveReservation: number;
  failedBeforeAnswer: number;
  /** A request the client saw refused (no node while the tunnel was down) but that was charged. */
  failedCharged: number;
  failures: Record<string, number>;
  /** Charges on the key whose request the client never saw an id for. */
  unseenCharges: number;
}

/**
 * 4. A node behind NAT (its agent dials out through the balancer, so its tunnel lands on one instance
 * and the others relay to it) serves `target` completed streams sent round-robin over every instance,
 * while the balancer cuts the tunnel twice under load (a NAT mapping that expires): the agent
 * reconnects, through the balancer, to whichever instance is next. Every request is then matched to
 * its charge: completed and cut ones exactly once (the instances stayed up, so a cut stream is
 * charged for what it delivered), refused ones never.
 */
export async function checkTunnel(
  pool: Pool,
  lb: Balancer,
  apis: Instance[],
  agent: NodeAgent,
  load: { key: string; keyId: string; clients: number; target: number },
): Promise<TunnelFigures> {
  const tunnel = agent.tunnel;
  if (!tunnel) throw new Error('the agent does not run a tunnel');
  const started = Date.now();
  const connects0 = tunnel.connects;
  const upgrades0 = [...lb.upgrades];
  const sent0 = [...lb.sent];
  const seen: Seen[] = [];
  let completed = 0;
  const done = () => completed >= load.target || seen.length >= load.target * 3;

  // The saboteur: a cut at a third of the target and at two thirds, each once the tunnel is back up.
  let cuts = 0;
  const sabotage = (async () => {
    for (const at of [load.target / 3, (2 * load.target) / 3]) {
      while (!done() && (completed < at || !tunnel.up)) await sleep(5);
      if (done()) return;
      if (lb.cutUpgrades() > 0) cuts++;
    }
  })();
  await Promise.all(
    Array.from({ length: load.clients }, async () => {
      while (!done()) {
        const s = await chat(lb.url, load.key, true, PROOF_TUNNEL_MODEL);
        seen.push(s);
        if (s.done) completed++;
        else if (s.status !== 200) await sleep(50); // no node while the tunnel is away (or resting): ask again shortly
      }
    }),
  );
  await sabotage;
  const elapsedMs = Date.now() - started;
  // The last cut's reconnect may still be under way.
  for (const until = Date.now() + 10_000; tunnel.connects - connects0 < cuts && Date.now() < until;) await sleep(20);
  await intentsSettled(pool);

  const charges = await chargesOf(pool, `data->>'keyId' = $1`, load.keyId);
  const eventsOf = (s: Seen) => (s.requestId ? (charges.get(s.requestId)?.events ?? 0) : 0);
  const completedSeen = seen.filter((s) => s.done);
  const cut = seen.filter((s) => s.status === 200 && !s.done);
  const failed = seen.filter((s) => s.status !== 200);
  const seenIds = new Set(seen.map((s) => s.requestId).filter((id): id is string => id !== null));
  return {
    target: load.target,
    clients: load.clients,
    sent: seen.length,
    elapsedMs,
    reconnects: tunnel.connects - connects0,
    cuts,
    tunnelsPerInstance: apis.map((a, i) => ({ instance: a.name, tunnels: lb.upgrades[i] - upgrades0[i], sent: lb.sent[i] - sent0[i] })),
    completed: completedSeen.length,
    completedChargedOnce: completedSeen.filter((s) => eventsOf(s) === 1).length,
    completedUncharged: completedSeen.filter((s) => eventsOf(s) === 0).length,
    completedDuplicated: completedSeen.filter((s) => eventsOf(s) > 1).length,
    cut: cut.length,
    cutChargedOnce: cut.filter((s) => eventsOf(s) === 1).length,
    cutUncharged: cut.filter((s) => eventsOf(s) === 0).length,
    cutDuplicated: cut.filter((s) => eventsOf(s) > 1).length,
    cutAboveReservation: cut.filter((s) => {
      const c = s.requestId ? charges.get(s.requestId) : undefined;
      return c !== undefined && c.costMicroUsd > c.reservedMicroUsd;
    }).length,
    failedBeforeAnswer: failed.length,
    failedCharged: failed.filter((s) => (s.requestId ? (charges.get(s.requestId)?.costMicroUsd ?? 0n) > 0n : false)).length,
    failures: failuresOf(failed),
    unseenCharges: [...charges.keys()].filter((id) => !seenIds.has(id)).length,
  };
}
