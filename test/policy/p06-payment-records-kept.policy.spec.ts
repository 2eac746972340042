import { Position } from '../../src/platform/event-store/event-store.port';
import { BalanceFeeder } from '../../src/ledger/spending/balance-feeder';
import { CreditsService } from '../../src/ledger/credits.service';
import { creditsStream } from '../../src/ledger/credits.events';
import { developerAccount } from '../../src/ledger/ledger-accounts';
import { LedgerQueries } from '../../src/ledger/ledger.queries';
import { AuthTestApp, newBrowser, register, startAuthApp } from '../auth/auth-app';
import { DAY_MS, readAll, services, verify } from './retention-support';

jest.setTimeout(120_000);

describe('P6: payment and wallet records are kept for the legal period', () => {
  let t: AuthTestApp;
  beforeAll(async () => {
    t = await startAuthApp('p06');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('the retention sweep removes no wallet event and no ledger record, even at the edge of PAYMENT_RECORD_RETENTION_YEARS', async () => {
    const accountId = await register(newBrowser(), t.url, 'p06@example.com');
    const credits = t.app.get(CreditsService);
    const ctx = { actorId: 'operator:test', occurredAt: new Date().toISOString() };
    const { position } = await credits.grant(accountId, 5_000_000n, 'goodwill', ctx);
    await t.app.get(BalanceFeeder).waitUntilPassed(position as Position);
    await credits.correct(accountId, -1_250_000n, 'over-grant', ctx);
    await t.caughtUp();
    const { store, db, sweep } = services(t.app);
    const stream = creditsStream(accountId);
    const events = await readAll(store, stream);
    expect(events.length).toBeGreaterThanOrEqual(2);
    const ledger = t.app.get(LedgerQueries);
    const totals = await ledger.accountTotals(developerAccount(accountId));
    const trial = await ledger.trialBalance();
    const txs = await db.selectFrom('ledger_transactions').select(['event_id', 'type', 'amount_micro_usd']).orderBy('tx_no').execute();
    const postings = await db.selectFrom('ledger_postings').selectAll().orderBy('tx_no').orderBy('posting_no').execute();
    expect(txs.length).toBeGreaterThanOrEqual(2);

    const years = t.config.retention.paymentRecordYears;
    for (const days of [91, 181, 365 * years - 1]) {
      const report = await sweep.sweep(new Date(Date.now() + days * DAY_MS));
      expect(report.usageDaysSummarized).toBe(0);
    }
    await t.caughtUp();
    expect((await readAll(store, stream)).map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect(await db.selectFrom('ledger_transactions').select(['event_id', 'type', 'amount_micro_usd']).orderBy('tx_no').execute()).toEqual(txs);
    expect(await db.selectFrom('ledger_postings').selectAll().orderBy('tx_no').orderBy('posting_no').execute()).toEqual(postings);
    expect(await ledger.accountTotals(developerAccount(accountId))).toEqual(totals);
    expect((await ledger.trialBalance()).totals).toEqual(trial.totals);
    expect((await verify(t.app)).ok).toBe(true);
  });
});
