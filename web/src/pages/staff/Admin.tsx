import { useState } from 'react';
import { answer, api, query } from '../../api';
import { AutoTable } from '../../components/AutoTable';
import { ActionButton, Card, Empty, ErrorNote, Loading, messageOf, useLoad } from '../../components/ui';

type NodePath = { id: string };

const loadNodes = async () => answer(api.GET('/admin/nodes'));

/** Every node: approve (or lift a suspension) and suspend with a reason. */
export function AdminNodesPage() {
  const nodes = useLoad(loadNodes, []);
  const [error, setError] = useState<string | null>(null);
  const act = async (id: unknown, status: 'approved' | 'suspended', call: (path: NodePath) => Promise<unknown>) => {
    setError(null);
    try {
      await call({ id: String(id) });
      await nodes.reloadUntil((list) => list.some((n) => n.id === id && n.status === status));
    } catch (err) {
      setError(messageOf(err));
    }
  };
  return (
    <>
      <h1>Nodes</h1>
      <Card title="All nodes, newest first">
        <ErrorNote error={nodes.error ?? error} />
        {nodes.loading && !nodes.data ? <Loading what="nodes" /> : null}
        {nodes.data && nodes.data.length === 0 ? <Empty>No node is registered.</Empty> : null}
        {nodes.data && nodes.data.length > 0 ? (
          <AutoTable
            label="Nodes table"
            rows={nodes.data}
            columns={['name', 'providerId', 'status', 'online', 'modelsReady', 'inFlight', 'requestsServed', 'errors', 'registeredAt']}
            actions={(n) => (
              <>
                {n.status === 'pending' || n.status === 'suspended' ? (
                  <ActionButton busyText="Approving…" onClick={() => act(n.id, 'approved', (path) => answer(api.POST('/admin/nodes/{id}/approve', { params: { path } })))}>
                    Approve
                  </ActionButton>
                ) : null}
                {n.status === 'approved' ? (
                  <ActionButton
                    kind="danger"
                    busyText="Suspending…"
                    onClick={async () => {
                      const reason = window.prompt(`Why suspend ${String(n.name)}?`);
                      if (reason) await act(n.id, 'suspended', (path) => answer(api.POST('/admin/nodes/{id}/suspend', { params: { path }, body: { reason } })));
                    }}
                  >
                    Suspend
                  </ActionButton>
                ) : null}
              </>
            )}
          />
        ) : null}
      </Card>
    </>
  );
}

/** Staff actions and CLI commands, filtered, with the CSV. */
export function AuditLogPage() {
  const [actor, setActor] = useState('');
  const [target, setTarget] = useState('');
  const params = { actor: actor.trim() || undefined, target: target.trim() || undefined };
  const log = useLoad(() => answer(api.GET('/admin/audit-log', { params: { query: params } })), [actor, target]);
  return (
    <>
      <h1>Audit log</h1>
      <Card title="Filters">
        <div className="grid-form">
          <label>
            Actor
            <input placeholder="account id, operator:cli" value={actor} onChange={(e) => setActor(e.target.value)} />
          </label>
          <label>
            Target
            <input placeholder="account, key or node id" value={target} onChange={(e) => setTarget(e.target.value)} />
          </label>
        </div>
      </Card>
      <Card title="Entries, newest first">
        <ErrorNote error={log.error} />
        {log.loading ? <Loading what="the audit log" /> : null}
        {log.data && log.data.items.length === 0 ? <Empty>No entries match.</Empty> : null}
        {log.data && log.data.items.length > 0 ? <AutoTable label="Audit log table" rows={log.data.items} /> : null}
        <p>
          <a className="button secondary" href={'/admin/audit-log.csv' + query(params)}>
            Audit log CSV
          </a>
        </p>
      </Card>
    </>
  );
}
