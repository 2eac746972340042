import { useState } from 'react';
import { answer, api, query } from '../api';
import { Card, Empty, ErrorNote, Loading, useLoad } from '../components/ui';
import { dayOffset, int, ms, usd } from '../format';

type GroupBy = 'day' | 'model' | 'key';

const loadUsage = async (from: string, to: string, groupBy: GroupBy) =>
  answer(api.GET('/me/usage', { params: { query: { from: from || undefined, to: to || undefined, groupBy } } }));
type UsageView = Awaited<ReturnType<typeof loadUsage>>;
type UsageGroup = UsageView['groups'][number];

/**
 * Usage over a period, by day, model or key. There is no usage CSV route: the CSV link is made
 * in the page from the rows shown (money as exact micro-USD). The statement CSV is the server's.
 */
export function Usage() {
  const [from, setFrom] = useState(dayOffset(29));
  const [to, setTo] = useState(dayOffset(0));
  const [groupBy, setGroupBy] = useState<GroupBy>('day');
  const usage = useLoad(() => loadUsage(from, to, groupBy), [from, to, groupBy]);

  return (
    <>
      <h1>Usage</h1>
      <Card title="Filters">
        <div className="grid-form">
          <label>
            From
            <input type="date" value={from} max={to} onChange={(e) => setFrom(e.target.value)} />
          </label>
          <label>
            To
            <input type="date" value={to} min={from} onChange={(e) => setTo(e.target.value)} />
          </label>
          <label>
            Group by
            <select value={groupBy} onChange={(e) => setGroupBy(e.target.value as GroupBy)}>
              <option value="day">Day</option>
              <option value="model">Model</option>
              <option value="key">API key</option>
            </select>
          </label>
        </div>
      </Card>
      <Card title="Usage">
        <ErrorNote error={usage.error} />
        {usage.loading ? <Loading what="usage" /> : null}
        {usage.data && usage.data.groups.length === 0 ? <Empty>No requests in this period.</Empty> : null}
        {usage.data && usage.data.groups.length > 0 ? (
          <>
            <p>
              <a className="button secondary" download={`usage-${from}-${to}-by-${groupBy}.csv`} href={csvHref(usage.data)}>
                Download CSV
              </a>{' '}
              <a className="button secondary" href={`/me/credits/statement.csv${query({ from, to })}`}>
                Statement CSV
              </a>
            </p>
            {usage.data.truncated ? <p className="muted small">Only the largest groups are shown.</p> : null}
            <div className="table-wrap" tabIndex={0} role="region" aria-label="Usage table">
              <table data-testid="usage-table">
                <thead>
                  <tr>
                    <th scope="col">{groupBy === 'day' ? 'Day' : groupBy === 'model' ? 'Model' : 'Key'}</th>
                    <th scope="col">Requests</th>
                    <th scope="col">Input tokens</th>
                    <th scope="col">Output tokens</th>
                    <th scope="col">p50 / p95</th>
                    <th scope="col">Spend</th>
                  </tr>
                </thead>
                <tbody>
                  {usage.data.groups.map((g) => (
                    <tr key={label(g)}>
                      <td>{label(g)}</td>
                      <td>{int(g.requests)}</td>
                      <td>{int(g.inputTokens)}</td>
                      <td>{int(g.outputTokens)}</td>
                      <td>
                        {ms(g.latencyP50Ms)} / {ms(g.latencyP95Ms)}
                      </td>
                      <td>{usd(g.spendMicroUsd)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        ) : null}
      </Card>
    </>
  );
}

const label = (g: UsageGroup) => g.day ?? g.model ?? (g.keyName ? `${g.keyName} (${g.keyPrefix})` : (g.keyId ?? '—'));

function csvHref(view: UsageView): string {
  const cell = (v: string | number) => (/[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
  const rows = [[view.groupBy, 'requests', 'input_tokens', 'output_tokens', 'latency_p50_ms', 'latency_p95_ms', 'spend_micro_usd']];
  for (const g of view.groups)
    rows.push([label(g), String(g.requests), String(g.inputTokens), String(g.outputTokens), String(g.latencyP50Ms ?? ''), String(g.latencyP95Ms ?? ''), g.spendMicroUsd]);
  return 'data:text/csv;charset=utf-8,' + encodeURIComponent(rows.map((r) => r.map(cell).join(',')).join('\n') + '\n');
}
