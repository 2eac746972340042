import { useState } from 'react';
import { answer, api, query } from '../../api';
import { AutoTable } from '../../components/AutoTable';
import { InstantInput } from '../../components/Instant';
import { Card, Empty, ErrorNote, Loading, Stat, useLoad } from '../../components/ui';
import { usd } from '../../format';

const loadTrialBalance = async (at: string) => answer(api.GET('/finance/trial-balance', { params: { query: { at: at || undefined } } }));

/** The trial balance now or at any past instant. */
export function TrialBalancePage() {
  const [at, setAt] = useState('');
  const tb = useLoad(() => loadTrialBalance(at), [at]);
  return (
    <>
      <h1>Trial balance</h1>
      <Card title={at ? `At ${new Date(at).toLocaleString()}` : 'Now'}>
        <div className="grid-form">
          <InstantInput label="At (empty: now)" value={at} onChange={setAt} />
        </div>
        <ErrorNote error={tb.error} />
        {tb.loading ? <Loading what="the trial balance" /> : null}
        {tb.data ? (
          <>
            <div className="stats">
              <Stat label="Debits" value={usd(tb.data.totals.debitsMicroUsd)} />
              <Stat label="Credits" value={usd(tb.data.totals.creditsMicroUsd)} />
              <Stat label="Balanced" value={tb.data.totals.balanced ? 'Yes' : 'NO'} hint={`net ${usd(tb.data.totals.netMicroUsd)}`} />
            </div>
            <AutoTable label="Trial balance by kind" rows={tb.data.byKind} />
            {tb.data.platform.length > 0 ? (
              <>
                <h3>Platform accounts</h3>
                <AutoTable label="Platform accounts" rows={tb.data.platform} />
              </>
            ) : null}
          </>
        ) : null}
      </Card>
    </>
  );
}

/** The journal with filters, and its CSV. */
export function JournalPage() {
  const [account, setAccount] = useState('');
  const [type, setType] = useState('');
  const params = { account: account.trim() || undefined, type: type.trim() || undefined };
  const journal = useLoad(() => answer(api.GET('/finance/journal', { params: { query: params } })), [account, type]);
  return (
    <>
      <h1>Journal</h1>
      <Card title="Filters">
        <div className="grid-form">
          <label>
            Ledger account
            <input placeholder="developer:<id>, platform:revenue" value={account} onChange={(e) => setAccount(e.target.value)} />
          </label>
          <label>
            Event type
            <input placeholder="CreditsPurchased, UsageRecorded" value={type} onChange={(e) => setType(e.target.value)} />
          </label>
        </div>
      </Card>
      <Card title="Transactions, newest first">
        <ErrorNote error={journal.error} />
        {journal.loading ? <Loading what="the journal" /> : null}
        {journal.data && journal.data.items.length === 0 ? <Empty>No transactions match.</Empty> : null}
        {journal.data && journal.data.items.length > 0 ? (
          <AutoTable label="Journal table" rows={journal.data.items} columns={['txNo', 'occurredAt', 'type', 'amountMicroUsd', 'postings', 'reason', 'actorId']} />
        ) : null}
        <p>
          <a className="button secondary" href={'/finance/journal.csv' + query(params)}>
            Journal CSV
          </a>
        </p>
      </Card>
    </>
  );
}
