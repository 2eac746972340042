import { sql } from 'kysely';
import { hasStrings } from '../platform/projection-runtime/event-shape';
import { Projector } from '../platform/projection-runtime/projector';
import { UPSTREAM_STREAM_PREFIX, UpstreamEvent } from './upstream.events';

const DIGITS = /^\d{1,18}$/;

/**
 * Upstream API vendors and their cost versions (never their keys: those are sealed in
 * upstream_credentials, outside the events). Every write is idempotent, so a replayed batch changes nothing.
 */
export const upstreamsProjection: Projector = {
  name: 'upstreams',
  tables: ['upstream_providers', 'upstream_costs'],
  async apply(trx, events) {
    for (const recorded of events) {
      if (!recorded.stream.startsWith(UPSTREAM_STREAM_PREFIX)) continue;
      const upstreamId = recorded.stream.slice(UPSTREAM_STREAM_PREFIX.length);
      const event = { type: recorded.type, data: recorded.data } as UpstreamEvent;
      switch (event.type) {
        case 'UpstreamRegistered': {
          const d = event.data;
          if (!hasStrings(d, 'name', 'baseUrl', 'registeredAt') || !Array.isArray(d.models) || !Number.isInteger(d.keyVersion)) continue;
          await trx
            .insertInto('upstream_providers')
            .values({
              upstream_id: upstreamId,
              name: d.name,
              base_url: d.baseUrl,
              models: JSON.stringify(d.models),
              status: 'active',
              key_version: d.keyVersion,
              registered_at: new Date(d.registeredAt),
              updated_at: new Date(d.registeredAt),
            })
            .onConflict((oc) => oc.column('upstream_id').doNothing())
            .execute();
          break;
        }
        case 'UpstreamKeyRotated':
          if (!Number.isInteger(event.data.keyVersion) || !hasStrings(event.data, 'rotatedAt')) continue;
          await trx
            .updateTable('upstream_providers')
            .set({ key_version: sql<number>`greatest(key_version, ${event.data.keyVersion})`, updated_at: new Date(event.data.rotatedAt) })
            .where('upstream_id', '=', upstreamId)
            .execute();
          break;
        case 'UpstreamModelsUpdated':
          if (!Array.isArray(event.data.models) || !hasStrings(event.data, 'updatedAt')) continue;
          await trx
            .updateTable('upstream_providers')
            .set({ models: JSON.stringify(event.data.models), updated_at: new Date(event.data.updatedAt) })
            .where('upstream_id', '=', upstreamId)
            .execute();
          break;
        case 'UpstreamRetired':
          if (!hasStrings(event.data, 'retiredAt')) continue;
          await trx
            .updateTable('upstream_providers')
            .set({ status: 'retired', updated_at: new Date(event.data.retiredAt) })
            .where('upstream_id', '=', upstreamId)
            .execute();
          break;
        case 'UpstreamCostSet': {
          const d = event.data;
          if (!hasStrings(d, 'model', 'inputMicroUsdPerMTok', 'outputMicroUsdPerMTok', 'effectiveAt', 'setAt') || !Number.isInteger(d.version)) continue;
          if (!DIGITS.test(d.inputMicroUsdPerMTok) || !DIGITS.test(d.outputMicroUsdPerMTok) || (d.perImageMicroUsd !== null && !DIGITS.test(String(d.perImageMicroUsd)))) continue;
          await trx
            .insertInto('upstream_costs')
            .values({
              upstream_id: upstreamId,
              model: d.model,
              version: d.version,
              input_micro_usd_per_mtok: d.inputMicroUsdPerMTok,
              output_micro_usd_per_mtok: d.outputMicroUsdPerMTok,
              per_image_micro_usd: d.perImageMicroUsd,
              effective_at: new Date(d.effectiveAt),
              set_at: new Date(d.setAt),
            })
            .onConflict((oc) => oc.columns(['upstream_id', 'model', 'version']).doNothing())
            .execute();
          break;
        }
        default:
          break;
      }
    }
  },
};
