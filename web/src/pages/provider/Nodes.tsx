import { FormEvent, useState } from 'react';
import { answer, api } from '../../api';
import { AutoTable } from '../../components/AutoTable';
import { ReputationView } from '../../components/Reputation';
import { Card, Empty, ErrorNote, Loading, messageOf, useLoad } from '../../components/ui';

const loadNodes = async () => answer(api.GET('/provider/nodes'));

/** The provider's nodes, and registering one: its token shown once with the agent command to run. */
export function ProviderNodes() {
  const nodes = useLoad(loadNodes, []);
  const [registered, setRegistered] = useState<{ nodeId: string; token: string } | null>(null);
  const [record, setRecord] = useState<{ id: string; name: string } | null>(null);
  return (
    <>
      <h1>Nodes</h1>
      {registered ? <NodeToken {...registered} onDone={() => setRegistered(null)} /> : null}
      <RegisterNode
        onRegistered={(r) => {
          setRegistered(r);
          void nodes.reloadUntil((list) => list.some((n) => n.id === r.nodeId));
        }}
      />
      <Card title="Your nodes">
        <ErrorNote error={nodes.error} />
        {nodes.loading && !nodes.data ? <Loading what="nodes" /> : null}
        {nodes.data && nodes.data.length === 0 ? <Empty>No nodes yet. Register one above; an admin approves it before it gets traffic.</Empty> : null}
        {nodes.data && nodes.data.length > 0 ? (
          <AutoTable
            label="Nodes table"
            rows={nodes.data}
            columns={['name', 'status', 'online', 'modelsReady', 'inFlight', 'requestsServed', 'errors', 'lastHeartbeatAt']}
            actions={(row) => (
              <button type="button" className="secondary" onClick={() => setRecord({ id: String(row.id), name: String(row.name) })}>
                Record
              </button>
            )}
          />
        ) : null}
        <button type="button" className="secondary" onClick={nodes.reload}>
          Refresh
        </button>
      </Card>
      {record ? <NodeRecord key={record.id} {...record} /> : null}
    </>
  );
}

/** The node's last 30 days as the network judges it: probes, reported vs counted tokens, errors, held earnings. */
function NodeRecord({ id, name }: { id: string; name: string }) {
  const reputation = useLoad(() => answer(api.GET('/provider/nodes/{id}/reputation', { params: { path: { id } } })), [id]);
  return (
    <Card title={`Record of ${name}`}>
      <ErrorNote error={reputation.error} />
      {reputation.loading && !reputation.data ? <Loading what="the record" /> : null}
      {reputation.data ? <ReputationView r={reputation.data} /> : null}
    </Card>
  );
}

function NodeToken({ nodeId, token, onDone }: { nodeId: string; token: string; onDone: () => void }) {
  const command = `export TOLLGATE_NODE_TOKEN=${token}\nnpm run node-agent -- --gateway ${window.location.origin} --engine http://127.0.0.1:8000 --listen 0.0.0.0:8080`;
  return (
    <section className="card notice" aria-label="Node registered">
      <h2>Node {nodeId} registered</h2>
      <p>Its token is shown only this once. Run the agent beside your engine with it:</p>
      <pre className="secret" data-testid="node-command">
        {command}
      </pre>
      <div className="key-row">
        <button type="button" className="secondary" onClick={() => navigator.clipboard.writeText(command)}>
          Copy command
        </button>
        <button type="button" className="primary" onClick={onDone}>
          Done
        </button>
      </div>
    </section>
  );
}

function RegisterNode({ onRegistered }: { onRegistered: (r: { nodeId: string; token: string }) => void }) {
  const [name, setName] = useState('');
  const [endpointUrl, setEndpointUrl] = useState('');
  const [models, setModels] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onRegistered(
        await answer(
          api.POST('/provider/nodes', {
            body: {
              name,
              endpointUrl,
              models: models
                .split(',')
                .map((m) => m.trim())
                .filter(Boolean),
            },
          }),
        ),
      );
      setName('');
      setEndpointUrl('');
      setModels('');
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <Card title="Register a node">
      <form className="grid-form" onSubmit={submit}>
        <label>
          Name
          <input required value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Endpoint URL (where Tollgate reaches the agent)
          <input required type="url" placeholder="https://gpu1.example.com:8080" value={endpointUrl} onChange={(e) => setEndpointUrl(e.target.value)} />
        </label>
        <label>
          Models (comma-separated ids)
          <input required value={models} onChange={(e) => setModels(e.target.value)} />
        </label>
        <ErrorNote error={error} />
        <button className="primary" type="submit" disabled={busy}>
          {busy ? 'Registering…' : 'Register node'}
        </button>
      </form>
    </Card>
  );
}
