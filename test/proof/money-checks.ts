import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'pg';
import { Balancer } from './balancer';
import { chat, keyStatus, Seen } from './client';
import { Cluster, Instance } from './cluster';
import { PROOF_PASSWORD } from './provision';
import { waitFor } from '../support/eventually';
import { signIn } from '../support/sign-in';

/** The UsageRecorded events (the charges) of some requests, from the event store's table: the source of truth. */
export interface Charge {
  requestId: string;
  events: number;
  costMicroUsd: bigint;
  reservedMicroUsd: bigint;
  outputTokens: number;
  recovered: string | null;
  status: string;
}

export async function chargesOf(pool: Pool, where: string, param: unknown): Promise<Map<string, Charge>> {
  const { rows } = await pool.query<{ id: string; n: string; cost: string; reserved: string | null; out: number; recovered: string | null; status: string }>(
    `SELECT data->>'requestId' AS id, count(*) AS n, sum((data->>'costMicroUsd')::bigint)::text AS cost, max(data->>'reservedMicroUsd') AS reserved,
            max((data->>'outputTokens')::int) AS out, max(data->>'recovered') AS recovered, max(data->>'status') AS status
       FROM events WHERE event_type = 'UsageRecorded' AND ${where} GROUP BY 1`,
    [param],
  );
  return new Map(
    rows.map((r) => [
      r.id,
      {
        requestId: r.id,
        events: Number(r.n),
        costMicroUsd: BigInt(r.cost),
        reservedMicroUsd: BigInt(r.reserved ?? '0'),
        outputTokens: r.out,
        recovered: r.recovered,
        status: r.status,
      },
    ]),
  );
}

export const sum = (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n);

/** Client loops that each send streamed requests one after another until `stop()` says so. */
export async function loops(clients: number, send: () => Promise<Seen>, stop: (seen: Seen[], mine: Seen[]) => boolean): Promise<Seen[]> {
  const seen: Seen[] = [];
  await Promise.all(
    Array.from({ length: clients }, async () => {
      const mine: Seen[] = [];
      while (!stop(seen, mine)) {
        const s = await send();
        seen.push(s);
        mine.push(s);
        if (s.status === 402) await sleep(10); // holds in flight may free credits: ask again shortly
      }
    }),
  );
  return seen;
}

export interface OverspendFigures {
  balanceMicroUsd: bigint;
  sent: number;
  completed: number;
  refused402: number;
  other: number;
  chargedMicroUsd: bigint;
  /** The largest single reservation: the bound on overspend. */
  reservationMicroUsd: bigint;
  overspendMicroUsd: bigint;
  remainingMicroUsd: bigint;
}

/** 1. A small balance drained by concurrent streams through the balancer (so over every instance). */
export async function checkOverspend(pool: Pool, lb: Balancer, account: { accountId: string; key: string; balanceMicroUsd: bigint }, clients: number): Promise<OverspendFigures> {
  // A loop stops after 5 refusals in a row: by then the balance left is below one reservation for good.
  const seen = await loops(
    clients,
    () => chat(lb.url, account.key),
    (all, mine) => all.length >= 5_000 || (mine.length >= 5 && mine.slice(-5).every((s) => s.status === 402)),
  );
  const charges = [...(await chargesOf(pool, `data->>'accountId' = $1`, account.accountId)).values()];
  const charged = sum(charges.map((c) => c.costMicroUsd));
  const reservation = charges.reduce((m, c) => (c.reservedMicroUsd > m ? c.reservedMicroUsd : m), 0n);
  const over = charged - account.balanceMicroUsd;
  return {
    balanceMicroUsd: account.balanceMicroUsd,
    sent: seen.length,
    completed: seen.filter((s) => s.done).length,
    refused402: seen.filter((s) => s.status === 402).length,
    other: seen.filter((s) => !s.done && s.status !== 402).length,
    chargedMicroUsd: charged,
    reservationMicroUsd: reservation,
    overspendMicroUsd: over > 0n ? over : 0n,
    remainingMicroUsd: account.balanceMicroUsd - charged,
  };
}

export interface RevocationFigures {
  /** Per instance: ms from the revoke call's answer to the instance's first 401 (polled back to back). */
  refusedAfterMs: { instance: string; ms: number }[];
  revokeCallMs: number;
}

/** 2. A key issued and revoked through the API (over the balancer); every instance polled directly. */
export async function checkRevocation(lbUrl: string, apis: Instance[], email: string): Promise<RevocationFigures> {
  // Signed in through the balancer (password), as the console does.
  const browser = await signIn(lbUrl, email, { password: PROOF_PASSWORD });
  const issued = await browser.post(`${lbUrl}/me/keys`, { name: 'to revoke' });
  if (issued.status !== 201) throw new Error(`key issue failed: ${issued.status} ${issued.text}`);
  const { key, apiKey } = issued.body as { key: string; apiKey: { id: string } };
  // Every instance has the key verified and cached: the revocation must reach its memory, not a cold lookup.
  for (const api of apis) for (let i = 0; i < 2; i++) if ((await keyStatus(api.url, key)) !== 200) throw new Error(`${api.name} refused a fresh key`);

  const calledAt = performance.now();
  const revoked = await browser.post(`${lbUrl}/me/keys/${apiKey.id}/revoke`);
  if (revoked.status !== 204) throw new Error(`revoke failed: ${revoked.status} ${revoked.text}`);
  const revokedAt = performance.now();
  const refusedAfterMs = await Promise.all(
    apis.map(async (api) => {
      for (;;) {
        const status = await keyStatus(api.url, key);
        const ms = performance.now() - revokedAt;
        if (status === 401) return { instance: api.name, ms };
        if (ms > 5_000) return { instance: api.name, ms: Infinity };
      }
    }),
  );
  return { refusedAfterMs, revokeCallMs: revokedAt - calledAt };
}

export interface RateLimitFigures {
  limitPerMinute: number;
  sent: number;
  allowed: number;
  refused429: number;
  other: number;
  /** Whether the burst stayed inside one fixed one-minute window (else up to two windows' worth may pass). */
  oneWindow: boolean;
}

/** 3. A burst of 3 × the key's per-minute limit, round-robin over the instances. */
export async function checkRateLimit(lbUrl: string, key: string, limitPerMinute: number, clients: number): Promise<RateLimitFigures> {
  // Fixed windows of one minute: start the burst at least 5 s before a window ends.
  if (Date.now() % 60_000 > 55_000) await sleep(60_000 - (Date.now() % 60_000) + 100);
  const window0 = Math.floor(Date.now() / 60_000);
  const total = limitPerMinute * 3;
  let sent = 0;
  const seen = await loops(
    clients,
    () => chat(lbUrl, key, false),
    () => sent++ >= total,
  );
  const oneWindow = Math.floor(Date.now() / 60_000) === window0;
  return {
    limitPerMinute,
    sent: seen.length,
    allowed: seen.filter((s) => s.status === 200).length,
    refused429: seen.filter((s) => s.status === 429).length,
    other: seen.filter((s) => s.status !== 200 && s.status !== 429).length,
    oneWindow,
  };
}

export interface KillFigures {
  killed: string;
  inFlightOnKilledAtKill: number;
  /** Of those, responses already flowing to their clients. */
  respondingOnKilledAtKill: number;
  sent: number;
  perInstance: { instance: string; sent: number; refusedConnections: number }[];
  completed: number;
  completedChargedOnce: number;
  completedUncharged: number;
  completedDuplicated: number;
  cut: number;
  cutCharged: number;
  cutUncharged: number;
  cutDuplicated: number;
  cutRecoveredAtBound: number;
  /** Charges of cut requests above their reservation (must be 0). */
  cutAboveReservation: number;
  cutDeliveredContentEvents: number;
  /** Content events delivered by cut requests that no charge covers (the instance died before their intent was durable). */
  cutUnchargedContentEvents: number;
  cutChargedMicroUsd: bigint;
  cutReservedMicroUsd: bigint;
  cutChargedOutputTokens: number;
  failedBeforeAnswer: number;
  /** What those failures were: "502 load_balancer", "0" (the connection broke before any status), … */
  failures: Record<string, number>;
  /** Charges on the load key whose request the client never saw an id for. */
  unseenCharges: number;
  /** Over every UsageRecorded event in the store: events minus distinct request ids. */
  duplicateEventsOverall: number;
  recoveryWaitMs: number;
}

/** Waits until no durable usage intent is open (every request charged, or recovered by the worker); answers the wait in ms. */
export async function intentsSettled(pool: Pool): Promise<number> {
  const started = Date.now();
  await waitFor(
    async () => (await pool.query<{ n: string }>(`SELECT count(*) AS n FROM usage_intents`)).rows[0].n === '0',
    30_000,
    'every usage intent to be charged or recovered',
    100,
  );
  return Date.now() - started;
}

/** What the clients saw that failed before an answer, by status and code ("503 model_unavailable", "0" = the connection broke first). */
export function failuresOf(seen: Seen[]): Record<string, number> {
  return seen
    .filter((s) => s.status !== 200)
    .reduce<Record<string, number>>((m, s) => {
      const what = `${s.status}${s.code ? ` ${s.code}` : ''}`;
      m[what] = (m[what] ?? 0) + 1;
      return m;
    }, {});
}

/**
 * 4. Streams over all instances; one instance SIGKILLed while it has streams in flight. Then waits for
 * the durable intents of the killed instance to be recovered (charged by the worker) and counts.
 */
export async function checkKill(
  pool: Pool,
  lb: Balancer,
  cluster: Cluster,
  victim: number,
  load: { key: string; keyId: string; clients: number; beforeKillMs: number; afterKillMs: number },
): Promise<KillFigures> {
  const started = Date.now();
  const sent0 = [...lb.sent];
  const refused0 = [...lb.refused];
  let stopAt = Infinity;
  const running = loops(
    load.clients,
    () => chat(lb.url, load.key),
    () => Date.now() >= stopAt,
  );
  await sleep(load.beforeKillMs);
  // Kill when the victim is relaying at least two responses, so some streams are cut midway.
  while (lb.responding[victim] < 2 && Date.now() - started < load.beforeKillMs + 5_000) await sleep(5);
  const inFlight = lb.active[victim];
  const responding = lb.responding[victim];
  await cluster.kill(cluster.apis[victim]);
  stopAt = Date.now() + load.afterKillMs;
  const seen = await running;

  const recoveryWaitMs = await intentsSettled(pool);

  const charges = await chargesOf(pool, `data->>'keyId' = $1`, load.keyId);
  const completed = seen.filter((s) => s.done);
  const cut = seen.filter((s) => s.status === 200 && !s.done);
  const seenIds = new Set(seen.map((s) => s.requestId).filter((id): id is string => id !== null));
  const eventsOf = (s: Seen) => charges.get(s.requestId as string)?.events ?? 0;
  const cutCharges = cut.map((s) => charges.get(s.requestId as string)).filter((c): c is Charge => c !== undefined);
  const { rows: dup } = await pool.query<{ n: string; ids: string }>(
    `SELECT count(*) AS n, count(DISTINCT data->>'requestId') AS ids FROM events WHERE event_type = 'UsageRecorded'`,
  );
  return {
    killed: cluster.apis[victim].name,
    inFlightOnKilledAtKill: inFlight,
    respondingOnKilledAtKill: responding,
    sent: seen.length,
    perInstance: cluster.apis.map((a, i) => ({ instance: a.name, sent: lb.sent[i] - sent0[i], refusedConnections: lb.refused[i] - refused0[i] })),
    completed: completed.length,
    completedChargedOnce: completed.filter((s) => eventsOf(s) === 1).length,
    completedUncharged: completed.filter((s) => eventsOf(s) === 0).length,
    completedDuplicated: completed.filter((s) => eventsOf(s) > 1).length,
    cut: cut.length,
    cutCharged: cut.filter((s) => eventsOf(s) === 1).length,
    cutUncharged: cut.filter((s) => eventsOf(s) === 0).length,
    cutDuplicated: cut.filter((s) => eventsOf(s) > 1).length,
    cutRecoveredAtBound: cutCharges.filter((c) => c.recovered === 'bound').length,
    cutAboveReservation: cutCharges.filter((c) => c.costMicroUsd > c.reservedMicroUsd).length,
    cutDeliveredContentEvents: cut.reduce((n, s) => n + s.contentEvents, 0),
    cutChargedOutputTokens: cutCharges.reduce((n, c) => n + c.outputTokens, 0),
    cutUnchargedContentEvents: cut.filter((s) => eventsOf(s) === 0).reduce((n, s) => n + s.contentEvents, 0),
    cutChargedMicroUsd: sum(cutCharges.map((c) => c.costMicroUsd)),
    cutReservedMicroUsd: sum(cutCharges.map((c) => c.reservedMicroUsd)),
    failedBeforeAnswer: seen.filter((s) => s.status !== 200).length,
    failures: failuresOf(seen),
    unseenCharges: [...charges.keys()].filter((id) => !seenIds.has(id)).length,
    duplicateEventsOverall: Number(dup[0].n) - Number(dup[0].ids),
    recoveryWaitMs,
  };
}
