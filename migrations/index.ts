import { Migration } from 'kysely';
import * as m0001 from './0001_event_store';
import * as m0002 from './0002_projections';
import * as m0003 from './0003_accounts_and_keys';
import * as m0004 from './0004_ledger';
import * as m0005 from './0005_nodes_and_prices';
import * as m0006 from './0006_payments';
import * as m0007 from './0007_append_to_streams';
import * as m0008 from './0008_usage_dashboards';
import * as m0009 from './0009_payouts';
import * as m0010 from './0010_audit_log';
import * as m0011 from './0011_data_rights';
import * as m0012 from './0012_retention';
import * as m0013 from './0013_kyc';
import * as m0014 from './0014_usage_intents';
import * as m0015 from './0015_node_trust';
import * as m0016 from './0016_append_stream_lock';
import * as m0017 from './0017_hardening';
import * as m0019 from './0019_mail_log';
import * as m0020 from './0020_notification_preferences';
import * as m0021 from './0021_policy_notices';
import * as m0022u from './0022_upstream_providers';

/** Listed statically (not read from the folder) so compiled and ts-node runs see the same set. */
export const migrations: Record<string, Migration> = {
  '0001_event_store': m0001,
  '0002_projections': m0002,
  '0003_accounts_and_keys': m0003,
  '0004_ledger': m0004,
  '0005_nodes_and_prices': m0005,
  '0006_payments': m0006,
  '0007_append_to_streams': m0007,
  '0008_usage_dashboards': m0008,
  '0009_payouts': m0009,
  '0010_audit_log': m0010,
  '0011_data_rights': m0011,
  '0012_retention': m0012,
  '0013_kyc': m0013,
  '0014_usage_intents': m0014,
  '0015_node_trust': m0015,
  '0016_append_stream_lock': m0016,
  '0017_hardening': m0017,
  '0019_mail_log': m0019,
  '0020_notification_preferences': m0020,
  '0021_policy_notices': m0021,
  '0022_upstream_providers': m0022u,
};
