import { Agent, request } from 'undici';
import { PROOF_MODEL } from './provision';

/** What one client saw of one request. */
export interface Seen {
  status: number;
  /** From the gateway's x-request-id header (null when the balancer answered itself). */
  requestId: string | null;
  /** The stream ended with `data: [DONE]`: a completed response. */
  done: boolean;
  /** Content events received (what was delivered). */
  contentEvents: number;
  /** The connection broke before the response ended. */
  cut: boolean;
  /** The error's `code` for a refusal (insufficient_credits, rate_limit_exceeded, …). */
  code: string | null;
}

/** Enough connections for every client loop at once (undici's default pool would queue them). */
export const clientAgent = new Agent({ connections: 256, keepAliveTimeout: 1_000 });

export function chatBody(stream: boolean, maxTokens = 16, model = PROOF_MODEL): string {
  return JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'Say hello' }], max_tokens: maxTokens });
}

/** A chat completion (streamed unless said otherwise), read to the end or to the cut. Never throws. */
export async function chat(baseUrl: string, key: string, stream = true, model = PROOF_MODEL): Promise<Seen> {
  const seen: Seen = { status: 0, requestId: null, done: false, contentEvents: 0, cut: false, code: null };
  try {
    const res = await request(`${baseUrl}/v1/chat/completions`, {
      method: 'POST',
      dispatcher: clientAgent,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: chatBody(stream, 16, model),
    });
    seen.status = res.statusCode;
    const id = res.headers['x-request-id'];
    seen.requestId = typeof id === 'string' ? id : null;
    if (res.statusCode !== 200) {
      const text = await res.body.text();
      seen.code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? null;
      return seen;
    }
    if (!stream) {
      await res.body.dump();
      seen.done = true;
      return seen;
    }
    // Counted as events arrive, so a stream cut midway still tells what it delivered.
    let pending = '';
    for await (const chunk of res.body) {
      pending += chunk;
      const events = pending.split('\n\n');
      pending = events.pop() as string;
      for (const event of events) {
        if (event === 'data: [DONE]') seen.done = true;
        else if (event.startsWith('data: ') && event.includes('"content":"') && !event.includes('"content":""')) seen.contentEvents++;
      }
    }
  } catch {
    seen.cut = true;
  }
  return seen;
}

/** GET /v1/me with a key: 200 while the key is accepted, 401 once refused (no credits move). */
export async function keyStatus(baseUrl: string, key: string): Promise<number> {
  const res = await request(`${baseUrl}/v1/me`, { dispatcher: clientAgent, headers: { authorization: `Bearer ${key}` } });
  await res.body.dump();
  return res.statusCode;
}
