import { Position } from '../../src/platform/event-store/event-store.port';
import { developerAccount } from '../../src/ledger/ledger-accounts';
import { LedgerQueries } from '../../src/ledger/ledger.queries';
import { Posting } from '../../src/ledger/postings';
import { BalanceFeeder } from '../../src/ledger/spending/balance-feeder';
import { CreditHolds } from '../../src/ledger/spending/credit-holds';
import { netPostings, UsageDaySummarized } from '../../src/metering/usage-summary';
import { UsageEvent, usageStream } from '../../src/metering/usage.events';
import { DataExport } from '../../src/privacy/export/data-export';
import { rollUpDay, summaryEventId } from '../../src/privacy/retention/usage-rollup';
import { recordUsage } from '../../src/metering/usage-recorder';
import { InferenceHarness, MODEL, startInferenceHarness } from '../inference/harness';
import { DAY_MS, readAll, services, verify } from './retention-support';

jest.setTimeout(120_000);

describe('P5: usage detail older than the retention window is gone; aggregates are kept', () => {
  let h: InferenceHarness;
  beforeAll(async () => {
    h = await startInferenceHarness('p05');
  });
  afterAll(async () => {
    await h?.close();
  });

  async function settled() {
    await h.t.caughtUp();
    const head = await services(h.t.app).store.headPosition();
    await h.t.app.get(BalanceFeeder).waitUntilPassed(head as Position);
  }

  async function snapshot(accountId: string) {
    const ledger = h.t.app.get(LedgerQueries);
    const statement = await ledger.statement(developerAccount(accountId), { limit: 500 });
    return {
      totals: await ledger.accountTotals(developerAccount(accountId)),
      trial: await ledger.trialBalance(),
      statement,
      statementSum: statement.items.reduce((s, l) => s + BigInt(l.amountMicroUsd), 0n),
      redis: await h.t.app.get(CreditHolds).peek(accountId),
    };
  }

  it('rolls an old day of real /v1 traffic into one summary, removes the detail, and every balance, statement total and read model stays the same', async () => {
    const dev = await h.developer(10n);
    for (let i = 0; i < 3; i++) await dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: `hello ${i}` }], max_tokens: 16 });
    const stream = await dev.openai.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'stream please' }],
      max_tokens: 16,
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const chunk of stream) void chunk;
    await settled();

    const { store, sweep, db } = services(h.t.app);
    const now = new Date();
    const day = usageStream(dev.accountId, now.toISOString());
    const details = await readAll(store, day);
    expect(details.map((e) => e.type)).toEqual(['UsageRecorded', 'UsageRecorded', 'UsageRecorded', 'UsageRecorded']);
    const before = await snapshot(dev.accountId);
    expect(BigInt(before.totals.balanceMicroUsd)).toBeLessThan(0n); // credit-normal, spent some of $10
    const detailCost = details.reduce((s, e) => s + BigInt((e.data as UsageEvent['data']).costMicroUsd), 0n);
    expect(detailCost).toBeGreaterThan(0n);

    // 90 days on, the day is the first one kept: untouched.
    const inside = await sweep.sweep(new Date(now.getTime() + 90 * DAY_MS));
    expect(inside.usageDaysSummarized).toBe(0);
    expect((await readAll(store, day)).map((e) => e.id)).toEqual(details.map((e) => e.id));

    // 91 days on, it is past the window.
    const past = await sweep.sweep(new Date(now.getTime() + 91 * DAY_MS));
    expect(past).toMatchObject({ usageDaysSummarized: 1, usageEventsRemoved: 4 });
    const left = await readAll(store, day);
    expect(left.map((e) => [e.type, e.revision])).toEqual([['UsageDaySummarized', 4n]]);
    const summary = left[0].data as UsageDaySummarized['data'];
    const detailData = details.map((e) => e.data as UsageEvent['data']);
    expect(summary).toMatchObject({ accountId: dev.accountId, day: day.slice(-10), throughRevision: '3', requests: 4, costMicroUsd: detailCost.toString() });
    expect(summary.postings).toEqual(netPostings(detailData.flatMap((d) => d.postings as Posting[])));
    expect(summary.groups.reduce((s, g) => s + g.outputTokens, 0)).toBe(detailData.reduce((s, d) => s + d.outputTokens, 0));
    expect(summary.groups.reduce((s, g) => s + g.inputTokens, 0)).toBe(detailData.reduce((s, d) => s + d.inputTokens, 0));
    // No detail event is readable any more, by id or from the start.
    expect(left.some((e) => details.some((d) => d.id === e.id))).toBe(false);
    // The person's export (P7) now shows the day as its summary.
    const chunks: string[] = [];
    await h.t.app.get(DataExport).write(dev.accountId, { write: async (chunk) => void chunks.push(chunk) }, now.toISOString());
    const exported = JSON.parse(chunks.join('')) as { usage: { kind: string }[] };
    expect(exported.usage).toEqual([expect.objectContaining({ kind: 'daySummary', day: day.slice(-10), requests: 4, costMicroUsd: detailCost.toString() })]);

    await settled();
    const after = await snapshot(dev.accountId);
    expect(after.totals.balanceMicroUsd).toBe(before.totals.balanceMicroUsd);
    expect(after.trial.totals).toEqual(before.trial.totals);
    expect(after.trial.platform.map((p) => [p.account, p.balanceMicroUsd])).toEqual(before.trial.platform.map((p) => [p.account, p.balanceMicroUsd]));
    expect(after.statementSum).toBe(before.statementSum);
    expect(after.statement.items[0].balanceAfterMicroUsd).toBe(before.statement.items[0].balanceAfterMicroUsd);
    // Four charge lines became one summary line carrying their total.
    expect(before.statement.items.filter((l) => l.type === 'UsageRecorded')).toHaveLength(4);
    const lines = after.statement.items.filter((l) => l.type.startsWith('Usage'));
    expect(lines.map((l) => [l.type, l.reference, l.amountMicroUsd])).toEqual([['UsageDaySummarized', day.slice(-10), (-detailCost).toString()]]);
    expect(before.redis).not.toBeNull();
    expect(after.redis?.balanceMicroUsd).toBe(before.redis?.balanceMicroUsd);
    expect(after.totals.entries).toBe(String(after.statement.items.length));
    const index = await db.selectFrom('stream_index').selectAll().where('stream', '=', day).executeTakeFirstOrThrow();
    expect(index).toMatchObject({ event_count: '1', last_event_type: 'UsageDaySummarized', revision: '4' });

    // Live rows equal a rebuild from what is stored now (the summary alone).
    const report = await verify(h.t.app);
    expect(report.tables.filter((t) => t.onlyLive || t.onlyRebuilt)).toEqual([]);
    expect(report.ok).toBe(true);

    // Again: nothing left to do.
    const again = await sweep.sweep(new Date(now.getTime() + 91 * DAY_MS));
    expect(again).toMatchObject({ usageDaysSummarized: 0, usageEventsRemoved: 0 });
  });

  it('finishes a roll-up that crashed between the summary and the removal, and summarises a late charge with the earlier summary', async () => {
    const dev = await h.developer(1n);
    const { store, sweep, db } = services(h.t.app);
    const now = Date.now();
    const at = new Date(now - 200 * DAY_MS).toISOString();
    const charge = (n: number) => ({
      type: 'RecordUsage' as const,
      requestId: `late-charge-${dev.accountId.slice(0, 8)}-${n}`,
      accountId: dev.accountId,
      keyId: dev.keyId,
      model: MODEL,
      endpoint: 'chat.completions' as const,
      nodeId: h.nodeIds[0],
      providerId: h.providerId,
      status: 'completed' as const,
      inputTokens: 10,
      outputTokens: 20 + n,
      images: 0,
      estimated: false,
      ttftMs: 5,
      latencyMs: 40 + n,
      costMicroUsd: 1_000n + BigInt(n),
      providerShareBps: 7_000,
      at,
    });
    const ctx = { actorId: 'operator:test', occurredAt: at };
    await recordUsage(store, charge(1), ctx);
    await recordUsage(store, charge(2), ctx);
    const day = usageStream(dev.accountId, at);

    // The sweep's first half, then a "crash": the summary is stored, the details are not removed.
    const events = await readAll(store, day);
    const rollUp = rollUpDay(day, events, new Date().toISOString())!;
    await db.insertInto('retention_pending_truncations').values({ stream: day }).execute();
    await store.append(
      day,
      [{ id: summaryEventId(day, rollUp.expectedRevision), type: rollUp.event.type, data: rollUp.event.data, metadata: { occurredAt: rollUp.occurredAt } }],
      rollUp.expectedRevision,
    );
    await settled();
    const before = await snapshot(dev.accountId);

    const report = await sweep.sweep(new Date(now));
    expect(report.truncationsFinished).toBeGreaterThanOrEqual(1);
    expect((await readAll(store, day)).map((e) => e.type)).toEqual(['UsageDaySummarized']);
    expect(await db.selectFrom('retention_pending_truncations').selectAll().execute()).toEqual([]);

    // A charge recorded late for that day: summarised again together with the first summary.
    await recordUsage(store, charge(3), ctx);
    await settled();
    const withLate = await snapshot(dev.accountId);
    expect(BigInt(withLate.totals.balanceMicroUsd) - BigInt(before.totals.balanceMicroUsd)).toBe(1_003n);
    expect((await sweep.sweep(new Date(now))).usageDaysSummarized).toBeGreaterThanOrEqual(1);
    const left = await readAll(store, day);
    expect(left.map((e) => e.type)).toEqual(['UsageDaySummarized']);
    expect(left[0].data).toMatchObject({ requests: 3, costMicroUsd: String(1_001 + 1_002 + 1_003) });
    await settled();
    expect((await snapshot(dev.accountId)).totals.balanceMicroUsd).toBe(withLate.totals.balanceMicroUsd);
    expect((await verify(h.t.app)).ok).toBe(true);
  });
});
