import { answer, api } from '../../api';
import { AutoTable } from '../../components/AutoTable';
import { Card, Empty, ErrorNote, Loading, Stat, useLoad } from '../../components/ui';
import { int, usd } from '../../format';

const loadNetwork = async () => answer(api.GET('/admin/network'));

/** The whole network for admins and finance (GET /admin/network): load, revenue, community nodes against upstream vendors. */
export function NetworkPage() {
  const network = useLoad(loadNetwork, []);
  const n = network.data;
  return (
    <>
      <h1>Network</h1>
      <ErrorNote error={network.error} />
      {network.loading && !n ? <Loading what="the network view" /> : null}
      {n ? (
        <>
          <Card title="Nodes and load">
            <div className="stats">
              <Stat label="Live nodes" value={int(n.nodes.live)} hint={`${int(n.nodes.approved)} approved, ${int(n.nodes.registered)} registered`} />
              <Stat label="Requests per minute, last minute" value={String(n.requestsPerMinute.last1m.perMinute)} />
              <Stat label="Last 5 minutes" value={String(n.requestsPerMinute.last5m.perMinute)} />
              <Stat label="Last hour" value={String(n.requestsPerMinute.last60m.perMinute)} hint={`${int(n.requestsPerMinute.last60m.upstreamFailed)} failed at a node`} />
            </div>
          </Card>
          <Card title={`Revenue, ${n.period.from} to ${n.period.to}`}>
            <div className="stats">
              <Stat label="Spend" value={usd(n.revenue.period.spend.microUsd)} hint={`all time ${usd(n.revenue.allTime.spend.microUsd)}`} />
              <Stat label="Provider share" value={usd(n.revenue.period.providerShare.microUsd)} />
              <Stat label="Platform" value={usd(n.revenue.period.platform.microUsd)} hint={`all time ${usd(n.revenue.allTime.platform.microUsd)}`} />
            </div>
          </Card>
          <Card title="Community nodes and upstream vendors">
            <AutoTable
              label="Traffic and margin by source"
              rows={[
                {
                  source: 'Community nodes',
                  requests: n.bySource.community.requests,
                  failed: n.bySource.community.upstreamFailed,
                  spendMicroUsd: n.bySource.community.spend.microUsd,
                  paidOutMicroUsd: n.bySource.community.providerShare.microUsd,
                  marginMicroUsd: n.bySource.community.margin.microUsd,
                },
                {
                  source: 'Upstream vendors',
                  requests: n.bySource.upstream.requests,
                  failed: n.bySource.upstream.upstreamFailed,
                  spendMicroUsd: n.bySource.upstream.spend.microUsd,
                  paidOutMicroUsd: n.bySource.upstream.vendorCost.microUsd,
                  marginMicroUsd: n.bySource.upstream.margin.microUsd,
                },
              ]}
            />
            <p>Paid out: the providers' share for community nodes, what the vendors charge for upstreams.</p>
          </Card>
          <Card title="Top models">
            {n.topModels.length === 0 ? (
              <Empty>No requests in the period.</Empty>
            ) : (
              <AutoTable
                label="Top models"
                rows={n.topModels.map((m) => ({
                  model: m.model,
                  requests: m.requests,
                  spendMicroUsd: m.spend.microUsd,
                  errorRate: m.errorRate,
                  latencyP50Ms: m.latencyP50Ms,
                  latencyP95Ms: m.latencyP95Ms,
                }))}
              />
            )}
          </Card>
          <Card title="Nodes by error rate">
            {n.nodeErrorRates.length === 0 ? <Empty>No node served a request in the period.</Empty> : <AutoTable label="Nodes by error rate" rows={n.nodeErrorRates} />}
          </Card>
        </>
      ) : null}
    </>
  );
}
