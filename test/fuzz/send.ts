import { Agent, request } from 'node:http';
import { FuzzCase } from './requests';

export interface Answer {
  status: number;
  contentType: string;
  /** Parsed JSON body, when it is JSON. */
  json: unknown;
  ms: number;
}

const RESPONSE_READ_MAX = 8 * 1024 * 1024;
const CASE_TIMEOUT_MS = 30_000;
const agent = new Agent({ keepAlive: true, maxSockets: 16 });

/** Sends one case as raw bytes (node:http sends the path and body as given) and reads the whole answer. */
export function send(base: URL, c: FuzzCase, identityHeaders: Record<string, string>): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: base.hostname,
        port: base.port,
        method: c.method,
        path: c.target,
        agent,
        headers: { ...c.headers, ...identityHeaders, ...(c.body ? { 'content-length': String(c.body.length) } : {}) },
        timeout: CASE_TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= RESPONSE_READ_MAX) chunks.push(chunk);
        });
        res.on('error', reject);
        res.on('end', () => {
          const contentType = String(res.headers['content-type'] ?? '');
          let json: unknown = undefined;
          if (/json/.test(contentType)) {
            try {
              json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch {
              json = undefined;
            }
          }
          resolve({ status: res.statusCode ?? 0, contentType, json, ms: performance.now() - started });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${CASE_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(c.body ?? undefined);
  });
}

/**
 * What every answer must be: never a 5xx, and every refusal in the route's own error shape —
 * OpenAI's `{ error: { message, type, code } }` under /v1, problem details (RFC 9457) elsewhere.
 * Returns what is wrong, or null.
 */
export function judge(c: FuzzCase, a: Answer): string | null {
  if (a.status >= 500) return `${a.status} ${describeError(a.json)}`;
  if (a.status < 400 || c.method === 'HEAD') return null;
  const pathname = c.target.split('?')[0];
  if (pathname.startsWith('/v1/') || pathname === '/v1') {
    const e = (a.json as { error?: { message?: unknown; type?: unknown; code?: unknown } } | undefined)?.error;
    if (!/^application\/json/.test(a.contentType) || typeof e?.message !== 'string' || typeof e.type !== 'string' || !('code' in e))
      return `${a.status} not in OpenAI's error shape (${a.contentType})`;
    return null;
  }
  const p = a.json as { type?: unknown; title?: unknown; status?: unknown; code?: unknown; detail?: unknown } | undefined;
  if (!/^application\/problem\+json/.test(a.contentType) || p?.status !== a.status || typeof p.code !== 'string' || typeof p.detail !== 'string' || typeof p.type !== 'string') {
    return `${a.status} not problem details (${a.contentType})`;
  }
  return null;
}

function describeError(json: unknown): string {
  const j = json as { code?: unknown; error?: { code?: unknown } } | undefined;
  return String(j?.code ?? j?.error?.code ?? '');
}
