import { useState } from 'react';
import { answer, api } from '../../api';
import { AutoTable } from '../../components/AutoTable';
import { ReputationView } from '../../components/Reputation';
import { ActionButton, Card, Empty, ErrorNote, Loading, messageOf, useLoad } from '../../components/ui';

type Status = 'open' | 'released' | 'clawed_back';
const STATUSES: Status[] = ['open', 'released', 'clawed_back'];

/**
 * Earnings held when a node's record looked wrong (docs/trusting-nodes.md, "Reputation"): an admin
 * decides each one — release them to the provider, or claw them back — with a reason
 * that goes into the audit log. The list shows the decision at once.
 */
export function NodeReviewsPage() {
  const [status, setStatus] = useState<Status>('open');
  const reviews = useLoad(() => answer(api.GET('/admin/node-reviews', { params: { query: { status } } })), [status]);
  const [error, setError] = useState<string | null>(null);
  const [record, setRecord] = useState<string | null>(null);
  const decide = async (reviewId: string, decision: 'release' | 'claw-back') => {
    const reason = window.prompt(decision === 'release' ? 'Why release these earnings? (recorded in the audit log)' : 'Why claw these earnings back? (recorded in the audit log)');
    if (!reason) return;
    setError(null);
    try {
      const path = { reviewId };
      await answer(
        decision === 'release'
          ? api.POST('/admin/node-reviews/{reviewId}/release', { params: { path }, body: { reason } })
          : api.POST('/admin/node-reviews/{reviewId}/claw-back', { params: { path }, body: { reason } }),
      );
      await reviews.reloadUntil((rows) => !rows.some((r) => r.reviewId === reviewId && r.status === 'open'));
    } catch (err) {
      setError(messageOf(err));
    }
  };
  return (
    <>
      <h1>Node reviews</h1>
      <Card title="Earnings held for review">
        <label>
          Status
          <select value={status} onChange={(e) => setStatus(e.target.value as Status)}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.replace('_', ' ')}
              </option>
            ))}
          </select>
        </label>
        <ErrorNote error={reviews.error ?? error} />
        {reviews.loading && !reviews.data ? <Loading what="reviews" /> : null}
        {reviews.data && reviews.data.length === 0 ? <Empty>No {status.replace('_', ' ')} reviews.</Empty> : null}
        {reviews.data && reviews.data.length > 0 ? (
          <AutoTable
            label="Reviews table"
            rows={reviews.data}
            columns={['heldAt', 'nodeId', 'providerId', 'fromDay', 'toDay', 'heldMicroUsd', 'reason', 'status', 'decidedBy', 'decisionReason', 'clawedBackMicroUsd']}
            actions={(row) => (
              <span className="key-row">
                <button type="button" className="secondary" onClick={() => setRecord(String(row.nodeId))}>
                  Node record
                </button>
                {row.status === 'open' ? (
                  <>
                    <ActionButton busyText="Releasing…" onClick={() => decide(String(row.reviewId), 'release')}>
                      Release
                    </ActionButton>
                    <ActionButton kind="danger" busyText="Clawing back…" onClick={() => decide(String(row.reviewId), 'claw-back')}>
                      Claw back
                    </ActionButton>
                  </>
                ) : null}
              </span>
            )}
          />
        ) : null}
      </Card>
      {record ? <NodeRecord key={record} nodeId={record} /> : null}
    </>
  );
}

/** The node's record as staff see it: the provider's figures and each incident behind them. */
function NodeRecord({ nodeId }: { nodeId: string }) {
  const reputation = useLoad(() => answer(api.GET('/admin/nodes/{id}/reputation', { params: { path: { id: nodeId } } })), [nodeId]);
  return (
    <Card title={`Record of node ${nodeId}`}>
      <ErrorNote error={reputation.error} />
      {reputation.loading && !reputation.data ? <Loading what="the record" /> : null}
      {reputation.data ? <ReputationView r={reputation.data} /> : null}
    </Card>
  );
}
