import { randomUUID } from 'node:crypto';
import { AccountsService } from '../../src/accounts/accounts.service';
import { creditsDecider, CreditsCommand } from '../../src/ledger/credits/credits.decide';
import { CreditsService } from '../../src/ledger/credits.service';
import { CreditSpending } from '../../src/ledger/spending/credit-spending';
import { AuthTestApp, startAuthApp } from '../auth/auth-app';
import { AGREED } from '../support/eligibility';

const at = '2026-11-22T10:00:00.000Z';

/** Staff commands below the four-eyes threshold apply at once. */
const staff = { requestedBy: 'staff-1', approvalThresholdMicroUsd: 1_000_000_000n } as const;
const ctx = () => ({ actorId: 'operator:test', occurredAt: new Date().toISOString() });

describe('P14: credits are prepaid, in USD, non-transferable', () => {
  it("no credits command moves money between two developers: every posting to a developer wallet is the command's own account", () => {
    const accountId = 'acct-1';
    // A life of one wallet: every kind of credits command, each valid in the state the previous ones left.
    const commands: CreditsCommand[] = [
      { type: 'RecordPurchase', accountId, paymentId: 'pay_1', orderId: 'order_1', amountMicroUsd: 25_000_000n, at },
      { type: 'GrantFreeTier', accountId, amountMicroUsd: 1_000_000n, at },
      { type: 'GrantCredits', accountId, grantId: 'g1', amountMicroUsd: 5_000_000n, reason: 'goodwill', ...staff, at },
      { type: 'CorrectCredits', accountId, correctionId: 'c1', amountMicroUsd: -2_000_000n, reason: 'double grant', ...staff, at },
      { type: 'CorrectCredits', accountId, correctionId: 'c2', amountMicroUsd: 1_000_000n, reason: 'outage', ...staff, at },
      { type: 'RefundCredits', accountId, refundId: 'r1', paymentId: 'pay_1', amountMicroUsd: 3_000_000n, reason: 'asked', at },
      { type: 'ReverseRefund', accountId, refundId: 'r1', reason: 'refund failed', at },
      { type: 'FreezeDisputedCredits', accountId, disputeId: 'd1', paymentId: 'pay_1', disputedMicroUsd: 4_000_000n, frozenMicroUsd: 4_000_000n, at },
      { type: 'ReleaseDisputedCredits', accountId, disputeId: 'd1', at },
      { type: 'FreezeDisputedCredits', accountId, disputeId: 'd2', paymentId: 'pay_1', disputedMicroUsd: 2_000_000n, frozenMicroUsd: 2_000_000n, at },
      { type: 'RecordDisputeLost', accountId, disputeId: 'd2', at },
      // Four eyes: above the threshold a grant is a request (no money), then another staff member's approval moves it.
      { type: 'GrantCredits', accountId, grantId: 'g2', amountMicroUsd: 2_000_000n, reason: 'large goodwill', requestedBy: 'staff-1', approvalThresholdMicroUsd: 0n, at },
      { type: 'ApproveCreditOperation', accountId, operationId: 'g2', approverId: 'staff-2', at },
      { type: 'CorrectCredits', accountId, correctionId: 'c3', amountMicroUsd: 2_000_000n, reason: 'large correction', requestedBy: 'staff-1', approvalThresholdMicroUsd: 0n, at },
      { type: 'RejectCreditOperation', accountId, operationId: 'c3', rejectedBy: 'staff-2', reason: 'not owed', at },
    ];
    let state = creditsDecider.initialState();
    const kinds = new Set<string>();
    for (const command of commands) {
      const events = creditsDecider.decide(command, state);
      expect({ command: command.type, events: events.length }).toEqual({ command: command.type, events: 1 });
      for (const event of events) {
        kinds.add(event.type);
        const postings = (event.data as { postings?: { account: string; amountMicroUsd: string }[] }).postings;
        if (event.type === 'CreditOperationRequested' || event.type === 'CreditOperationRejected') {
          expect(postings).toBeUndefined(); // a request moves no money
          continue;
        }
        if (!postings) throw new Error(`${event.type} has no postings`);
        const wallets = postings.map((p) => p.account).filter((a) => a.startsWith('developer:'));
        // At most the command's own wallet (a lost dispute moves held funds between platform accounts only).
        expect({ event: event.type, others: wallets.filter((w) => w !== 'developer:acct-1') }).toEqual({ event: event.type, others: [] });
        if (event.type !== 'DisputeLost') expect(wallets).toContain('developer:acct-1');
        // Integer micro-USD strings, summing to zero: USD only, no float, no money from nowhere.
        for (const p of postings) expect(p.amountMicroUsd).toMatch(/^-?\d+$/);
        expect(postings.reduce((sum, p) => sum + BigInt(p.amountMicroUsd), 0n)).toBe(0n);
      }
      state = events.reduce(creditsDecider.evolve, state);
    }
    expect(kinds.size).toBe(11); // every event kind was exercised
  });

  describe('in the running service', () => {
    let t: AuthTestApp;
    beforeAll(async () => {
      t = await startAuthApp('policy_p14');
    });
    afterAll(async () => {
      await t?.close();
    });

    it('has no transfer route: credits enter only through payments, staff grants and corrections', async () => {
      const doc = (await (await fetch(`${t.url}/docs/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
      const writes = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
        Object.keys(ops)
          .filter((m) => ['post', 'put', 'patch'].includes(m))
          .map((m) => `${m.toUpperCase()} ${path}`),
      );
      expect(writes.length).toBeGreaterThan(10);
      expect(writes.filter((w) => /transfer|gift|send/i.test(w))).toEqual([]);
      // Every route that can add credits names one account and is staff-only (audited), or is a payment.
      expect(writes.filter((w) => /credits/i.test(w))).toEqual(
        expect.arrayContaining(['POST /admin/accounts/{id}/credits/grants', 'POST /admin/accounts/{id}/credits/corrections']),
      );
      for (const w of writes.filter((w) => /credits/i.test(w))) expect(w).toMatch(/^POST \/admin\/accounts\/\{id\}\/credits\//);
    });

    it('spends only what was paid in advance: no credits, no reservation (402); a grant covers exactly its amount', async () => {
      const { accountId } = await t.app
        .get(AccountsService)
        .register({ email: `p14-${randomUUID()}@example.com`, password: 'correct horse battery staple', via: 'cli', eligibility: AGREED, roles: [] }, ctx());
      const spending = t.app.get(CreditSpending);
      await expect(spending.reserve(accountId, randomUUID(), 1n)).rejects.toMatchObject({ kind: 'payment_required' });
      await t.app.get(CreditsService).grant(accountId, 2_000_000n, 'policy test', ctx());
      await t.caughtUp();
      const held = await spending.reserve(accountId, randomUUID(), 1_500_000n);
      expect(held).toBeDefined();
      await expect(spending.reserve(accountId, randomUUID(), 600_000n)).rejects.toMatchObject({ kind: 'payment_required' });
    });
  });
});
