import type { NextFunction, Request, Response } from 'express';

/**
 * Strict-Transport-Security on every dashboard response that arrived over TLS: TLS on this
 * socket, or X-Forwarded-Proto: https from a proxy trusted through TRUST_PROXY (TLS usually ends
 * at the edge). Never on plain http, where browsers ignore it anyway (RFC 6797 §7.2). /v1 runs
 * on the raw server ahead of Express and answers API clients, which do not read HSTS.
 */
export function hsts(maxAgeSeconds: number) {
  const value = `max-age=${maxAgeSeconds}; includeSubDomains`;
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.secure) res.setHeader('Strict-Transport-Security', value);
    next();
  };
}
