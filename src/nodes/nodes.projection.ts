import { Transaction } from 'kysely';
import { Database, NodesTable } from '../platform/database/schema';
import { RecordedEvent } from '../platform/event-store/event-store.port';
import { hasStrings } from '../platform/projection-runtime/event-shape';
import { Projector } from '../platform/projection-runtime/projector';
import { NodeEvent } from './node.events';

/**
 * GPU nodes: provider, endpoint, models, status, and whether the sweep last saw it online.
 * Rows keep the stream revision they reflect; an update applies only to a row behind the event.
 */
export const nodesProjection: Projector = {
  name: 'nodes',
  tables: ['nodes'],
  async apply(trx, events) {
    for (const event of events) if (event.stream.startsWith('node-')) await applyOne(trx, event);
  },
};

type NodeUpdate = Partial<Omit<NodesTable, 'models'>> & { models?: string };

async function applyOne(trx: Transaction<Database>, recorded: RecordedEvent): Promise<void> {
  const event = { type: recorded.type, data: recorded.data } as NodeEvent;
  const revision = recorded.revision.toString();
  const nodeId = recorded.stream.slice('node-'.length);
  const update = (set: NodeUpdate) =>
    trx
      .updateTable('nodes')
      .set({ ...set, revision })
      .where('node_id', '=', nodeId)
      .where('revision', '<', revision)
      .execute();
  switch (event.type) {
    case 'NodeRegistered': {
      const d = event.data;
      if (!hasStrings(d, 'providerId', 'name', 'endpointUrl', 'tokenHash', 'registeredAt') || !Array.isArray(d.models)) return;
      await trx
        .insertInto('nodes')
        .values({
          node_id: nodeId,
          provider_id: d.providerId,
          name: d.name,
          gpu_model: d.gpuModel,
          gpu_memory_gb: d.gpuMemoryGb,
          region: d.region,
          endpoint_url: d.endpointUrl,
          models: JSON.stringify(d.models),
          token_hash: d.tokenHash,
          status: 'pending',
          suspended_reason: null,
          online: false,
          registered_at: new Date(d.registeredAt),
          approved_at: null,
          retired_at: null,
          status_changed_at: new Date(d.registeredAt),
          online_changed_at: null,
          revision,
        })
        .onConflict((oc) => oc.column('node_id').doNothing())
        .execute();
      return;
    }
    case 'NodeModelsUpdated':
      if (Array.isArray(event.data.models)) await update({ models: JSON.stringify(event.data.models) });
      return;
    case 'NodeApproved':
      if (hasStrings(event.data, 'approvedAt'))
        await update({ status: 'approved', suspended_reason: null, approved_at: new Date(event.data.approvedAt), status_changed_at: new Date(event.data.approvedAt) });
      return;
    case 'NodeSuspended':
      if (hasStrings(event.data, 'reason', 'suspendedAt'))
        await update({ status: 'suspended', suspended_reason: event.data.reason, status_changed_at: new Date(event.data.suspendedAt) });
      return;
    case 'NodeRetired':
      if (hasStrings(event.data, 'retiredAt'))
        await update({ status: 'retired', online: false, retired_at: new Date(event.data.retiredAt), status_changed_at: new Date(event.data.retiredAt) });
      return;
    case 'NodeWentOffline':
      if (hasStrings(event.data, 'detectedAt')) await update({ online: false, online_changed_at: new Date(event.data.detectedAt) });
      return;
    case 'NodeCameOnline':
      if (hasStrings(event.data, 'detectedAt')) await update({ online: true, online_changed_at: new Date(event.data.detectedAt) });
      return;
    default:
      return;
  }
}
