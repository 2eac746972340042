import type { paths } from '../api/openapi';
import { ms } from '../format';
import { AutoTable } from './AutoTable';
import { Stat } from './ui';

/** The same answer for providers and staff (staff's has `incidents`). */
export type Reputation = paths['/admin/nodes/{id}/reputation']['get']['responses'][200]['content']['application/json'];

const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);

/**
 * A node's record (docs/trusting-nodes.md): what the probes found, what the node reported against
 * what the gateway counted, its errors and latency, and any earnings held for review. Providers
 * and staff see the same figures; staff also see each incident.
 */
export function ReputationView({ r }: { r: Reputation }) {
  const byKind = Object.entries(r.discrepancies.byKind)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return (
    <div data-testid="reputation">
      <div className="stats">
        <Stat label="Status" value={r.status} hint={r.suspendedReason ?? undefined} />
        <Stat label="Routing weight" value={r.routingWeight.toFixed(2)} hint="1 is full preference; incidents in the last 24 h lower it" />
        <Stat
          label="Probes"
          value={`${r.probes.passed} passed, ${r.probes.failed} failed`}
          hint={`${r.probes.unanswered} unanswered; suspended at ${r.thresholds.probeFailuresToSuspend} failures in ${r.thresholds.probeWindow}`}
        />
        <Stat label="Discrepancies" value={String(r.discrepancies.total)} hint={byKind || 'none'} />
        <Stat
          label="Reported to counted tokens"
          value={r.counting.reportedToCounted === null ? '—' : r.counting.reportedToCounted.toFixed(3)}
          hint={`${r.counting.reportedTokens} reported, ${r.counting.countedTokens} counted`}
        />
        <Stat label="Error rate" value={pct(r.traffic.errorRate)} hint={`${r.traffic.requests} requests; p50 ${ms(r.traffic.latencyP50Ms)}, p95 ${ms(r.traffic.latencyP95Ms)}`} />
      </div>
      <p className="muted small">
        {r.period.from} to {r.period.to}
        {r.evaluatedSince ? `, counted since its approval ${new Date(r.evaluatedSince).toLocaleString()}` : ''}.
      </p>
      {r.reviews.length > 0 ? (
        <AutoTable label="Held earnings" rows={r.reviews} columns={['status', 'fromDay', 'toDay', 'heldMicroUsd', 'reason', 'decisionReason', 'clawedBackMicroUsd']} />
      ) : (
        <p className="empty">No earnings held for review.</p>
      )}
      {r.incidents && r.incidents.length > 0 ? <AutoTable label="Incidents" rows={r.incidents} columns={['at', 'type', 'kind', 'model', 'reported', 'bound']} /> : null}
    </div>
  );
}
