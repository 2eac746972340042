import { ColumnType, Generated } from 'kysely';

/**
 * Kysely types for every table. The event store's own table is written with raw SQL
 * (src/platform/event-store/postgres) and is described here only for reads from tooling.
 */
export interface EventsTable {
  global_position: Generated<string>;
  transaction_id: Generated<string>;
  stream: string;
  revision: string;
  event_id: string;
  event_type: string;
  data: unknown;
  metadata: unknown;
  created_at: Generated<Date>;
}

export interface ProjectionCheckpointsTable {
  name: string;
  /** null = nothing applied yet (start of $all). */
  commit_position: string | null;
  prepare_position: string | null;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface StreamIndexTable {
  stream: string;
  category: string;
  revision: string;
  event_count: string;
  first_event_at: Date;
  last_event_at: Date;
  last_event_type: string;
}

export interface PersonalDataKeysTable {
  subject_id: string;
  key: Buffer | null;
  created_at: Generated<Date>;
  shredded_at: Date | null;
}

/** The policy notice worker's progress per published version (src/legal/policy-notices.ts). */
export interface PolicyNoticeRunsTable {
  kind: string;
  version: string;
  effective_at: Date;
  cursor_registered_at: Date | null;
  cursor_account_id: string | null;
  queued: Generated<number>;
  finished_at: Date | null;
}

export interface AccountsTable {
  account_id: string;
  email_hash: string;
  email_sealed: string | null;
  display_name_sealed: string | null;
  picture_sealed: string | null;
  roles: string[];
  status: 'active' | 'suspended';
  registered_via: string;
  registered_at: Date;
  deletion_requested_at: Date | null;
  /** When the pending deletion completes (P9). */
  deletion_due_at: Date | null;
  /** Set by AccountDeleted: the sealed fields are null and email_hash no longer the email's. */
  deleted_at: Date | null;
  /** Processing restricted by the person (P10): API keys refused. */
  restricted_at: Date | null;
  revision: string;
}

export interface ApiKeysTable {
  key_id: string;
  account_id: string;
  name: string;
  prefix: string;
  key_hash: string;
  requests_per_minute: number | null;
  tokens_per_minute: number | null;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  revoked_reason: string | null;
  replaced_by: string | null;
  rotated_from: string | null;
  revision: string;
}

export interface ApiKeyUsageTable {
  key_id: string;
  last_used_at: Date;
}

export interface LedgerTransactionsTable {
  tx_no: string;
  event_id: string;
  stream: string;
  revision: string;
  type: string;
  owner_id: string | null;
  reference: string | null;
  reason: string | null;
  actor_id: string | null;
  amount_micro_usd: string;
  occurred_at: Date;
}

export interface LedgerPostingsTable {
  tx_no: string;
  posting_no: number;
  ledger_account: string;
  amount_micro_usd: string;
  occurred_at: Date;
}

export interface LedgerBalancesTable {
  ledger_account: string;
  kind: string;
  owner_id: string | null;
  normal_side: string;
  balance_micro_usd: string;
  debits_micro_usd: string;
  credits_micro_usd: string;
  entries: string;
  last_tx_no: string;
  updated_at: Date;
}

// --- GPU nodes and prices (migration 0005) ---
export interface NodesTable {
  node_id: string;
  provider_id: string;
  name: string;
  gpu_model: string | null;
  gpu_memory_gb: number | null;
  region: string | null;
  endpoint_url: string;
  /** [{ id, contextLength }] */
  models: ColumnType<{ id: string; contextLength: number | null }[], string, string>;
  token_hash: string;
  status: 'pending' | 'approved' | 'suspended' | 'retired';
  suspended_reason: string | null;
  online: boolean;
  registered_at: Date;
  approved_at: Date | null;
  retired_at: Date | null;
  status_changed_at: Date;
  online_changed_at: Date | null;
  revision: string;
}

export interface UpstreamProvidersTable {
  upstream_id: string;
  name: string;
  base_url: string;
  /** [{ id, vendorModel }] */
  models: ColumnType<{ id: string; vendorModel: string | null }[], string, string>;
  status: 'active' | 'retired';
  key_version: number;
  registered_at: Date;
  updated_at: Date;
}

export interface UpstreamCostsTable {
  upstream_id: string;
  model: string;
  version: number;
  /** bigint micro-USD (pg returns int8 as a string) */
  input_micro_usd_per_mtok: string;
  output_micro_usd_per_mtok: string;
  per_image_micro_usd: string | null;
  effective_at: Date;
  set_at: Date;
}

/** Not a read model: the vendor key sealed under APP_SECRET (src/platform/security/sealing.ts). */
export interface UpstreamCredentialsTable {
  upstream_id: string;
  key_version: number;
  sealed_key: string;
  created_at: ColumnType<Date, Date | undefined, never>;
}

export interface ModelPricesTable {
  model: string;
  version: number;
  /** bigint micro-USD; pg returns int8 as a string */
  input_micro_usd_per_mtok: string;
  output_micro_usd_per_mtok: string;
  per_image_micro_usd: string | null;
  effective_at: Date;
  set_at: Date;
}

// ── Payments (migrations/0006_payments.ts) ──────────────────────────────────────────────────
export interface PaymentOrdersTable {
  order_id: string;
  account_id: string;
  amount_micro_usd: string;
  amount_cents: number;
  currency: string;
  receipt: string;
  /** created | credited */
  status: string;
  created_at: Date;
  updated_at: Date;
  revision: string;
}

export interface PaymentsTable {
  payment_id: string;
  order_id: string;
  account_id: string | null;
  razorpay_status: string | null;
  /** Razorpay's `captured` flag as last observed; null on rows from before it was recorded. */
  captured: ColumnType<boolean | null, boolean | null | undefined, boolean | null>;
  amount_cents: number | null;
  currency: string | null;
  error_reason: string | null;
  checkout_verified: ColumnType<boolean, boolean | undefined, boolean>;
  /** not_credited | credited */
  ledger_status: string;
  credited_micro_usd: string | null;
  credited_at: Date | null;
  dispute_id: string | null;
  /** frozen | released | lost */
  dispute_status: string | null;
  disputed_micro_usd: string | null;
  frozen_micro_usd: string | null;
  shortfall_micro_usd: string | null;
  updated_at: Date;
}

export interface PaymentRefundsTable {
  refund_id: string;
  order_id: string;
  payment_id: string;
  account_id: string;
  razorpay_refund_id: string | null;
  amount_micro_usd: string;
  /** pending_approval | rejected | requested | submitted | settled | failed */
  status: string;
  reason: string;
  requested_by: string | null;
  /** The second staff member, for a refund above the approval threshold. */
  approved_by: ColumnType<string | null, string | null | undefined, string | null>;
  failure_reason: string | null;
  requested_at: Date;
  updated_at: Date;
}

/** migrations/0019_mail_log.ts: metadata of each notification mailed (never its address or text). */
export interface MailLogTable {
  notification_id: string;
  category: string;
  /** sent | failed (every attempt failed: the dead letter) | skipped (an optional category the person turned off) */
  outcome: string;
  attempts: number;
  last_error: string | null;
  finished_at: Date;
}

/** migrations/0020: the read model of the notifications-{accountId} streams (mail preferences). */
export interface NotificationPreferencesTable {
  account_id: string;
  /** Optional categories turned off (marketing is on only with marketing_consent_at). */
  turned_off: string[];
  marketing_consent_at: Date | null;
  low_balance_threshold_micro_usd: string | null;
  revision: string;
  updated_at: Date;
}

/** migrations/0020: the low-balance worker's state per account that has a threshold. */
export interface LowBalanceWatchTable {
  account_id: string;
  /** null: the threshold was removed (the balance is then not followed either). */
  threshold_micro_usd: string | null;
  /** The notifications stream revision the threshold is from. */
  threshold_revision: string;
  balance_micro_usd: string | null;
  /** The $all position the balance includes. */
  balance_commit: string | null;
  balance_prepare: string | null;
  /** The balance is below the threshold and that dip was mailed; cleared when it is back at or above. */
  alerted: boolean;
  updated_at: Date;
}

/** Four eyes: a money action above the approval threshold and its second staff member's decision. */
export interface ApprovalRequestsTable {
  stream: string;
  /** The grant or correction id, or the refund id. */
  request_id: string;
  /** grant | correction | refund */
  kind: string;
  account_id: string;
  payment_id: string | null;
  amount_micro_usd: string;
  reason: string;
  /** pending | approved | rejected */
  status: string;
  requested_by: string;
  requested_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
}

export interface PaymentDiscrepanciesTable {
  event_id: string;
  kind: string;
  order_id: string | null;
  payment_id: string | null;
  account_id: string | null;
  expected: string | null;
  actual: string | null;
  source: string;
  run_id: string | null;
  found_at: Date;
}

export interface PaymentReconciliationRunsTable {
  run_id: string;
  day: string;
  period_from: Date;
  period_to: Date;
  razorpay_captured_count: number;
  razorpay_captured_cents: string;
  credited_count: number;
  credited_micro_usd: string;
  discrepancy_count: number;
  reported_at: Date;
}

export interface PaymentWebhookEventsTable {
  event_id: string;
  event: string;
  entity_id: string | null;
  first_received_at: Date;
  last_received_at: Date;
  deliveries: number;
}

export interface PayoutsTable {
  provider_id: string;
  payout_id: string;
  amount_micro_usd: string;
  /** requested | approved | rejected | paid */
  status: string;
  requested_at: Date;
  requested_by: string | null;
  approved_at: Date | null;
  approved_by: string | null;
  rejected_at: Date | null;
  rejected_by: string | null;
  reject_reason: string | null;
  paid_at: Date | null;
  paid_by: string | null;
  reference: string | null;
  updated_at: Date;
  revision: string;
}

// ── Usage dashboards (migrations/0008_usage_dashboards.ts) ──────────────────────────────────
export interface UsageDailyTable {
  account_id: string;
  /** UTC day; read it as text (day::text) to stay clear of time zones. */
  day: ColumnType<string, string, string>;
  key_id: string;
  model: string;
  endpoint: string;
  /** '' when no node served the request. */
  node_id: string;
  provider_id: string | null;
  requests: string;
  completed: string;
  client_disconnected: string;
  upstream_failed: string;
  estimated: string;
  input_tokens: string;
  output_tokens: string;
  images: string;
  cost_micro_usd: string;
  provider_share_micro_usd: string;
  /** Dense, LATENCY_BUCKETS counts (int4: a bucket of one group in one day stays far below 2^31). */
  latency_hist: number[];
  ttft_hist: number[];
}

export interface UsageDaysTable {
  account_id: string;
  day: ColumnType<string, string, string>;
  revision: string;
}

export interface NetworkMinutesTable {
  minute: Date;
  requests: string;
  upstream_failed: string;
  cost_micro_usd: string;
}

export interface AuditLogTable {
  event_id: string;
  stream: string;
  revision: string;
  at: Date;
  actor_id: string;
  actor_roles: string[];
  action: string;
  channel: string;
  /** jsonb: written as JSON text. */
  target: ColumnType<Record<string, string>, string, string>;
  target_ids: string[];
  query: ColumnType<Record<string, string | null>, string, string>;
  outcome_status: number | null;
  outcome_exit_code: number | null;
  outcome_code: string;
  request_id: string | null;
}

// --- Retention sweep bookkeeping (migration 0012) ---
export interface RetentionPendingTruncationsTable {
  stream: string;
  created_at: Generated<Date>;
}

export interface RetentionSigninsTable {
  stream: string;
  last_revision: string;
  oldest_kept_at: Date | null;
}

/** KYC (P17): masked numbers sealed with the profile key; see migrations/0013_kyc.ts. */
export interface KycVerificationsTable {
  account_id: string;
  status: 'submitted' | 'verified' | 'rejected';
  submission_id: string;
  pan_masked_sealed: string;
  aadhaar_masked_sealed: string;
  submitted_at: Date;
  decided_at: Date | null;
  decided_by: string | null;
  rejection_reason: string | null;
  numbers_shredded_at: Date | null;
  revision: string;
}

// ── Durable intents to charge (migrations/0014_usage_intents.ts; not a read model) ─────────
export interface UsageIntentsTable {
  request_id: string;
  account_id: string;
  opened_at: Date;
  due_at: Date;
  charge: unknown;
  final: unknown | null;
  attempts: number;
  last_error: string | null;
}

// ── Node trust (migrations/0015_node_trust.ts) ──────────────────────────────────────────────
export interface NodeTrustStreamsTable {
  stream: string;
  revision: string;
}

export interface NodeTrustDailyTable {
  node_id: string;
  /** UTC day; read it as text (day::text). */
  day: ColumnType<string, string, string>;
  provider_id: string;
  probes_passed: string;
  probes_failed: string;
  probes_unanswered: string;
  probe_cost_micro_usd: string;
  /** { kind: count } */
  discrepancies: ColumnType<Record<string, number>, string, string>;
  discrepancies_total: string;
  counted_requests: string;
  reported_tokens: string;
  counted_tokens: string;
}

export interface NodeTrustIncidentsTable {
  event_id: string;
  node_id: string;
  provider_id: string;
  model: string;
  /** NodeProbeFailed | NodeUsageDiscrepancyRecorded */
  type: string;
  /** The discrepancy kind, or the probe's reference ('reference_node' | 'majority'). */
  kind: string;
  reported: string | null;
  bound: string | null;
  at: Date;
}

export interface NodeReputationTable {
  node_id: string;
  provider_id: string;
  /** [[epoch ms, passed 1 | failed 0], …] oldest first, the newest RECENT_PROBES_KEPT judged probes. */
  recent_probes: ColumnType<[number, number][], string, string>;
}

export interface EarningsHoldsTable {
  review_id: string;
  provider_id: string;
  node_id: string;
  from_day: ColumnType<string, string, string>;
  to_day: ColumnType<string, string, string>;
  status: 'open' | 'released' | 'clawed_back';
  reason: string;
  held_at: Date;
  held_by: string | null;
  decided_at: Date | null;
  decided_by: string | null;
  decision_reason: string | null;
  clawed_back_micro_usd: string | null;
  revision: string;
}

export interface Database {
  events: EventsTable;
  projection_checkpoints: ProjectionCheckpointsTable;
  stream_index: StreamIndexTable;
  personal_data_keys: PersonalDataKeysTable;
  accounts: AccountsTable;
  api_keys: ApiKeysTable;
  api_key_usage: ApiKeyUsageTable;
  ledger_transactions: LedgerTransactionsTable;
  ledger_postings: LedgerPostingsTable;
  ledger_balances: LedgerBalancesTable;
  nodes: NodesTable;
  model_prices: ModelPricesTable;
  upstream_providers: UpstreamProvidersTable;
  upstream_costs: UpstreamCostsTable;
  upstream_credentials: UpstreamCredentialsTable;
  payment_orders: PaymentOrdersTable;
  payments: PaymentsTable;
  payment_refunds: PaymentRefundsTable;
  approval_requests: ApprovalRequestsTable;
  mail_log: MailLogTable;
  notification_preferences: NotificationPreferencesTable;
  low_balance_watch: LowBalanceWatchTable;
  policy_notice_runs: PolicyNoticeRunsTable;
  payment_discrepancies: PaymentDiscrepanciesTable;
  payment_reconciliation_runs: PaymentReconciliationRunsTable;
  payment_webhook_events: PaymentWebhookEventsTable;
  payouts: PayoutsTable;
  usage_daily: UsageDailyTable;
  usage_days: UsageDaysTable;
  network_minutes: NetworkMinutesTable;
  audit_log: AuditLogTable;
  retention_pending_truncations: RetentionPendingTruncationsTable;
  retention_signins: RetentionSigninsTable;
  kyc_verifications: KycVerificationsTable;
  usage_intents: UsageIntentsTable;
  node_trust_streams: NodeTrustStreamsTable;
  node_trust_daily: NodeTrustDailyTable;
  node_trust_incidents: NodeTrustIncidentsTable;
  node_reputation: NodeReputationTable;
  earnings_holds: EarningsHoldsTable;
}
