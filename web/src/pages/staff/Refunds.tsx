import { FormEvent, useState } from 'react';
import { answer, api } from '../../api';
import { AutoTable } from '../../components/AutoTable';
import { ActionButton, Card, Empty, ErrorNote, Loading, messageOf, useLoad } from '../../components/ui';

/** What the refund's answer means, in words. */
const NOTE: Record<string, string> = {
  pending_approval: 'Above the approval threshold: another admin must approve it before any money moves.',
  requested: 'Refund recorded: the credits are being debited and Razorpay asked; the list shows its progress.',
  submitted: 'Refund sent to Razorpay; the credits were debited.',
  settled: 'Refunded; the credits were debited.',
  failed: 'Razorpay refused the refund; the credits were restored.',
  rejected: 'The refund was rejected.',
};

const loadRefunds = async () => answer(api.GET('/finance/payments/refunds', { params: { query: { limit: '200' } } }));

/**
 * Refunding a developer's payment: an admin asks for it (all that is left, or an amount in whole
 * cents); above the approval threshold it waits for a second admin, who approves or rejects it
 * here. Credits are debited before Razorpay is asked, and restored if Razorpay refuses.
 */
export function AdminRefundsPage() {
  const refunds = useLoad(loadRefunds, []);
  const [error, setError] = useState<string | null>(null);
  const act = async (call: () => Promise<unknown>, refundId: string, done: (status: string) => boolean) => {
    setError(null);
    try {
      await call();
      await refunds.reloadUntil((rows) => rows.some((r) => r.refundId === refundId && done(r.status)));
    } catch (err) {
      setError(messageOf(err));
    }
  };
  return (
    <>
      <h1>Refunds</h1>
      <RefundForm onRefunded={(refundId) => refunds.reloadUntil((rows) => rows.some((r) => r.refundId === refundId))} />
      <Card title="Refunds, newest first">
        <ErrorNote error={refunds.error ?? error} />
        {refunds.loading && !refunds.data ? <Loading what="refunds" /> : null}
        {refunds.data && refunds.data.length === 0 ? <Empty>No refunds yet.</Empty> : null}
        {refunds.data && refunds.data.length > 0 ? (
          <AutoTable
            label="Refunds table"
            rows={refunds.data}
            columns={['requestedAt', 'paymentId', 'amountMicroUsd', 'status', 'reason', 'requestedBy', 'approvedBy', 'failureReason']}
            actions={(row) => {
              if (row.status !== 'pending_approval') return null;
              const path = { paymentId: String(row.paymentId), refundId: String(row.refundId) };
              return (
                <span className="key-row">
                  <ActionButton
                    busyText="Approving…"
                    onClick={() =>
                      act(
                        () => answer(api.POST('/admin/payments/{paymentId}/refunds/{refundId}/approve', { params: { path } })),
                        path.refundId,
                        (s) => s !== 'pending_approval',
                      )
                    }
                  >
                    Approve
                  </ActionButton>
                  <ActionButton
                    kind="danger"
                    busyText="Rejecting…"
                    onClick={async () => {
                      const reason = window.prompt('Why reject this refund? (recorded in the audit log)');
                      if (reason)
                        await act(
                          () => answer(api.POST('/admin/payments/{paymentId}/refunds/{refundId}/reject', { params: { path }, body: { reason } })),
                          path.refundId,
                          (s) => s === 'rejected',
                        );
                    }}
                  >
                    Reject
                  </ActionButton>
                </span>
              );
            }}
          />
        ) : null}
      </Card>
    </>
  );
}

function RefundForm({ onRefunded }: { onRefunded: (refundId: string) => Promise<void> }) {
  const [paymentId, setPaymentId] = useState('');
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setNote(null);
    setBusy(true);
    try {
      const refund = await answer(
        api.POST('/admin/payments/{paymentId}/refunds', {
          params: { path: { paymentId: paymentId.trim() } },
          body: { reason, ...(amount.trim() ? { amountUsd: amount.trim() } : {}) },
        }),
      );
      setNote(NOTE[refund.status]);
      setPaymentId('');
      setAmount('');
      setReason('');
      await onRefunded(refund.refundId);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title="Refund a payment">
      <form className="grid-form" onSubmit={submit}>
        <label>
          Razorpay payment id
          <input required pattern="pay_[A-Za-z0-9]+" maxLength={64} placeholder="pay_…" value={paymentId} onChange={(e) => setPaymentId(e.target.value)} />
        </label>
        <label>
          Amount (USD, empty: all that is left)
          <input inputMode="decimal" pattern="\d+(\.\d{1,2})?" maxLength={12} value={amount} onChange={(e) => setAmount(e.target.value)} />
        </label>
        <label>
          Reason
          <input required maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
        </label>
        <button className="primary" type="submit" disabled={busy}>
          {busy ? 'Refunding…' : 'Refund'}
        </button>
      </form>
      <ErrorNote error={error} />
      {note ? <p role="status">{note}</p> : null}
    </Card>
  );
}
