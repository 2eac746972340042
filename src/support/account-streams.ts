import { Kysely } from 'kysely';
import { accountStream } from '../accounts/account.events';
import { apiKeyStream } from '../api-keys/api-key.events';
import { signInStream } from '../auth/sign-in.events';
import { Database } from '../platform/database/schema';
import { creditsStream } from '../ledger/credits.events';
import { USAGE_STREAM_PREFIX } from '../metering/usage.events';
import { nodeStream } from '../nodes/node.events';
import { paymentStream } from '../payments/payment.events';
import { payoutStream } from '../payouts/payout.events';
import { kycStream } from '../privacy/kyc/kyc.events';

/** Limits: an account's streams to read for one look-up (usage has one stream per active day). */
export const MAX_STREAMS = 2_000;

export interface AccountStreams {
  account: string;
  signIns: string;
  credits: string;
  payout: string;
  kyc: string;
  apiKeys: string[];
  payments: string[];
  nodes: string[];
  /** `usage-{id}-{day}` with the day, so a time window skips whole days without reading them. */
  usage: { stream: string; day: string }[];
}

/**
 * Every stream about one account, from the names the write side uses: its own streams by id, and
 * the per-key, per-order, per-node and per-day streams found through the read models (stream_index
 * lists every stream; api_keys, payment_orders and nodes map ids to the account).
 */
export async function accountStreams(db: Kysely<Database>, accountId: string): Promise<AccountStreams> {
  const usagePrefix = `${USAGE_STREAM_PREFIX}${accountId}-`;
  const [keys, orders, nodes, usage] = await Promise.all([
    db.selectFrom('api_keys').select('key_id').where('account_id', '=', accountId).limit(MAX_STREAMS).execute(),
    db.selectFrom('payment_orders').select('order_id').where('account_id', '=', accountId).limit(MAX_STREAMS).execute(),
    db.selectFrom('nodes').select('node_id').where('provider_id', '=', accountId).limit(MAX_STREAMS).execute(),
    db
      .selectFrom('stream_index')
      .select('stream')
      .where('category', '=', 'usage')
      .where('stream', 'like', `${usagePrefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)
      .orderBy('stream', 'desc')
      .limit(MAX_STREAMS)
      .execute(),
  ]);
  return {
    account: accountStream(accountId),
    signIns: signInStream(accountId),
    credits: creditsStream(accountId),
    payout: payoutStream(accountId),
    kyc: kycStream(accountId),
    apiKeys: keys.map((k) => apiKeyStream(k.key_id)),
    payments: orders.map((o) => paymentStream(o.order_id)),
    nodes: nodes.map((n) => nodeStream(n.node_id)),
    usage: usage.map((u) => ({ stream: u.stream, day: u.stream.slice(usagePrefix.length) })).filter((u) => /^\d{4}-\d{2}-\d{2}$/.test(u.day)),
  };
}

export function allStreams(s: AccountStreams): string[] {
  return [s.account, s.signIns, s.credits, s.payout, s.kyc, ...s.apiKeys, ...s.payments, ...s.nodes, ...s.usage.map((u) => u.stream)];
}
