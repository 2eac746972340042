import { FormEvent, useState } from 'react';
import { answer, api } from '../../api';
import { AutoTable } from '../../components/AutoTable';
import { Card, Empty, ErrorNote, Loading, messageOf, useLoad } from '../../components/ui';

const DISCREPANCY_KINDS = [
  'captured_not_credited',
  'credited_amount_differs',
  'credited_not_captured',
  'unknown_order',
  'order_mismatch',
  'amount_mismatch',
  'currency_mismatch',
  'duplicate_payment',
  'not_captured',
  'refunded_before_credit',
];

const loadRuns = async () => answer(api.GET('/finance/payments/reconciliation-runs'));
const loadDiscrepancies = async (kind: string) => answer(api.GET('/finance/payments/discrepancies', { params: { query: { kind: kind || undefined } } }));
const loadRefunds = async () => answer(api.GET('/finance/payments/refunds'));
const loadPayments = async () => answer(api.GET('/finance/payments', { params: { query: { limit: '500' } } }));

/**
 * Razorpay reconciliation: the daily report's runs (and running it for a day now), and every
 * discrepancy the report or the worker found (`/finance/payments/reconciliation-runs`, `/discrepancies`).
 */
export function ReconciliationPage() {
  const runs = useLoad(loadRuns, []);
  const [kind, setKind] = useState('');
  const discrepancies = useLoad(() => loadDiscrepancies(kind), [kind]);
  const [day, setDay] = useState(new Date().toISOString().slice(0, 10));
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function run(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setNote(`Running the report for ${day}…`);
    try {
      const before = runs.data?.length ?? 0;
      await answer(api.POST('/finance/payments/reconciliation-runs', { body: { day } }));
      await runs.reloadUntil((r) => r.length > before);
      discrepancies.reload();
      setNote(`Report for ${day} done.`);
    } catch (err) {
      setNote(null);
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <h1>Reconciliation</h1>
      <Card title="Report runs">
        <form className="grid-form" onSubmit={run}>
          <label>
            Day (UTC)
            <input type="date" required value={day} onChange={(e) => setDay(e.target.value)} />
          </label>
          <button className="primary" type="submit" disabled={busy}>
            {busy ? 'Running…' : 'Run the report now'}
          </button>
        </form>
        <ErrorNote error={runs.error ?? error} />
        {note ? (
          <p role="status" className="muted">
            {note}
          </p>
        ) : null}
        {runs.loading && !runs.data ? <Loading what="report runs" /> : null}
        {runs.data && runs.data.length === 0 ? <Empty>The report has not run yet. It runs every night for the day before, or now with the button.</Empty> : null}
        {runs.data && runs.data.length > 0 ? (
          <AutoTable
            label="Report runs table"
            rows={runs.data}
            columns={['day', 'razorpayCapturedCount', 'razorpayCapturedCents', 'creditedCount', 'creditedMicroUsd', 'discrepancyCount', 'reportedAt']}
          />
        ) : null}
      </Card>
      <Card title="Discrepancies">
        <div className="grid-form">
          <label>
            Kind
            <select value={kind} onChange={(e) => setKind(e.target.value)}>
              <option value="">any</option>
              {DISCREPANCY_KINDS.map((k) => (
                <option key={k}>{k}</option>
              ))}
            </select>
          </label>
        </div>
        <ErrorNote error={discrepancies.error} />
        {discrepancies.loading && !discrepancies.data ? <Loading what="discrepancies" /> : null}
        {discrepancies.data && discrepancies.data.length === 0 ? <Empty>No discrepancies: every payment Razorpay captured was credited once, for its amount.</Empty> : null}
        {discrepancies.data && discrepancies.data.length > 0 ? (
          <AutoTable label="Discrepancies table" rows={discrepancies.data} columns={['foundAt', 'kind', 'paymentId', 'orderId', 'accountId', 'expected', 'actual', 'source']} />
        ) : null}
      </Card>
    </>
  );
}

/**
 * Refunds (who asked, who approved, status at Razorpay) and disputes. There is no disputes route:
 * disputes are read from `/finance/payments`, whose rows carry the dispute (frozen, shortfall).
 */
export function RefundsDisputesPage() {
  const refunds = useLoad(loadRefunds, []);
  const payments = useLoad(loadPayments, []);
  const disputes = payments.data?.flatMap((p) => (p.dispute !== null ? [{ paymentId: p.paymentId, accountId: p.accountId, ...p.dispute }] : [])) ?? null;
  return (
    <>
      <h1>Refunds and disputes</h1>
      <Card title="Refunds">
        <ErrorNote error={refunds.error} />
        {refunds.loading && !refunds.data ? <Loading what="refunds" /> : null}
        {refunds.data && refunds.data.length === 0 ? <Empty>No refunds yet.</Empty> : null}
        {refunds.data && refunds.data.length > 0 ? (
          <AutoTable
            label="Refunds table"
            rows={refunds.data}
            columns={['requestedAt', 'paymentId', 'accountId', 'amountMicroUsd', 'status', 'reason', 'requestedBy', 'approvedBy', 'failureReason']}
          />
        ) : null}
      </Card>
      <Card title="Disputes">
        <p className="muted small">From the newest 500 payments. A dispute freezes what the developer has available, up to the disputed amount; the rest is the shortfall.</p>
        <ErrorNote error={payments.error} />
        {payments.loading && !payments.data ? <Loading what="disputes" /> : null}
        {disputes && disputes.length === 0 ? <Empty>No disputes.</Empty> : null}
        {disputes && disputes.length > 0 ? (
          <AutoTable label="Disputes table" rows={disputes} columns={['paymentId', 'accountId', 'status', 'disputedMicroUsd', 'frozenMicroUsd', 'shortfallMicroUsd']} />
        ) : null}
      </Card>
    </>
  );
}
