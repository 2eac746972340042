import type { Request } from 'express';

const USER_AGENT_MAX = 512;

/**
 * The caller's IP (after TRUST_PROXY) and user agent. Both are personal data: they are only
 * ever stored sealed (SignedIn events) or as keyed hashes (throttle counters), never logged.
 */
export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

export function clientInfo(req: Request): ClientInfo {
  const ip = req.ip ?? req.socket.remoteAddress ?? null;
  const userAgent = req.get('user-agent') ?? null;
  return {
    ip: ip ? ip.replace(/^::ffff:/, '') : null, // the same IPv4 client, whichever socket family it came in on
    userAgent: userAgent ? userAgent.slice(0, USER_AGENT_MAX) : null,
  };
}
