import { isCryptoPaymentId } from '../crypto/crypto-charge.events';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Kysely } from 'kysely';
import { invalid } from '../../platform/errors/domain-error';
import { KYSELY } from '../../platform/database/database.module';
import { Database } from '../../platform/database/schema';
import { CommandContext } from '../../platform/event-sourcing/decider';
import { EVENT_STORE, EventStore } from '../../platform/event-store/event-store.port';
import { Logger } from '../../platform/observability/logger';
import { LOGGER } from '../../platform/observability/tokens';
import { centsToMicroUsd, DiscrepancyData, ReconciliationEvent, reconciliationStream } from '../payment.events';
import { enabled, RAZORPAY } from '../payments.tokens';
import { RAZORPAY_PAGE_MAX, RazorpayGateway, RzpPayment } from '../razorpay/razorpay-gateway';
import { uncreditable } from './payment-reconciler';

/** Bounds of one report: Razorpay payments read, our purchases compared, discrepancy events written. */
export const REPORT_MAX_PAYMENTS = 10_000;
export const REPORT_MAX_LOOKUPS = 1_000;
export const REPORT_MAX_DISCREPANCY_EVENTS = 500;
/** Razorpay's `captured` flag, for entities from before it was read (then: captured or refunded). */
const wasCaptured = (p: RzpPayment): boolean => (typeof p.captured === 'boolean' ? p.captured : p.status === 'captured' || p.status === 'refunded');
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export interface ReportDiscrepancy {
  kind: DiscrepancyData['kind'];
  paymentId: string;
  orderId: string | null;
  accountId: string | null;
  expected: string | null;
  actual: string | null;
}

export interface ReconciliationReport {
  runId: string;
  day: string;
  from: string;
  to: string;
  razorpayCapturedCount: number;
  razorpayCapturedCents: bigint;
  creditedCount: number;
  creditedMicroUsd: bigint;
  discrepancies: ReportDiscrepancy[];
  /** True when a bound cut the comparison short (the report says so rather than pretend). */
  truncated: boolean;
}

export const yesterday = (nowMs = Date.now()) => new Date(nowMs - 86_400_000).toISOString().slice(0, 10);

/**
 * The daily reconciliation: every payment Razorpay shows captured in the period must have been
 * credited once with its amount (CreditsPurchased, by payment id, whenever it happened), and
 * every purchase credited in the period must be a payment Razorpay shows captured. Each
 * difference becomes a PaymentDiscrepancyFound event in `reconciliation-{day}`, with one
 * ReconciliationReported summary per run. Runs read the read models, so run it for a closed
 * period (the scheduler does yesterday) or after the projections caught up.
 */
@Injectable()
export class ReconciliationReporter {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(RAZORPAY) private readonly gateway: RazorpayGateway | null,
    @Inject(KYSELY) private readonly db: Kysely<Database>,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** `period` defaults to the UTC day; tests pass a narrower window. */
  async run(day: string, context: CommandContext, period?: { from: Date; to: Date }): Promise<ReconciliationReport> {
    const razorpay = enabled(this.gateway);
    if (!DAY.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) throw invalid('invalid_day', 'day must be a date like 2026-11-22.');
    const from = period?.from ?? new Date(`${day}T00:00:00Z`);
    const to = period?.to ?? new Date(from.getTime() + 86_400_000);
    let truncated = false;

    // Razorpay's side: payments created in the period (its list filters on created_at, seconds, inclusive).
    const captured = new Map<string, RzpPayment>();
    /** Refunded by Razorpay without ever being captured (duplicates, capture timeouts): finance sees each. */
    const autoRefunded = new Map<string, RzpPayment>();
    for (let skip = 0; ; skip += RAZORPAY_PAGE_MAX) {
      const page = await razorpay.listPayments(Math.floor(from.getTime() / 1000), Math.ceil(to.getTime() / 1000) - 1, skip);
      for (const p of page) {
        if (wasCaptured(p)) captured.set(p.id, p);
        else if (p.status === 'refunded') autoRefunded.set(p.id, p);
      }
      if (page.length < RAZORPAY_PAGE_MAX) break;
      if (skip + RAZORPAY_PAGE_MAX >= REPORT_MAX_PAYMENTS) {
        truncated = true;
        break;
      }
    }
    // Our side: purchases credited in the period, and the credits of every captured payment.
    const creditedInPeriod = await this.db
      .selectFrom('ledger_transactions')
      .select(['reference', 'amount_micro_usd', 'owner_id'])
      .where('type', '=', 'CreditsPurchased')
      .where('occurred_at', '>=', from)
      .where('occurred_at', '<', to)
      .execute()
      // Crypto top-ups (Coinbase Commerce, references cc_…) are not Razorpay's to confirm.
      .then((rows) => rows.filter((r) => !isCryptoPaymentId(r.reference)));
    const creditsFor = new Map<string, { amount: bigint; count: number; ownerId: string | null }>();
    const ids = [...new Set([...captured.keys(), ...autoRefunded.keys(), ...creditedInPeriod.map((r) => r.reference).filter((r): r is string => r !== null)])];
    for (let i = 0; i < ids.length; i += 1_000) {
      const rows = await this.db
        .selectFrom('ledger_transactions')
        .select(['reference', 'amount_micro_usd', 'owner_id'])
        .where('type', '=', 'CreditsPurchased')
        .where('reference', 'in', ids.slice(i, i + 1_000))
        .execute();
      for (const r of rows) {
        const seen = creditsFor.get(r.reference as string);
        creditsFor.set(r.reference as string, { amount: (seen?.amount ?? 0n) + BigInt(r.amount_micro_usd), count: (seen?.count ?? 0) + 1, ownerId: r.owner_id });
      }
    }
    const orderIds = [...new Set([...captured.values(), ...autoRefunded.values()].map((p) => p.order_id).filter((o): o is string => o !== null))];
    const ours = new Map<string, string>();
    /** Our orders that some payment was credited for (the payments read model; one per order). */
    const creditedPaymentOf = new Map<string, string>();
    for (let i = 0; i < orderIds.length; i += 1_000) {
      const chunk = orderIds.slice(i, i + 1_000);
      const rows = await this.db.selectFrom('payment_orders').select(['order_id', 'account_id']).where('order_id', 'in', chunk).execute();
      for (const r of rows) ours.set(r.order_id, r.account_id);
      const credited = await this.db.selectFrom('payments').select(['order_id', 'payment_id']).where('order_id', 'in', chunk).where('ledger_status', '=', 'credited').execute();
      for (const r of credited) creditedPaymentOf.set(r.order_id, r.payment_id);
    }

    const discrepancies: ReportDiscrepancy[] = [];
    let capturedCents = 0n;
    for (const p of [...captured.values(), ...autoRefunded.values()]) {
      if (wasCaptured(p)) capturedCents += BigInt(p.amount);
      const credit = creditsFor.get(p.id);
      const accountId = p.order_id ? (ours.get(p.order_id) ?? null) : null;
      const base = { paymentId: p.id, orderId: p.order_id, accountId, actual: null };
      const money = `${p.amount} ${p.currency}`;
      if (credit) {
        if (!wasCaptured(p)) discrepancies.push({ ...base, kind: 'credited_not_captured', expected: `${credit.amount} micro-USD`, actual: p.status });
        else if (p.currency !== 'USD' || credit.amount !== centsToMicroUsd(p.amount))
          discrepancies.push({ ...base, kind: 'credited_amount_differs', expected: money, actual: `${credit.amount} micro-USD` });
        continue;
      }
      if (!accountId) {
        // Another integration's payment; only money it kept needs a look.
        if (wasCaptured(p)) discrepancies.push({ ...base, kind: 'unknown_order', expected: null, actual: money });
        continue;
      }
      const refused = uncreditable(p, p.order_id ? (creditedPaymentOf.get(p.order_id) ?? null) : null, p.id);
      if (refused)
        discrepancies.push({
          ...base,
          kind: refused,
          expected: refused === 'duplicate_payment' ? 'one payment per order' : 'captured',
          actual: `${p.status}, ${wasCaptured(p) ? 'captured' : 'never captured'}, ${money}`,
        });
      else discrepancies.push({ ...base, kind: 'captured_not_credited', expected: money, actual: 'not credited' });
    }
    let lookups = 0;
    for (const r of creditedInPeriod) {
      const paymentId = r.reference;
      if (!paymentId || captured.has(paymentId) || autoRefunded.has(paymentId)) continue;
      if (++lookups > REPORT_MAX_LOOKUPS) {
        truncated = true;
        break;
      }
      // Credited in the period but paid earlier (or not at all): ask Razorpay about this one.
      const p = await razorpay.fetchPayment(paymentId).catch(() => null);
      if (!p || !wasCaptured(p)) {
        discrepancies.push({
          kind: 'credited_not_captured',
          paymentId,
          orderId: p?.order_id ?? null,
          accountId: r.owner_id,
          expected: `${r.amount_micro_usd} micro-USD`,
          actual: p ? p.status : 'unknown payment',
        });
      } else if (credit(creditsFor, paymentId) !== centsToMicroUsd(p.amount)) {
        discrepancies.push({
          kind: 'credited_amount_differs',
          paymentId,
          orderId: p.order_id,
          accountId: r.owner_id,
          expected: `${p.amount} ${p.currency}`,
          actual: `${r.amount_micro_usd} micro-USD`,
        });
      }
    }

    const report: ReconciliationReport = {
      runId: `${day}-${randomUUID().slice(0, 8)}`,
      day,
      from: from.toISOString(),
      to: to.toISOString(),
      razorpayCapturedCount: captured.size,
      razorpayCapturedCents: capturedCents,
      creditedCount: creditedInPeriod.length,
      creditedMicroUsd: creditedInPeriod.reduce((sum, r) => sum + BigInt(r.amount_micro_usd), 0n),
      discrepancies,
      truncated,
    };
    await this.record(report, context);
    if (discrepancies.length > 0) this.logger.warn({ runId: report.runId, discrepancies: discrepancies.length }, 'reconciliation found discrepancies');
    return report;
  }

  private async record(report: ReconciliationReport, context: CommandContext): Promise<void> {
    const at = context.occurredAt;
    const events: ReconciliationEvent[] = report.discrepancies.slice(0, REPORT_MAX_DISCREPANCY_EVENTS).map((d) => ({
      type: 'PaymentDiscrepancyFound',
      data: {
        kind: d.kind,
        orderId: d.orderId,
        paymentId: d.paymentId,
        accountId: d.accountId,
        expected: d.expected,
        actual: d.actual,
        source: 'report',
        runId: report.runId,
        foundAt: at,
      },
    }));
    events.push({
      type: 'ReconciliationReported',
      data: {
        runId: report.runId,
        day: report.day,
        from: report.from,
        to: report.to,
        razorpayCapturedCount: report.razorpayCapturedCount,
        razorpayCapturedCents: report.razorpayCapturedCents.toString(),
        creditedCount: report.creditedCount,
        creditedMicroUsd: report.creditedMicroUsd.toString(),
        discrepancyCount: report.discrepancies.length,
        reportedAt: at,
      },
    });
    // A report is a record of what one run saw; runs never conflict, so the append is unconditional.
    await this.store.append(
      reconciliationStream(report.day),
      events.map((e) => ({ id: randomUUID(), type: e.type, data: e.data, metadata: { ...context } })),
      'any',
    );
  }
}

function credit(map: Map<string, { amount: bigint }>, paymentId: string): bigint {
  return map.get(paymentId)?.amount ?? 0n;
}
