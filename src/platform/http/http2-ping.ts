import type { Http2Session } from 'node:http2';

/**
 * Pings an HTTP/2 session every `everyMs`; no answer within the same time destroys it (a dead NAT
 * mapping, a dead peer), which is what makes a tunnel's owner reconnect or forget it. Stops by
 * itself once the session is closing or gone: `ping()` throws on a destroyed session, and a
 * session is destroyed a tick before its 'close' event — a timer firing in between crashed the
 * process (seen in the multi-instance proof when tunnels were cut under load).
 */
export function keepPinging(session: Http2Session, everyMs: number): void {
  const timer = setInterval(() => {
    if (session.closed || session.destroyed) return clearInterval(timer);
    const deadline = setTimeout(() => session.destroy(), everyMs);
    deadline.unref();
    if (!session.ping((err) => (clearTimeout(deadline), err && session.destroy()))) clearTimeout(deadline);
  }, everyMs);
  timer.unref();
  session.once('close', () => clearInterval(timer));
}
