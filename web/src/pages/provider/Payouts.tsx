import { FormEvent, useState } from 'react';
import { answer, api } from '../../api';
import { AutoTable } from '../../components/AutoTable';
import { Card, Empty, ErrorNote, Loading, messageOf, Stat, useLoad } from '../../components/ui';
import { usd } from '../../format';

const loadAvailable = async () => answer(api.GET('/provider/payouts/available'));
const loadPayouts = async () => answer(api.GET('/provider/payouts'));

/** What can be paid out, requesting a payout, and the payouts with their status. */
export function ProviderPayouts() {
  const available = useLoad(loadAvailable, []);
  const payouts = useLoad(loadPayouts, []);
  const [amount, setAmount] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const before = payouts.data?.items.length ?? 0;
      await answer(api.POST('/provider/payouts', { body: { amountUsd: amount } }));
      setAmount('');
      available.reload();
      await payouts.reloadUntil((p) => p.items.length > before);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <h1>Payouts</h1>
      <Card title="Available">
        <ErrorNote error={available.error} />
        {available.loading && !available.data ? <Loading what="your earnings" /> : null}
        {available.data ? (
          <div className="stats">
            <Stat label="Available now" value={usd(available.data.availableMicroUsd)} />
            <Stat label="Earned" value={usd(available.data.earnedMicroUsd)} />
            <Stat label="Held back" value={usd(available.data.heldBackMicroUsd)} hint="recent earnings, until they can no longer be disputed" />
          </div>
        ) : null}
        <form className="grid-form" onSubmit={submit}>
          <label>
            Amount (USD)
            <input required inputMode="decimal" pattern="\d+(\.\d{1,2})?" placeholder="25.00" value={amount} onChange={(e) => setAmount(e.target.value)} />
          </label>
          <ErrorNote error={error} />
          <button className="primary" type="submit" disabled={busy}>
            {busy ? 'Requesting…' : 'Request payout'}
          </button>
        </form>
      </Card>
      <Card title="Your payouts">
        <ErrorNote error={payouts.error} />
        {payouts.data && payouts.data.items.length === 0 ? <Empty>No payouts yet.</Empty> : null}
        {payouts.data && payouts.data.items.length > 0 ? (
          <AutoTable
            label="Payouts table"
            rows={payouts.data.items}
            columns={['payoutId', 'amountMicroUsd', 'status', 'requestedAt', 'approvedAt', 'paidAt', 'reference', 'rejectReason']}
          />
        ) : null}
        <p>
          <a className="button secondary" href="/provider/payouts/statement.csv">
            Earnings statement CSV
          </a>
        </p>
      </Card>
    </>
  );
}
