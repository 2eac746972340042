import { sharedSmtpSink } from '../support/smtp-sink';
import { AccountsService } from '../../src/accounts/accounts.service';
import { Role } from '../../src/platform/access/roles';
import { EVENT_STORE, EventStore, Position } from '../../src/platform/event-store/event-store.port';
import { CreditsService } from '../../src/ledger/credits.service';
import { LedgerQueries } from '../../src/ledger/ledger.queries';
import { BalanceFeeder } from '../../src/ledger/spending/balance-feeder';
import { ProviderInvitesService } from '../../src/nodes/invites/provider-invites.service';
import { PaymentCredits } from '../../src/payments/payment-credits';
import { READ_MODELS_CHECKPOINT } from '../../src/platform/projection-runtime/checkpoint';
import { verifyProjections } from '../../src/platform/projection-runtime/verify';
import { payoutStream } from '../../src/payouts/payout.events';
import { payoutsProjection } from '../../src/payouts/payouts.projection';
import { ledgerProjection } from '../../src/ledger/ledger.projection';
import { newBrowser } from '../auth/auth-app';
import { ctx, Developer, InferenceHarness, MODEL, startInferenceHarness } from '../inference/harness';
import { Browser } from '../support/browser';
import { eventually } from '../support/eventually';
import { AGREED, PROVIDER_TERMS_AGREED } from '../support/eligibility';
import { signIn } from '../support/sign-in';

const PASSWORD = 'correct horse battery staple';
const MINIMUM_MICRO_USD = 10_000n; // 0.01 USD, so test traffic earns enough to pay out
const HOLDBACK_MS = 4_000;
const usd = (micro: bigint) => `${micro / 1_000_000n}.${(micro % 1_000_000n).toString().padStart(6, '0')}`;

describe('provider payouts: availability that never over-states, finance approval, isolation, the adjustment rule', () => {
  let h: InferenceHarness;
  let url: string;
  let store: EventStore;
  let provider: Browser;
  let otherProvider: Browser;
  let developerBrowser: Browser;
  let finance: { accountId: string; browser: Browser };
  let finance2: { accountId: string; browser: Browser };
  let admin: { accountId: string; browser: Browser };
  let dev: Developer;

  async function staff(email: string, roles: Role[]) {
    const { accountId } = await h.t.app.get(AccountsService).register({ email, password: PASSWORD, via: 'cli', eligibility: AGREED, roles }, ctx());
    return { accountId, browser: await signIn(url, email) };
  }
  /** The provider's share of every charge the events record, split at `cutoff` by when it was recorded. */
  async function earningsFromEvents(providerId: string, cutoff: Date): Promise<{ earned: bigint; held: bigint }> {
    const rows = await h.t.database.db.selectFrom('events').select(['data', 'metadata']).where('event_type', '=', 'UsageRecorded').execute();
    let earned = 0n;
    let held = 0n;
    for (const r of rows) {
      const data = r.data as { providerId: string | null; providerShareMicroUsd: string };
      if (data.providerId !== providerId) continue;
      earned += BigInt(data.providerShareMicroUsd);
      if (Date.parse((r.metadata as { occurredAt: string }).occurredAt) > cutoff.getTime()) held += BigInt(data.providerShareMicroUsd);
    }
    return { earned, held };
  }
  const available = async (browser = provider) => (await browser.get(`${url}/provider/payouts/available`)).body;
  async function traffic(d: Developer, images: number): Promise<void> {
    for (let i = 0; i < images; i++) await d.openai.images.generate({ model: MODEL, prompt: 'a lighthouse', n: 2 });
    await d.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] });
    await h.t.caughtUp();
  }

  beforeAll(async () => {
    h = await startInferenceHarness('payouts', { overrides: { payouts: { minimumMicroUsd: MINIMUM_MICRO_USD, holdbackMs: HOLDBACK_MS } } });
    url = h.t.url;
    store = h.t.app.get<EventStore>(EVENT_STORE);
    provider = await signIn(url, 'provider-payouts@example.com');
    const { accountId: otherId } = await h.t.app
      .get(AccountsService)
      .register({ email: 'other-provider@example.com', password: PASSWORD, via: 'cli', eligibility: AGREED, roles: [] }, ctx());
    const invite = await h.t.app.get(ProviderInvitesService).issue('other-provider@example.com', ctx());
    await h.t.app.get(ProviderInvitesService).accept(otherId, invite.token, ctx(), PROVIDER_TERMS_AGREED);
    otherProvider = await signIn(url, 'other-provider@example.com');
    finance = await staff('finance@example.com', ['finance']);
    finance2 = await staff('finance2@example.com', ['finance']);
    admin = await staff('admin@example.com', ['admin']);
    await h.t.app.get(AccountsService).register({ email: 'plain-dev@example.com', password: PASSWORD, via: 'cli', eligibility: AGREED, roles: [] }, ctx());
    developerBrowser = await signIn(url, 'plain-dev@example.com');
    dev = await h.developer(5n);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('earnings younger than the holdback are held back and cannot be paid out; they become available once older', async () => {
    await traffic(dev, 3);
    const before = await available();
    const fromEvents = await earningsFromEvents(h.providerId, new Date(before.maturedBefore));
    expect(BigInt(before.earnedMicroUsd)).toBe(fromEvents.earned);
    expect(BigInt(before.heldBackMicroUsd)).toBe(fromEvents.held);
    expect(fromEvents.held).toBeGreaterThan(0n); // the traffic is seconds old, the holdback 4 s
    expect(BigInt(before.availableMicroUsd)).toBe(fromEvents.earned - fromEvents.held);
    const refused = await provider.post(`${url}/provider/payouts`, { amountUsd: usd(fromEvents.earned) });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('payout_exceeds_earnings');

    const after = await eventually(
      async () => {
        const a = await available();
        if (a.heldBackMicroUsd !== '0') throw new Error('still held back');
        return a;
      },
      HOLDBACK_MS * 3,
      200,
    );
    expect(after).toMatchObject({
      earnedMicroUsd: fromEvents.earned.toString(),
      availableMicroUsd: fromEvents.earned.toString(),
      openMicroUsd: '0',
      paidMicroUsd: '0',
      holdbackDays: HOLDBACK_MS / 86_400_000,
    });
  });

  it('refuses a payout below the minimum (400), above what is available (409), or malformed (400)', async () => {
    const a = BigInt((await available()).availableMicroUsd);
    const below = await provider.post(`${url}/provider/payouts`, { amountUsd: usd(MINIMUM_MICRO_USD - 1n) });
    expect([below.status, below.body.code]).toEqual([400, 'payout_below_minimum']);
    const above = await provider.post(`${url}/provider/payouts`, { amountUsd: usd(a + 1n) });
    expect([above.status, above.body.code]).toEqual([409, 'payout_exceeds_earnings']);
    expect((await provider.post(`${url}/provider/payouts`, { amountUsd: 12.5 })).status).toBe(400);
    expect((await provider.post(`${url}/provider/payouts`, { amountUsd: '1.5', extra: 1 })).status).toBe(400);
    expect((await provider.post(`${url}/provider/payouts`, { amountUsd: '1.0000001' })).status).toBe(400);
  });

  it('concurrent requests that together exceed availability: at most the available amount is requested', async () => {
    const a = BigInt((await available()).availableMicroUsd);
    const part = a / 3n;
    expect(part).toBeGreaterThanOrEqual(MINIMUM_MICRO_USD);
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => provider.post(`${url}/provider/payouts`, { amountUsd: usd(part), payoutId: `race-${i}` })));
    const accepted = answers.filter((r) => r.status === 201);
    expect(accepted).toHaveLength(3);
    for (const r of answers.filter((r) => r.status !== 201)) expect([r.status, r.body.code]).toEqual([409, 'payout_exceeds_earnings']);
    // The stream is the truth: what it promised never exceeds what was available.
    const requested = (await store.readStream(payoutStream(h.providerId), { fromRevision: 0n, maxCount: 100 })).filter((e) => e.type === 'PayoutRequested');
    const total = requested.reduce((s, e) => s + BigInt(e.data.amountMicroUsd as string), 0n);
    expect(total).toBe(part * 3n);
    expect(total).toBeLessThanOrEqual(a);
    expect(await available()).toMatchObject({ openMicroUsd: total.toString(), availableMicroUsd: (a - total).toString() });

    // A retry with the same payoutId is a no-op; the same id for another amount is refused.
    const id = accepted[0].body.payoutId as string;
    expect((await provider.post(`${url}/provider/payouts`, { amountUsd: usd(part), payoutId: id })).body).toEqual({ payoutId: id, recorded: false, type: null });
    expect((await provider.post(`${url}/provider/payouts`, { amountUsd: usd(part + 1n), payoutId: id })).body.code).toBe('payout_id_reused');
  });

  it('finance approves, rejects and pays (audited, four eyes); paid money leaves the provider account and the trial balance stays zero', async () => {
    await h.t.caughtUp();
    const queue = (await finance.browser.get(`${url}/finance/payouts?status=requested`)).body.items as {
      payoutId: string;
      providerId: string;
      amountMicroUsd: string;
      requestedBy: string;
    }[];
    expect(queue).toHaveLength(3);
    expect(queue.every((p) => p.providerId === h.providerId && p.requestedBy === h.providerId)).toBe(true);
    expect((await finance.browser.get(`${url}/finance/payouts?status=nonsense`)).status).toBe(400);
    const [toPay, toReject, toLeave] = queue;
    const base = `${url}/finance/payouts/${h.providerId}`;
    const balanceBefore = BigInt((await h.t.app.get(LedgerQueries).accountTotals(`provider:${h.providerId}`)).normalBalanceMicroUsd);
    const availableBefore = BigInt((await available()).availableMicroUsd);

    // Paying needs an approval first; admins read but do not act.
    expect((await finance.browser.post(`${base}/${toPay.payoutId}/paid`, { reference: 'UTR-1' })).body.code).toBe('payout_not_approved');
    expect((await admin.browser.post(`${base}/${toPay.payoutId}/approve`)).status).toBe(403);
    expect((await admin.browser.get(`${url}/finance/payouts`)).status).toBe(200);
    expect((await finance.browser.post(`${base}/${toPay.payoutId}/approve`)).body).toEqual({ payoutId: toPay.payoutId, recorded: true, type: 'PayoutApproved' });
    // Four eyes: whoever approved cannot also mark it paid.
    const selfPaid = await finance.browser.post(`${base}/${toPay.payoutId}/paid`, { reference: 'UTR-1' });
    expect([selfPaid.status, selfPaid.body.code]).toEqual([409, 'second_approver_required']);
    expect((await finance2.browser.post(`${base}/${toPay.payoutId}/paid`, { reference: 'UTR-1' })).body).toEqual({ payoutId: toPay.payoutId, recorded: true, type: 'PayoutPaid' });
    expect((await finance.browser.post(`${base}/${toReject.payoutId}/reject`, {})).status).toBe(400);
    expect((await finance.browser.post(`${base}/${toReject.payoutId}/reject`, { reason: 'bank details do not match' })).status).toBe(200);
    expect((await finance.browser.post(`${base}/${toReject.payoutId}/approve`)).body.code).toBe('payout_not_open');
    expect((await finance.browser.post(`${base}/nope/approve`)).status).toBe(404);
    expect((await finance.browser.post(`${url}/finance/payouts/not-a-provider/x/approve`)).status).toBe(404);

    // Every finance step names the finance account that took it as its actor.
    const events = await store.readStream(payoutStream(h.providerId), { fromRevision: 0n, maxCount: 100 });
    for (const e of events.filter((e) => e.type !== 'PayoutRequested')) expect(e.metadata.actorId).toBe(e.type === 'PayoutPaid' ? finance2.accountId : finance.accountId);
    expect(events.find((e) => e.type === 'PayoutPaid')?.data).toMatchObject({ approvedBy: finance.accountId, paidBy: finance2.accountId });

    await h.t.caughtUp();
    const amount = BigInt(toPay.amountMicroUsd);
    const totals = await h.t.app.get(LedgerQueries).accountTotals(`provider:${h.providerId}`);
    expect(BigInt(totals.normalBalanceMicroUsd)).toBe(balanceBefore - amount);
    expect((await h.t.app.get(LedgerQueries).trialBalance()).totals).toMatchObject({ netMicroUsd: '0', balanced: true });
    // The rejected amount is available again; the paid one moved from open to paid.
    expect(await available()).toMatchObject({
      paidMicroUsd: amount.toString(),
      openMicroUsd: toLeave.amountMicroUsd,
      availableMicroUsd: (availableBefore + BigInt(toReject.amountMicroUsd)).toString(),
    });

    const statement = (await provider.get(`${url}/provider/payouts/statement`)).body.items;
    expect(statement[0]).toMatchObject({
      type: 'PayoutPaid',
      reference: toPay.payoutId,
      amountMicroUsd: (-amount).toString(),
      balanceAfterMicroUsd: (balanceBefore - amount).toString(),
    });
    expect(statement.filter((l: { type: string }) => l.type === 'UsageRecorded').length).toBeGreaterThan(0);
    const csv = await provider.get(`${url}/provider/payouts/statement.csv`);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.text.split('\n')[1]).toContain('PayoutPaid');

    const list = (await provider.get(`${url}/provider/payouts`)).body.items as { payoutId: string; status: string; reference: string | null; rejectReason: string | null }[];
    expect(list.find((p) => p.payoutId === toPay.payoutId)).toMatchObject({ status: 'paid', reference: 'UTR-1' });
    expect(list.find((p) => p.payoutId === toReject.payoutId)).toMatchObject({ status: 'rejected', rejectReason: 'bank details do not match' });
    const paidRow = (await finance.browser.get(`${url}/finance/payouts?status=paid`)).body.items[0];
    expect(paidRow).toMatchObject({ payoutId: toPay.payoutId, approvedBy: finance.accountId, paidBy: finance2.accountId });
    // The provider is told (issue 16): approved, then paid with its reference.
    const sink = await sharedSmtpSink();
    await sink.waitFor((m) => m.to.includes('provider-payouts@example.com') && m.subject === 'Your payout was approved' && m.text.includes(toPay.payoutId));
    const paidMail = await sink.waitFor((m) => m.to.includes('provider-payouts@example.com') && m.category === 'provider' && m.subject.startsWith('Payout of'));
    expect(paidMail.text).toContain('UTR-1');
  });

  it('a provider sees and acts on only their own payouts; developers reach no provider or finance route', async () => {
    const mine = (await provider.get(`${url}/provider/payouts`)).body.items as { payoutId: string }[];
    expect((await provider.get(`${url}/provider/payouts/${mine[0].payoutId}`)).status).toBe(200);
    expect((await otherProvider.get(`${url}/provider/payouts`)).body.items).toEqual([]);
    expect((await otherProvider.get(`${url}/provider/payouts/${mine[0].payoutId}`)).status).toBe(404);
    expect(await available(otherProvider)).toMatchObject({ earnedMicroUsd: '0', availableMicroUsd: '0', paidMicroUsd: '0' });
    expect((await otherProvider.get(`${url}/provider/payouts/statement`)).body.items).toEqual([]);
    expect((await otherProvider.post(`${url}/provider/payouts`, { amountUsd: '1.00' })).body.code).toBe('payout_exceeds_earnings');
    expect((await otherProvider.get(`${url}/finance/payouts`)).status).toBe(403);
    expect((await otherProvider.post(`${url}/finance/payouts/${h.providerId}/${mine[0].payoutId}/reject`, { reason: 'mine now' })).status).toBe(403);
    for (const path of ['/provider/payouts', '/provider/payouts/available', '/provider/payouts/statement', '/provider/payouts/statement.csv', '/finance/payouts']) {
      expect((await developerBrowser.get(`${url}${path}`)).status).toBe(403);
    }
    expect((await developerBrowser.post(`${url}/provider/payouts`, { amountUsd: '1.00' })).status).toBe(403);
    expect((await newBrowser().get(`${url}/provider/payouts`)).status).toBe(401);
  });

  it('adjustment rule: a refund or a lost dispute after usage leaves provider earnings unchanged; the platform bears the chargeback', async () => {
    const buyer = await h.developer(0n);
    const { position } = await h.t.app.get(CreditsService).recordPurchase(buyer.accountId, { paymentId: 'pay_adjust', orderId: null, amountMicroUsd: 1_000_000n }, ctx());
    await h.t.app.get(BalanceFeeder).waitUntilPassed(position as Position);
    await traffic(buyer, 2);
    const ledger = h.t.app.get(LedgerQueries);
    const earningsBefore = (await ledger.accountTotals(`provider:${h.providerId}`)).normalBalanceMicroUsd;
    const earnedBefore = (await available()).earnedMicroUsd;
    const left = BigInt((await ledger.accountTotals(`developer:${buyer.accountId}`)).normalBalanceMicroUsd);
    expect(left).toBeLessThan(1_000_000n);

    await h.t.app.get(CreditsService).refund(buyer.accountId, { refundId: 'refund_adjust', paymentId: 'pay_adjust', amountMicroUsd: 300_000n, reason: 'customer asked' }, ctx());
    // The bank disputes what was not refunded; part of it was already spent on usage.
    const disputed = 1_000_000n - 300_000n;
    const frozen = await h.t.app.get(PaymentCredits).freezeForDispute(buyer.accountId, 'disp_adjust', 'pay_adjust', disputed, ctx());
    await h.t.app.get(PaymentCredits).recordDisputeLost(buyer.accountId, 'disp_adjust', ctx());
    await h.t.caughtUp();

    expect(frozen).toBe(left - 300_000n); // what was left after usage and the refund
    expect((await ledger.accountTotals(`provider:${h.providerId}`)).normalBalanceMicroUsd).toBe(earningsBefore);
    expect((await available()).earnedMicroUsd).toBe(earnedBefore);
    const trial = await ledger.trialBalance();
    expect(trial.totals).toMatchObject({ netMicroUsd: '0', balanced: true });
    // The shortfall (credits already spent on usage, the provider's share included) is the platform's loss.
    const losses = trial.platform.find((p) => p.account === 'platform:dispute_losses');
    expect(losses?.normalBalanceMicroUsd).toBe((disputed - frozen).toString());
    expect(disputed - frozen).toBe(1_000_000n - left); // exactly the usage the buyer had spent
  });

  it('the payouts read model is the same rebuilt as built live', async () => {
    await h.t.caughtUp();
    const report = await verifyProjections(h.t.database.db, store, [ledgerProjection, payoutsProjection], { checkpointName: READ_MODELS_CHECKPOINT, batchSize: 50 });
    expect(report.ok).toBe(true);
    expect(report.tables.find((t) => t.table === 'payouts')).toMatchObject({ liveRows: 3, rebuiltRows: 3 });
  });
});
