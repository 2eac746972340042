import { useState } from 'react';
import { answer, api } from '../../api';
import { AccountFinder } from '../../components/AccountFinder';
import { AutoTable } from '../../components/AutoTable';
import { InstantInput } from '../../components/Instant';
import { Card, Empty, ErrorNote, Loading, useLoad } from '../../components/ui';

/**
 * An account's history replayed: its timeline, its state at an instant and why the balance is
 * what it is. Every read is audited by the server, as for any staff read.
 */
export function SupportPage() {
  const [accountId, setAccountId] = useState('');
  const [at, setAt] = useState('');
  return (
    <>
      <h1>Support</h1>
      <Card title="Find an account">
        <AccountFinder onOpen={setAccountId}>
          <InstantInput label="At (empty: now)" value={at} onChange={setAt} />
        </AccountFinder>
        <p className="muted small">Each look is recorded in the audit log.</p>
      </Card>
      {accountId ? <Account accountId={accountId} at={at} /> : <Empty>Find an account by its id, the email it signs in with or one of its API keys to replay its history.</Empty>}
    </>
  );
}

function Account({ accountId, at }: { accountId: string; at: string }) {
  const path = { id: accountId };
  const state = useLoad(() => answer(api.GET('/support/accounts/{id}/state', { params: { path, query: { at: at || undefined } } })), [accountId, at]);
  const balance = useLoad(() => answer(api.GET('/support/accounts/{id}/balance-explained', { params: { path, query: { at: at || undefined } } })), [accountId, at]);
  const timeline = useLoad(() => answer(api.GET('/support/accounts/{id}/timeline', { params: { path, query: { to: at || undefined } } })), [accountId, at]);
  return (
    <>
      <Card title={`State ${at ? 'at ' + new Date(at).toLocaleString() : 'now'}`}>
        <ErrorNote error={state.error} />
        {state.loading ? <Loading what="the state" /> : null}
        {state.data ? (
          <pre className="json" data-testid="account-state">
            {JSON.stringify(state.data, null, 2)}
          </pre>
        ) : null}
      </Card>
      <Card title="Why the balance is this">
        <ErrorNote error={balance.error} />
        {balance.data ? (
          <>
            <AutoTable label="Balance summary" rows={[Object.fromEntries(Object.entries(balance.data).filter(([, v]) => typeof v !== 'object' || v === null))]} />
            {balance.data.lines.length ? <AutoTable label="Balance lines" rows={balance.data.lines} /> : <Empty>No ledger lines up to this instant.</Empty>}
          </>
        ) : null}
      </Card>
      <Card title="Timeline, newest first">
        <ErrorNote error={timeline.error} />
        {timeline.data && timeline.data.items.length === 0 ? <Empty>No events.</Empty> : null}
        {timeline.data && timeline.data.items.length > 0 ? (
          <AutoTable label="Timeline table" rows={timeline.data.items} columns={['time', 'type', 'stream', 'revision', 'actorId', 'summary']} />
        ) : null}
      </Card>
    </>
  );
}
