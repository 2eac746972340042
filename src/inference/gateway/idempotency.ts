import { createHash } from 'node:crypto';
import Redis from 'ioredis';
import { OpenAiError } from '../../platform/http/openai-errors';

/** How long an Idempotency-Key is remembered. */
const TTL_SECONDS = 24 * 3600;
const KEY_MAX = 255;

/**
 * Idempotency-Key for non-streaming requests, without storing any response content: the first
 * request claims the key; a repeat while it runs is 409 `idempotency_in_progress`; a repeat
 * after it succeeded is 409 `idempotency_key_reused` naming the original request id (the
 * client already has that response; it is not kept, so it cannot be replayed). A first request
 * that failed without a charge frees the key, so a retry really runs.
 */
export class IdempotencyKeys {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  key(keyId: string, header: string): string {
    if (header.length === 0 || header.length > KEY_MAX)
      throw new OpenAiError(400, `Idempotency-Key must be 1..${KEY_MAX} characters.`, 'invalid_request_error', 'invalid_idempotency_key', 'Idempotency-Key');
    return `${this.prefix}idem:{${keyId}}:${createHash('sha256').update(header).digest('hex')}`;
  }

  async claim(key: string, requestId: string): Promise<void> {
    const claimed = await this.redis.set(key, `running ${requestId}`, 'EX', TTL_SECONDS, 'NX');
    if (claimed) return;
    const [state, original, status] = ((await this.redis.get(key)) ?? 'running unknown').split(' ');
    if (state === 'running')
      throw new OpenAiError(409, `A request with this Idempotency-Key is still running (request ${original}).`, 'invalid_request_error', 'idempotency_in_progress');
    throw new OpenAiError(
      409,
      `This Idempotency-Key was already used by request ${original}, which completed with status ${status} and was charged once; its response is not stored.`,
      'invalid_request_error',
      'idempotency_key_reused',
    );
  }

  async complete(key: string, requestId: string, status: number, charged: boolean): Promise<void> {
    if (charged || status < 400) await this.redis.set(key, `done ${requestId} ${status}`, 'EX', TTL_SECONDS);
    else await this.redis.del(key);
  }
}
