import { FormEvent, useState } from 'react';
import { answer, api } from '../../api';
import { AutoTable } from '../../components/AutoTable';
import { Card, Empty, ErrorNote, Loading, Stat, useLoad } from '../../components/ui';
import { usd } from '../../format';

const KINDS = ['developer', 'provider', 'platform'] as const;
type Kind = (typeof KINDS)[number];

const loadAccounts = async (kind: Kind) => answer(api.GET('/finance/ledger-accounts', { params: { query: { kind } } }));
const loadStatement = async (account: string) => answer(api.GET('/finance/ledger-accounts/{account}', { params: { path: { account } } }));

/**
 * Any ledger account's statement (`GET /finance/ledger-accounts/:account`): totals and its lines
 * with running balance, reasons and actors; accounts listed by kind to pick from.
 */
export function StatementPage() {
  const [typed, setTyped] = useState('');
  const [account, setAccount] = useState('');
  const [kind, setKind] = useState<Kind>('developer');
  const accounts = useLoad(() => loadAccounts(kind), [kind]);
  const statement = useLoad(async () => (account ? loadStatement(account) : null), [account]);
  const open = (e: FormEvent) => {
    e.preventDefault();
    setAccount(typed.trim());
  };
  return (
    <>
      <h1>Account statement</h1>
      <Card title="Ledger account">
        <form className="grid-form" onSubmit={open}>
          <label>
            Ledger account
            <input required placeholder="developer:<account id>, platform:revenue" value={typed} onChange={(e) => setTyped(e.target.value)} />
          </label>
          <button className="primary" type="submit">
            Show statement
          </button>
        </form>
      </Card>
      {account ? (
        <Card title={`Statement of ${account}`}>
          <ErrorNote error={statement.error} />
          {statement.loading ? <Loading what="the statement" /> : null}
          {statement.data ? (
            <>
              <div className="stats">
                <Stat label="Balance" value={usd(statement.data.totals.normalBalanceMicroUsd)} hint="as its owner reads it" />
                <Stat label="Debits" value={usd(statement.data.totals.debitsMicroUsd)} />
                <Stat label="Credits" value={usd(statement.data.totals.creditsMicroUsd)} />
              </div>
              {statement.data.lines.items.length === 0 ? (
                <Empty>No entries on this account yet.</Empty>
              ) : (
                <AutoTable
                  label="Statement lines"
                  rows={statement.data.lines.items}
                  columns={['occurredAt', 'type', 'amountMicroUsd', 'balanceAfterMicroUsd', 'reference', 'reason', 'actorId']}
                />
              )}
              {statement.data.lines.nextCursor ? <p className="muted small">Newest lines shown; older ones are in the journal CSV.</p> : null}
            </>
          ) : null}
        </Card>
      ) : null}
      <Card title="Accounts">
        <div className="grid-form">
          <label>
            Kind
            <select value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
              {KINDS.map((k) => (
                <option key={k}>{k}</option>
              ))}
            </select>
          </label>
        </div>
        <ErrorNote error={accounts.error} />
        {accounts.loading && !accounts.data ? <Loading what="accounts" /> : null}
        {accounts.data && accounts.data.items.length === 0 ? <Empty>No {kind} accounts have entries yet.</Empty> : null}
        {accounts.data && accounts.data.items.length > 0 ? (
          <AutoTable
            label="Ledger accounts table"
            rows={accounts.data.items}
            columns={['account', 'normalBalanceMicroUsd', 'entries']}
            actions={(r) => (
              <button
                type="button"
                className="secondary"
                onClick={() => {
                  setTyped(String(r.account));
                  setAccount(String(r.account));
                }}
              >
                Statement
              </button>
            )}
          />
        ) : null}
      </Card>
    </>
  );
}
