import { ClientHttp2Session, ClientHttp2Stream, constants, IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** What a tunnelled node answered: the same shape the gateway gets from undici for a public node. */
export interface TunnelResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
  discard(): unknown;
}

export interface TunnelRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer | Readable | null;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) are not allowed in HTTP/2 at all; nor is Host (it is :authority). */
const NOT_IN_H2 = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);

/**
 * Content-Length stays (exact for a Buffer): the agent passes it on, so the engine gets a sized
 * body as from a public node, not a chunked one some engines' servers refuse.
 */
export function h2RequestHeaders(req: TunnelRequest): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ':method': req.method, ':path': req.path };
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && !name.startsWith(':') && !NOT_IN_H2.has(name.toLowerCase())) out[name.toLowerCase()] = value;
  if (Buffer.isBuffer(req.body)) out['content-length'] = req.body.length;
  else if (req.body === null) delete out['content-length'];
  return out;
}

export function plainHeaders(headers: IncomingHttpHeaders): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  for (const [name, value] of Object.entries(headers)) if (!name.startsWith(':')) out[name] = value;
  return out;
}

/**
 * One request over an HTTP/2 tunnel session (the gateway is the client, the agent the server).
 * Resolves at the response headers; rejects if the stream or the tunnel dies before them (the
 * dispatcher then fails over: no byte was sent). After the headers, a reset stream or a dropped
 * tunnel makes reading the body throw, never end cleanly, so a cut answer is charged as cut.
 */
export function requestOverSession(session: ClientHttp2Session, req: TunnelRequest, signal: AbortSignal, idleTimeoutMs: number): Promise<TunnelResponse> {
  signal.throwIfAborted();
  let stream: ClientHttp2Stream;
  try {
    stream = session.request(h2RequestHeaders(req), { endStream: req.body === null });
  } catch (err) {
    return Promise.reject(err as Error); // the session closed in between
  }
  const cancel = () => {
    if (!stream.destroyed) stream.destroy(new Error('request aborted'));
  };
  signal.addEventListener('abort', cancel, { once: true });
  // A stream reset (even with NO_ERROR) or a tunnel gone before the body's end makes the reader's
  // async iteration throw ERR_STREAM_PREMATURE_CLOSE: never a clean end (checked in the tunnel spec).
  stream.once('close', () => signal.removeEventListener('abort', cancel));
  stream.on('error', () => undefined); // surfaced to whoever reads the body (or the 'close' before headers)
  if (idleTimeoutMs > 0) stream.setTimeout(idleTimeoutMs, () => stream.destroy(new Error(`no data within ${idleTimeoutMs} ms`)));
  if (Buffer.isBuffer(req.body)) stream.end(req.body);
  else if (req.body) pipeline(req.body, stream).catch(() => stream.destroy());
  return new Promise<TunnelResponse>((resolve, reject) => {
    const early = () => reject(new Error(`tunnel stream closed before the response (code ${stream.rstCode ?? 'none'})`));
    stream.once('close', early);
    stream.once('response', (headers) => {
      stream.off('close', early);
      resolve({
        status: Number(headers[':status']),
        headers: plainHeaders(headers),
        body: stream,
        discard: () => stream.close(constants.NGHTTP2_CANCEL),
      });
    });
  });
}
