import { Projector } from '../src/platform/projection-runtime/projector';
import { accountsProjection } from './accounts.projection';
import { apiKeysProjection } from './api-keys.projection';
import { approvalsProjection } from './approvals.projection';
import { auditLogProjection } from './audit-log.projection';
import { earningsHoldsProjection } from './earnings-holds.projection';
import { kycProjection } from './kyc.projection';
import { ledgerProjection } from './ledger.projection';
import { nodeReputationProjection } from './node-reputation.projection';
import { nodesProjection } from './nodes.projection';
import { notificationPreferencesProjection } from './notification-preferences.projection';
import { paymentsProjection } from './payments.projection';
import { payoutsProjection } from './payouts.projection';
import { pricesProjection } from './prices.projection';
import { streamIndexProjection } from './stream-index.projection';
import { upstreamsProjection } from './upstreams.projection';
import { usageProjection } from './usage.projection';

/** Every read model the runner maintains, rebuilds and verifies. */
export const projectors: readonly Projector[] = [
  streamIndexProjection,
  accountsProjection,
  apiKeysProjection,
  ledgerProjection,
  nodesProjection,
  pricesProjection,
  paymentsProjection,
  payoutsProjection,
  usageProjection,
  auditLogProjection,
  kycProjection,
  approvalsProjection,
  nodeReputationProjection,
  earningsHoldsProjection,
  notificationPreferencesProjection,
  upstreamsProjection,
];
