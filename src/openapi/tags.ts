/**
 * The document's tags: one per capability (the folder under src/ that owns the route), in the
 * order a reader meets them. Who may call a route is not a tag: each operation states its roles
 * in `x-roles` and its security scheme. The contract test holds every operation to exactly one of these.
 */
export const CAPABILITY_TAGS: readonly { name: string; description: string }[] = [
  { name: 'inference', description: 'The OpenAI-compatible API under /v1, with an API key (src/inference, src/nodes/routing).' },
  { name: 'sign-in', description: 'Sign-up, sign-in with password, Google or Telegram, sessions (src/auth).' },
  { name: 'account', description: "The signed-in person's own account: profile, email, password (src/me, src/accounts)." },
  { name: 'api keys', description: 'API keys: issue, limits, revoke, rotate (src/api-keys, src/me).' },
  { name: 'legal', description: 'Terms and privacy versions, eligibility, reported minors (src/legal).' },
  { name: 'privacy', description: 'Data rights: export, deletion, restriction; KYC (src/privacy).' },
  { name: 'notifications', description: 'Mail preferences, unsubscribe, failed mail (src/notifications).' },
  { name: 'ledger', description: 'Credits and the double-entry ledger: balances, statements, grants, approvals, journal, trial balance (src/ledger).' },
  { name: 'payments', description: 'Top-ups through Razorpay (and crypto), refunds, reconciliation (src/payments).' },
  { name: 'pricing', description: 'Model prices and their scheduled changes (src/pricing).' },
  { name: 'nodes', description: 'Community GPU nodes: invites, registration, heartbeats, approval, reputation (src/nodes).' },
  { name: 'upstreams', description: 'Vendor upstreams the router may fall back to (src/upstreams).' },
  { name: 'payouts', description: "Providers' earnings paid out, with four-eyes approval (src/payouts)." },
  { name: 'dashboards', description: 'Usage, earnings and network dashboards (src/dashboards).' },
  { name: 'support', description: 'Finding an account and replaying its history (src/support).' },
  { name: 'accounts', description: 'Staff actions on accounts: roles, suspension (src/admin).' },
  { name: 'audit', description: 'The audit log of staff actions (src/audit).' },
  { name: 'operations', description: 'Health and readiness (src/platform/health).' },
];
