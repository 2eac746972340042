import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { ApiKeyAuthenticator, AuthenticatedKey, KeyRefusal } from '../../api-keys/api-key-authenticator';
import { DomainError } from '../../common/domain-error';
import { RevenueSplitRules, providerShareBps } from '../../ledger/revenue-split';
import { CreditSpending } from '../../ledger/spending/credit-spending';
import { UsageStatus } from '../../metering/usage.events';
import { Logger } from '../../observability/logger';
import { KEY_REFUSAL_ERRORS, OpenAiError, openAiErrorFrom, sendOpenAiError } from '../openai-errors';
import { readBody } from './body';
import { IdempotencyKeys } from './idempotency';
import { ENDPOINTS, InferenceRequest, readInferenceRequest, RequestLimits } from './openai-request';
import { NodeDispatch, PriceLookup, RelayedChunks, RelayedOutputSink, RoutedNode, UpstreamResponse, UsageRecorderPort } from './ports';
import { costMicroUsd, ModelPrice } from './pricing';
import { RateLimiter } from './rate-limiter';
import { ReportedUsage, SseMeter, usageOf } from './sse-meter';
import { Upstream } from './upstream';

export interface GatewayOptions {
  maxBodyBytes: number;
  maxResponseBytes: number;
  limits: RequestLimits;
  defaultRequestsPerMinute: number;
  defaultTokensPerMinute: number;
  revenueSplit: RevenueSplitRules;
}

export interface GatewayDeps {
  authenticator: ApiKeyAuthenticator;
  rateLimiter: RateLimiter;
  prices: PriceLookup;
  dispatch: NodeDispatch;
  spending: CreditSpending;
  recorder: UsageRecorderPort;
  idempotency: IdempotencyKeys;
  upstream: Upstream;
  logger: Logger;
  /** Gets what was relayed once a response has ended (the gateway's own token count). */
  relayedOutput?: RelayedOutputSink;
}

/** One request's metering state; everything here is metadata. */
interface Metered {
  requestId: string;
  key: AuthenticatedKey;
  request: InferenceRequest;
  price: ModelPrice;
  node: RoutedNode | null;
  startedAt: number;
  ttftMs: number | null;
  charged: boolean;
  outcome: UsageStatus | null;
  usage: ReportedUsage | null;
  costMicroUsd: bigint;
}

const DONE = Buffer.from('data: [DONE]\n\n');
const STREAM_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' };

/**
 * The /v1 hot path on the raw node:http server, outside Nest (DESIGN.md: a Nest controller adds
 * milliseconds of p99 to a pass-through): key check → limits → rate limit → reserve credits →
 * route (failover before the first byte) → relay → charge (stored durably) → `[DONE]`.
 * Bodies are forwarded and forgotten: no prompt or completion text is logged, stored or queued.
 */
export class InferenceGateway {
  constructor(
    private readonly deps: GatewayDeps,
    private readonly options: GatewayOptions,
  ) {}

  /** The routes this handler owns; everything else goes to Nest. */
  handles(req: IncomingMessage): boolean {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    return ENDPOINTS[q === -1 ? url : url.slice(0, q)] !== undefined;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = `req_${randomUUID().replace(/-/g, '')}`;
    const startedAt = performance.now();
    res.setHeader('x-request-id', requestId);
    let metered: Metered | null = null;
    try {
      metered = await this.run(req, res, requestId, startedAt);
    } catch (err) {
      if (!res.headersSent) sendOpenAiError(res, toOpenAiError(err, this.deps.logger, requestId));
      else res.destroy();
    } finally {
      this.deps.logger.info(
        {
          requestId,
          endpoint: metered?.request.endpoint,
          model: metered?.request.model,
          keyId: metered?.key.keyId,
          nodeId: metered?.node?.nodeId,
          status: res.statusCode,
          outcome: metered?.outcome,
          inputTokens: metered?.usage?.promptTokens,
          outputTokens: metered?.usage?.completionTokens,
          costMicroUsd: metered?.costMicroUsd.toString(),
          ttftMs: metered?.ttftMs,
          latencyMs: Math.round(performance.now() - startedAt),
        },
        'inference request',
      );
    }
  }

  private async run(req: IncomingMessage, res: ServerResponse, requestId: string, startedAt: number): Promise<Metered | null> {
    if (req.method !== 'POST') throw new OpenAiError(405, `Use POST for ${req.url}.`, 'invalid_request_error', 'method_not_allowed');
    const checked = await this.deps.authenticator.authenticate(req.headers.authorization);
    if (checked instanceof KeyRefusal) throw KEY_REFUSAL_ERRORS[checked.code];
    const key = checked;
    const path = (req.url ?? '').split('?')[0];
    const request = readInferenceRequest(path, await readBody(req, this.options.maxBodyBytes), this.options.limits);

    const idempotencyHeader = req.headers['idempotency-key'];
    const idempotencyKey = typeof idempotencyHeader === 'string' && !request.stream ? this.deps.idempotency.key(key.keyId, idempotencyHeader) : null;
    if (idempotencyKey) await this.deps.idempotency.claim(idempotencyKey, requestId);
    let metered: Metered | null = null;
    try {
      const limit = await this.deps.rateLimiter.take(
        key.keyId,
        key.limits.requestsPerMinute ?? this.options.defaultRequestsPerMinute,
        key.limits.tokensPerMinute ?? this.options.defaultTokensPerMinute,
        request.maxInputTokens + request.maxOutputTokens,
      );
      for (const [name, value] of Object.entries(limit.headers)) res.setHeader(name, value);
      if (!limit.allowed) {
        throw new OpenAiError(429, `Rate limit reached for ${limit.exceeded} per minute on this API key. Retry after ${limit.retryAfterSeconds}s.`, 'rate_limit_error', 'rate_limit_exceeded', null, limit.retryAfterSeconds);
      }
      const price = await this.deps.prices.priceAt(request.model, new Date());
      if (!price) throw new OpenAiError(404, `The model \`${request.model}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found', 'model');
      const reserve = costMicroUsd(price, request.maxInputTokens, request.maxOutputTokens, request.images);
      await this.deps.spending.reserve(key.accountId, requestId, reserve);
      metered = { requestId, key, request, price, node: null, startedAt, ttftMs: null, charged: false, outcome: null, usage: null, costMicroUsd: 0n };
      await this.route(res, metered);
      return metered;
    } finally {
      if (idempotencyKey) await this.deps.idempotency.complete(idempotencyKey, requestId, res.statusCode, metered?.charged ?? false).catch(() => undefined);
    }
  }

  private async route(res: ServerResponse, m: Metered): Promise<void> {
    const abort = new AbortController();
    // The client went away: stop the node from generating, and charge what it had generated.
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    let dispatched: { node: RoutedNode; response: UpstreamResponse };
    try {
      dispatched = await this.deps.dispatch.dispatch(m.request.model, (node, signal) => this.deps.upstream.send(node, m.request, AbortSignal.any([signal, abort.signal])), { signal: abort.signal });
    } catch (err) {
      await this.deps.spending.release(m.key.accountId, m.requestId);
      throw err;
    }
    m.node = dispatched.node;
    const { response } = dispatched;
    let ok = false;
    try {
      if (response.status >= 400) await this.relayRefusal(res, m, response);
      else if (m.request.stream) await this.relayStream(res, m, response, abort.signal);
      else await this.relayJson(res, m, response, abort.signal);
      ok = m.outcome !== 'upstream_failed';
    } finally {
      const latencyMs = performance.now() - m.startedAt;
      void this.deps.dispatch.finish(m.node.nodeId, { ok, latencyMs, ttftMs: m.ttftMs }).catch(() => undefined);
    }
  }

  /** The node refused the request (e.g. a parameter its engine rejects): its answer, no charge. */
  private async relayRefusal(res: ServerResponse, m: Metered, response: UpstreamResponse): Promise<void> {
    const body = await readAll(response.body, 64 * 1024).catch(() => null);
    await this.deps.spending.release(m.key.accountId, m.requestId);
    m.outcome = 'upstream_failed';
    let parsed: unknown = null;
    try {
      parsed = body ? JSON.parse(body.toString('utf8')) : null;
    } catch {
      parsed = null;
    }
    const error = (parsed as { error?: { message?: unknown } } | null)?.error;
    const message = typeof error?.message === 'string' ? error.message.slice(0, 1_000) : `The model's node refused the request (HTTP ${response.status}).`;
    sendOpenAiError(res, new OpenAiError(response.status >= 500 ? 502 : response.status, message, response.status >= 500 ? 'server_error' : 'invalid_request_error', 'upstream_error'));
  }

  private async relayStream(res: ServerResponse, m: Metered, response: UpstreamResponse, clientGone: AbortSignal): Promise<void> {
    res.writeHead(200, STREAM_HEADERS);
    const meter = new SseMeter(m.request.clientWantsUsage);
    const relayed = this.deps.relayedOutput?.collector(m.request.model, m.request.endpoint) ?? null;
    let broken = false;
    try {
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        if (m.ttftMs === null) m.ttftMs = Math.round(performance.now() - m.startedAt);
        relayed?.push(chunk);
        for (const part of meter.push(chunk)) {
          if (!res.write(part)) await once(res, 'drain', { signal: clientGone });
        }
      }
    } catch {
      broken = !clientGone.aborted; // a node that died mid-stream; after the first byte there is no failover
    }
    m.outcome = clientGone.aborted ? 'client_disconnected' : broken || (!meter.sawDone && !meter.usage) ? 'upstream_failed' : 'completed';
    const estimated = !meter.usage;
    m.usage = meter.usage ?? { promptTokens: m.request.estimatedInputTokens, completionTokens: meter.deliveredChunks };
    try {
      await this.charge(m, estimated);
    } catch (err) {
      // Never a [DONE] without a stored charge: the client sees an error event instead.
      if (!clientGone.aborted) res.end(errorEvent(toOpenAiError(err, this.deps.logger, m.requestId)));
      return;
    }
    if (clientGone.aborted) return;
    res.end(m.outcome === 'completed' ? DONE : errorEvent(new OpenAiError(502, 'The node serving this model failed mid-stream; you were charged only for what was delivered.', 'server_error', 'upstream_error')));
    this.afterRelay(m, relayed, 'sse', estimated);
  }

  /** The response has ended: hand what was relayed to the counter (it only enqueues). */
  private afterRelay(m: Metered, relayed: RelayedChunks | null, format: 'sse' | 'json', estimated: boolean): void {
    if (!relayed || m.outcome !== 'completed' || estimated || !m.node || !m.usage) return;
    this.deps.relayedOutput?.relayed({ nodeId: m.node.nodeId, providerId: m.node.providerId, model: m.request.model, format, chunks: relayed, reportedOutputTokens: m.usage.completionTokens });
  }

  private async relayJson(res: ServerResponse, m: Metered, response: UpstreamResponse, clientGone: AbortSignal): Promise<void> {
    let body: Buffer | null = null;
    try {
      body = await readAll(response.body, this.options.maxResponseBytes);
    } catch {
      body = null;
    }
    m.ttftMs = Math.round(performance.now() - m.startedAt);
    let parsed: unknown = null;
    try {
      parsed = body ? JSON.parse(body.toString('utf8')) : null;
    } catch {
      parsed = null;
    }
    const isImages = m.request.endpoint === 'images.generations';
    // Images are priced per image delivered; their tokens are not charged.
    const reported = isImages ? { promptTokens: 0, completionTokens: 0 } : usageOf(parsed);
    const images = isImages ? imagesIn(parsed) : 0;
    m.outcome = clientGone.aborted ? 'client_disconnected' : parsed === null ? 'upstream_failed' : 'completed';
    // Without a body the node's work is unknown: the prompt is estimated, the output is not charged.
    m.usage = reported ?? { promptTokens: m.request.estimatedInputTokens, completionTokens: 0 };
    m.request = { ...m.request, images };
    await this.charge(m, reported === null);
    if (clientGone.aborted) return;
    if (m.outcome !== 'completed' || !body) throw new OpenAiError(502, 'The node serving this model sent an unreadable response.', 'server_error', 'upstream_error');
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
    const relayed = this.deps.relayedOutput?.collector(m.request.model, m.request.endpoint) ?? null;
    relayed?.push(body);
    this.afterRelay(m, relayed, 'json', reported === null);
  }

  /** Stores the charge (durably, before the client gets its last byte), then settles the hold. Once per request. */
  private async charge(m: Metered, estimated: boolean): Promise<void> {
    if (m.charged) return;
    m.charged = true;
    const usage = m.usage as ReportedUsage;
    const node = m.node as RoutedNode;
    m.costMicroUsd = costMicroUsd(m.price, usage.promptTokens, usage.completionTokens, m.request.images);
    const at = new Date().toISOString();
    let position;
    try {
      ({ position } = await this.deps.recorder.record(
        {
          type: 'RecordUsage',
          requestId: m.requestId,
          accountId: m.key.accountId,
          keyId: m.key.keyId,
          model: m.request.model,
          endpoint: m.request.endpoint,
          nodeId: node.nodeId,
          providerId: node.providerId,
          status: m.outcome as UsageStatus,
          inputTokens: usage.promptTokens,
          outputTokens: usage.completionTokens,
          images: m.request.images,
          estimated,
          ttftMs: m.ttftMs,
          latencyMs: Math.round(performance.now() - m.startedAt),
          costMicroUsd: m.costMicroUsd,
          providerShareBps: providerShareBps(this.options.revenueSplit, m.request.model, node.nodeId),
          at,
        },
        { actorId: `apikey:${m.key.keyId}`, occurredAt: at, correlationId: m.requestId },
      ));
    } catch (err) {
      m.charged = false;
      await this.deps.spending.release(m.key.accountId, m.requestId).catch(() => undefined);
      throw err;
    }
    // The charge is stored; if Redis fails here the reservation expires and the feeder still applies the charge.
    await this.deps.spending.settle(m.key.accountId, m.requestId, m.costMicroUsd, position).catch((err: Error) => this.deps.logger.warn({ requestId: m.requestId, err: err.message }, 'settle failed; the hold will expire'));
  }
}

function toOpenAiError(err: unknown, logger: Logger, requestId: string): OpenAiError {
  if (err instanceof OpenAiError) return err;
  if (err instanceof DomainError) return openAiErrorFrom(err);
  logger.error({ requestId, err: { name: (err as Error)?.name } }, 'inference request failed');
  return new OpenAiError(500, 'The server had an error while processing your request.', 'server_error', 'internal_error');
}

function errorEvent(error: OpenAiError): Buffer {
  return Buffer.concat([Buffer.from('data: '), error.body, Buffer.from('\n\n')]);
}

async function readAll(body: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      body.destroy();
      throw new Error('upstream response too large');
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

function imagesIn(body: unknown): number {
  const data = (body as { data?: unknown } | null)?.data;
  return Array.isArray(data) ? data.length : 0;
}
