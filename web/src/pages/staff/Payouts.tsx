import { useState } from 'react';
import { answer, api } from '../../api';
import { AutoTable } from '../../components/AutoTable';
import { ActionButton, Card, Empty, ErrorNote, Loading, messageOf, useLoad } from '../../components/ui';

type Row = Record<string, unknown>;
const STATUSES = ['requested', 'approved', 'paid', 'rejected'] as const;
type Status = (typeof STATUSES)[number];
type PayoutPath = { providerId: string; payoutId: string };

const loadPayouts = async (status: Status) => answer(api.GET('/finance/payouts', { params: { query: { status } } }));

/**
 * The payout queue: approve, reject with a reason, mark paid with the bank reference. Four eyes
 * are the server's rule (the approver may not mark paid, nor may the payee act): its refusal is
 * shown in its own words.
 */
export function FinancePayoutsPage() {
  const [status, setStatus] = useState<Status>('requested');
  const payouts = useLoad(() => loadPayouts(status), [status]);
  const [error, setError] = useState<string | null>(null);
  const act = async (p: Row, call: (path: PayoutPath) => Promise<unknown>, after: string) => {
    setError(null);
    try {
      await call({ providerId: String(p.providerId), payoutId: String(p.payoutId) });
      await payouts.reloadUntil((page) => !page.items.some((x) => x.payoutId === p.payoutId && x.status !== after));
    } catch (err) {
      setError(messageOf(err));
    }
  };
  return (
    <>
      <h1>Payouts</h1>
      <Card title="Queue">
        <div className="grid-form">
          <label>
            Status
            <select value={status} onChange={(e) => setStatus(e.target.value as Status)}>
              {STATUSES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </label>
        </div>
        <ErrorNote error={payouts.error ?? error} />
        {payouts.loading && !payouts.data ? <Loading what="payouts" /> : null}
        {payouts.data && payouts.data.items.length === 0 ? <Empty>No {status} payouts.</Empty> : null}
        {payouts.data && payouts.data.items.length > 0 ? (
          <AutoTable
            label="Payouts table"
            rows={payouts.data.items}
            columns={['providerId', 'payoutId', 'amountMicroUsd', 'status', 'requestedAt', 'approvedBy', 'approvedAt', 'paidBy', 'reference', 'rejectReason']}
            actions={(p) =>
              p.status === 'requested' ? (
                <>
                  <ActionButton
                    busyText="Approving…"
                    onClick={() => act(p, (path) => answer(api.POST('/finance/payouts/{providerId}/{payoutId}/approve', { params: { path } })), 'approved')}
                  >
                    Approve
                  </ActionButton>
                  <ActionButton
                    kind="danger"
                    busyText="Rejecting…"
                    onClick={async () => {
                      const reason = window.prompt('Why reject this payout?');
                      if (reason) await act(p, (path) => answer(api.POST('/finance/payouts/{providerId}/{payoutId}/reject', { params: { path }, body: { reason } })), 'rejected');
                    }}
                  >
                    Reject
                  </ActionButton>
                </>
              ) : p.status === 'approved' ? (
                <ActionButton
                  busyText="Recording…"
                  onClick={async () => {
                    const reference = window.prompt('Bank or UTR reference of the transfer:');
                    if (reference) await act(p, (path) => answer(api.POST('/finance/payouts/{providerId}/{payoutId}/paid', { params: { path }, body: { reference } })), 'paid');
                  }}
                >
                  Mark paid
                </ActionButton>
              ) : null
            }
          />
        ) : null}
      </Card>
    </>
  );
}
