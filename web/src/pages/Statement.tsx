import { useEffect, useState } from 'react';
import { answer, api, query } from '../api';
import { AutoTable } from '../components/AutoTable';
import { Card, Empty, ErrorNote, Loading, messageOf } from '../components/ui';
import { dayOffset, usdExact } from '../format';

type Line = Awaited<ReturnType<typeof loadPage>>['items'][number];

const loadPage = (from: string, to: string, cursor?: string) =>
  answer(api.GET('/me/credits/statement', { params: { query: { from: from || undefined, to: to || undefined, limit: '100', cursor } } }));

/**
 * The developer's statement: every line that moved the balance (purchases, grants, charges,
 * refunds), newest first, each with the balance after it — the ledger's own account of the
 * balance. 100 lines a page, "Show older" for the next; the whole period as CSV.
 */
export function Statement() {
  const [from, setFrom] = useState(dayOffset(30));
  const [to, setTo] = useState('');
  const [lines, setLines] = useState<Line[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = async (more: boolean) => {
    setBusy(true);
    setError(null);
    try {
      const page = await loadPage(from, to, more ? (cursor ?? undefined) : undefined);
      setLines((shown) => (more && shown ? [...shown, ...page.items] : page.items));
      setCursor(page.nextCursor);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    void load(false);
    // A new period starts from its newest line.
  }, [from, to]);

  return (
    <>
      <h1>Statement</h1>
      <Card title="Period">
        <div className="grid-form">
          <label>
            From
            <input type="date" value={from} max={to || undefined} onChange={(e) => setFrom(e.target.value)} />
          </label>
          <label>
            To (empty: now)
            <input type="date" value={to} min={from} onChange={(e) => setTo(e.target.value)} />
          </label>
        </div>
        <p>
          <a className="button secondary" href={`/me/credits/statement.csv${query({ from, to })}`}>
            Download CSV
          </a>
        </p>
      </Card>
      <Card title="Lines, newest first">
        <ErrorNote error={error} />
        {busy && !lines ? <Loading what="the statement" /> : null}
        {lines && lines.length === 0 ? <Empty>Nothing moved your balance in this period.</Empty> : null}
        {lines && lines.length > 0 ? (
          <AutoTable
            label="Statement lines"
            // To the micro-dollar: a request's charge is often less than a cent.
            rows={lines.map((l) => ({ ...l, amountMicroUsd: usdExact(l.amountMicroUsd), balanceAfterMicroUsd: usdExact(l.balanceAfterMicroUsd) }))}
            columns={['occurredAt', 'type', 'reference', 'amountMicroUsd', 'balanceAfterMicroUsd']}
          />
        ) : null}
        {cursor ? (
          <button type="button" className="secondary" disabled={busy} onClick={() => void load(true)}>
            {busy ? 'Loading…' : 'Show older'}
          </button>
        ) : null}
      </Card>
    </>
  );
}
