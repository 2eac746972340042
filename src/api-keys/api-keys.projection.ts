import { ApiKeyEvent } from './api-key.events';
import { hasStrings } from '../platform/projection-runtime/event-shape';
import { Projector } from '../platform/projection-runtime/projector';

/** API key metadata for lists and the hot-path lookup: never the key, only its keyed hash. */
export const apiKeysProjection: Projector = {
  name: 'api-keys',
  tables: ['api_keys'],
  async apply(trx, events) {
    for (const recorded of events) {
      if (!recorded.stream.startsWith('apikey-')) continue;
      const event = { type: recorded.type, data: recorded.data } as ApiKeyEvent;
      const revision = recorded.revision.toString();
      if (event.type === 'ApiKeyIssued' && hasStrings(event.data, 'keyId', 'accountId', 'name', 'prefix', 'keyHash', 'issuedAt')) {
        const d = event.data;
        await trx
          .insertInto('api_keys')
          .values({
            key_id: d.keyId,
            account_id: d.accountId,
            name: d.name,
            prefix: d.prefix,
            key_hash: d.keyHash,
            requests_per_minute: d.requestsPerMinute,
            tokens_per_minute: d.tokensPerMinute,
            created_at: new Date(d.issuedAt),
            expires_at: d.expiresAt ? new Date(d.expiresAt) : null,
            revoked_at: null,
            revoked_reason: null,
            replaced_by: null,
            rotated_from: d.rotatedFrom,
            revision,
          })
          .onConflict((oc) => oc.column('key_id').doNothing())
          .execute();
      } else if (event.type === 'ApiKeyRevoked' && hasStrings(event.data, 'keyId', 'revokedAt')) {
        await trx
          .updateTable('api_keys')
          .set({ revoked_at: new Date(event.data.revokedAt), revoked_reason: event.data.reason, replaced_by: event.data.replacedBy, revision })
          .where('key_id', '=', event.data.keyId)
          .where('revision', '<', revision)
          .execute();
      }
    }
  },
};
