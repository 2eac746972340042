import { useMemo } from 'react';
import { answer, api } from '../api';
import { DayChart } from '../components/Chart';
import { Card, Empty, ErrorNote, Loading, Stat, useLoad } from '../components/ui';
import { int, ms, usd } from '../format';

const loadDashboard = async () => answer(api.GET('/me/dashboard'));
const loadUsage = async (groupBy: 'day' | 'model') => answer(api.GET('/me/usage', { params: { query: { groupBy } } }));
type UsageView = Awaited<ReturnType<typeof loadUsage>>;

/** Balance, spend and tokens per day (last 30 days), latency and requests by model. */
export function Overview() {
  const dashboard = useLoad(loadDashboard, []);
  const byDay = useLoad(() => loadUsage('day'), []);
  const byModel = useLoad(() => loadUsage('model'), []);

  const days = useMemo(() => (byDay.data ? fillDays(byDay.data) : null), [byDay.data]);
  const spendSeries = useMemo(() => (days ? [{ label: 'Spend (USD)', values: days.map((d) => Number(BigInt(d.spendMicroUsd)) / 1e6), color: '#2f6fdd' }] : []), [days]);
  const tokenSeries = useMemo(
    () =>
      days
        ? [
            { label: 'Input tokens', values: days.map((d) => d.inputTokens), color: '#1b8a5a' },
            { label: 'Output tokens', values: days.map((d) => d.outputTokens), color: '#b5531c' },
          ]
        : [],
    [days],
  );

  return (
    <>
      <h1>Overview</h1>
      <Card title="Credits">
        <ErrorNote error={dashboard.error} />
        {dashboard.loading ? <Loading what="your balance" /> : null}
        {dashboard.data ? (
          <div className="stats">
            <Stat label="Balance" value={usd(dashboard.data.balance.balanceMicroUsd)} />
            <Stat label="Available" value={usd(dashboard.data.balance.availableMicroUsd)} hint={`${usd(dashboard.data.balance.heldMicroUsd)} held for requests in flight`} />
            <Stat label="Spent (30 days)" value={usd(dashboard.data.spend.amountMicroUsd)} hint={`${int(dashboard.data.spend.requests)} requests`} />
            <Stat
              label="Lasts"
              value={dashboard.data.spendAgainstBalance.availableCoversDays === null ? '—' : `${int(dashboard.data.spendAgainstBalance.availableCoversDays)} days`}
              hint="at the average daily spend"
            />
          </div>
        ) : null}
      </Card>
      <Card title="Per day, last 30 days">
        <ErrorNote error={byDay.error} />
        {byDay.loading ? <Loading what="usage" /> : null}
        {days && byDay.data ? (
          <>
            <div className="stats">
              <Stat label="Latency p50" value={ms(byDay.data.totals.latencyP50Ms)} />
              <Stat label="Latency p95" value={ms(byDay.data.totals.latencyP95Ms)} />
              <Stat label="Requests" value={int(byDay.data.totals.requests)} />
            </div>
            <div className="charts">
              <DayChart title="Spend per day" days={days.map((d) => d.day)} series={spendSeries} />
              <DayChart title="Tokens per day" days={days.map((d) => d.day)} series={tokenSeries} />
            </div>
          </>
        ) : null}
      </Card>
      <Card title="Requests by model">
        <ErrorNote error={byModel.error} />
        {byModel.data && byModel.data.groups.length === 0 ? <Empty>No requests in the last 30 days. Create an API key and try the playground.</Empty> : null}
        {byModel.data && byModel.data.groups.length > 0 ? (
          <div className="table-wrap" tabIndex={0} role="region" aria-label="Requests by model table">
            <table>
              <thead>
                <tr>
                  <th scope="col">Model</th>
                  <th scope="col">Requests</th>
                  <th scope="col">Tokens in / out</th>
                  <th scope="col">Spend</th>
                </tr>
              </thead>
              <tbody>
                {byModel.data.groups.map((g) => (
                  <tr key={g.model}>
                    <td>{g.model}</td>
                    <td>{int(g.requests)}</td>
                    <td>
                      {int(g.inputTokens)} / {int(g.outputTokens)}
                    </td>
                    <td>{usd(g.spendMicroUsd)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </Card>
    </>
  );
}

/** Days without requests are absent from the answer; charts want every day of the period. */
function fillDays(view: UsageView) {
  const byDay = new Map(view.groups.map((g) => [g.day, g]));
  const out: { day: string; spendMicroUsd: string; inputTokens: number; outputTokens: number }[] = [];
  for (let t = Date.parse(`${view.period.from}T00:00:00Z`); t <= Date.parse(`${view.period.to}T00:00:00Z`); t += 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    const g = byDay.get(day);
    out.push({ day, spendMicroUsd: g?.spendMicroUsd ?? '0', inputTokens: g?.inputTokens ?? 0, outputTokens: g?.outputTokens ?? 0 });
  }
  return out;
}
