import { Projector } from './platform/projection-runtime/projector';
import { accountsProjection } from './accounts/accounts.projection';
import { apiKeysProjection } from './api-keys/api-keys.projection';
import { approvalsProjection } from './payments/approvals.projection';
import { auditLogProjection } from './audit/audit-log.projection';
import { earningsHoldsProjection } from './payouts/earnings-holds.projection';
import { kycProjection } from './privacy/kyc/kyc.projection';
import { ledgerProjection } from './ledger/ledger.projection';
import { nodeReputationProjection } from './nodes/trust/reputation/node-reputation.projection';
import { nodesProjection } from './nodes/nodes.projection';
import { notificationPreferencesProjection } from './notifications/preferences/notification-preferences.projection';
import { paymentsProjection } from './payments/payments.projection';
import { payoutsProjection } from './payouts/payouts.projection';
import { pricesProjection } from './pricing/prices.projection';
import { streamIndexProjection } from './platform/projection-runtime/stream-index.projection';
import { upstreamsProjection } from './upstreams/upstreams.projection';
import { usageProjection } from './dashboards/usage.projection';

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
