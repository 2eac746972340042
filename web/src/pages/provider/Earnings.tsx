import { useMemo } from 'react';
import { answer, api } from '../../api';
import { AutoTable } from '../../components/AutoTable';
import { DayChart } from '../../components/Chart';
import { Card, Empty, ErrorNote, Loading, Stat, useLoad } from '../../components/ui';
import { usd } from '../../format';

const loadEarnings = async (groupBy: 'day' | 'node') => answer(api.GET('/provider/earnings', { params: { query: { groupBy } } }));

/** Earnings per day (chart) and per node, last 30 days. */
export function ProviderEarnings() {
  const byDay = useLoad(() => loadEarnings('day'), []);
  const byNode = useLoad(() => loadEarnings('node'), []);
  const days = useMemo(() => {
    if (!byDay.data) return null;
    const map = new Map(byDay.data.groups.map((g) => [g.day, g]));
    const out: { day: string; usd: number }[] = [];
    for (let t = Date.parse(`${byDay.data.period.from}T00:00:00Z`); t <= Date.parse(`${byDay.data.period.to}T00:00:00Z`); t += 86_400_000) {
      const day = new Date(t).toISOString().slice(0, 10);
      out.push({ day, usd: Number(BigInt(map.get(day)?.earningsMicroUsd ?? '0')) / 1e6 });
    }
    return out;
  }, [byDay.data]);
  const series = useMemo(() => (days ? [{ label: 'Earnings (USD)', values: days.map((d) => d.usd), color: '#1b8a5a' }] : []), [days]);
  return (
    <>
      <h1>Earnings</h1>
      <Card title="Last 30 days">
        <ErrorNote error={byDay.error} />
        {byDay.loading ? <Loading what="earnings" /> : null}
        {byDay.data && days ? (
          <>
            <div className="stats">
              <Stat label="Earned" value={usd(byDay.data.totals.earningsMicroUsd)} />
              <Stat label="Requests served" value={String(byDay.data.totals.requests)} />
            </div>
            <DayChart title="Earnings per day" days={days.map((d) => d.day)} series={series} />
          </>
        ) : null}
      </Card>
      <Card title="By node">
        <ErrorNote error={byNode.error} />
        {byNode.data && byNode.data.groups.length === 0 ? <Empty>No requests served in the last 30 days.</Empty> : null}
        {byNode.data && byNode.data.groups.length > 0 ? (
          <AutoTable label="Earnings by node" rows={byNode.data.groups} columns={['nodeName', 'requests', 'earningsMicroUsd']} />
        ) : null}
      </Card>
    </>
  );
}
