import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiKeyAuthenticator, AuthenticatedKey, KeyRefusal } from '../../api-keys/api-key-authenticator';
import { DomainError } from '../../platform/errors/domain-error';
import { CommandContext } from '../../platform/event-sourcing/decider';
import { RevenueSplitRules } from '../../platform/config/revenue-split-settings';
import { providerShareBps } from '../../ledger/revenue-split';
import { CreditSpending } from '../../ledger/spending/credit-spending';
import { MAX_USAGE_COUNT, RecordUsage } from '../../metering/usage-charge.decide';
import { discrepancyItems } from '../../nodes/trust/usage-discrepancy-events';
import { ChargeIntent } from '../../metering/usage-intents';
import { UsageStatus } from '../../metering/usage.events';
import { GatewayMetrics } from '../../platform/observability/gateway-metrics';
import { Logger } from '../../platform/observability/logger';
import { KEY_REFUSAL_ERRORS } from '../../api-keys/key-refusal-errors';
import { OpenAiError, openAiErrorFrom, sendOpenAiError } from '../../platform/http/openai-errors';
import { readBody } from '../../openai/body';
import { IdempotencyKeys } from './idempotency';
import { ENDPOINTS, InferenceRequest, readInferenceRequest, RequestLimits } from '../../openai/openai-request';
import { ChargeIntentsPort, NodeDispatch, PriceLookup, RelayObserver, RelayTap, RouteSurvey, RoutedNode, UpstreamResponse, UsageRecorderPort } from './ports';
import { vendorCostAt } from '../../nodes/routing/upstream-route';
import { costMicroUsd } from '../../pricing/cost';
import type { ModelPrice } from '../../pricing/price-book';
import { RateLimiter } from './rate-limiter';
import { imagesIn, RawUsage, responseTextBytes, SseMeter, usageOf } from '../../openai/sse-meter';
import { Upstream } from '../../nodes/routing/upstream';
import { BoundedUsage, boundUsage, capCost, GatewayFigures, relayedOutputBound, UsageLimits } from './usage-bounds';

export interface GatewayOptions {
  maxBodyBytes: number;
  maxResponseBytes: number;
  limits: RequestLimits;
  defaultRequestsPerMinute: number;
  defaultTokensPerMinute: number;
  revenueSplit: RevenueSplitRules;
  /** The life of a request (docs/trusting-nodes.md, "Holds"); see ChargesConfig. */
  maxRequestMs: number;
  clientDrainTimeoutMs: number;
  /** After a stream's time bound, how long before recovery may charge it from its intent. */
  recoveryGraceMs: number;
  /** Test-only fault injection: pause between a stream's last byte and its charge. */
  testPauseBeforeChargeMs: number;
}

export interface GatewayDeps {
  authenticator: ApiKeyAuthenticator;
  rateLimiter: RateLimiter;
  prices: PriceLookup;
  dispatch: NodeDispatch;
  spending: CreditSpending;
  recorder: UsageRecorderPort;
  intents: ChargeIntentsPort;
  relayObserver: RelayObserver;
  idempotency: IdempotencyKeys;
  upstream: Upstream;
  logger: Logger;
  metrics: GatewayMetrics | null;
  /** Sends this event-loop turn's Redis commands in one write (platform/redis/tick-writes.ts); absent = one write each. */
  holdRedisWrites?: () => void;
}

/**
 * Why the gateway stopped relaying before the end: the client went away, stopped reading for
 * longer than it may, or the request reached its time bound.
 */
type Cut = 'client_gone' | 'client_stalled' | 'deadline';

/** One request's metering state; everything here is metadata. */
interface Metered {
  requestId: string;
  key: AuthenticatedKey;
  request: InferenceRequest;
  price: ModelPrice;
  reservedMicroUsd: bigint;
  /** When the credits were reserved: the charge's time (and so its day stream), recovered or not. */
  acceptedAt: Date;
  node: RoutedNode | null;
  startedAt: number;
  ttftMs: number | null;
  charged: boolean;
  outcome: UsageStatus | null;
  usage: BoundedUsage | null;
  costMicroUsd: bigint;
  cut: Cut | null;
  /** Waiting for a slow client to read: a deadline then counts as the client's doing. */
  awaitingClient: boolean;
  /** A stream's intent to charge: resolves true once durable, false if it could not be stored. */
  intent: Promise<boolean> | null;
  /** The hold's settle, sent once the charge is durable; the response does not wait for it. */
  settled: Promise<unknown> | null;
  /** Waiting on nodes: from the first send to the last byte (the rest of the request is the gateway's). */
  upstreamMs: number;
  sentAt: number;
  /** A non-streaming request's claimed Idempotency-Key (Redis key) until it is marked done; null without one. */
  idempotencyKey: string | null;
}

type Charged = 'stored' | 'deferred' | 'failed';

const DONE = Buffer.from('data: [DONE]\n\n');
const STREAM_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' };

/**
 * The /v1 hot path on the raw node:http server, outside Nest (DESIGN.md: a Nest controller adds
 * milliseconds of p99 to a pass-through): key check → limits → rate limit → reserve credits →
 * route (failover before the first byte) → relay (a stream's durable intent to charge is written
 * meanwhile) → charge, bounded by what the gateway knows (stored durably) → `[DONE]`. Every
 * request ends before its hold lapses.
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
      if (metered?.node && this.deps.metrics) this.observe(this.deps.metrics, metered, performance.now() - startedAt);
      this.deps.logger.info(
        {
          requestId,
          endpoint: metered?.request.endpoint,
          model: metered?.request.model,
          keyId: metered?.key.keyId,
          nodeId: metered?.node?.nodeId,
          status: res.statusCode,
          outcome: metered?.outcome,
          cut: metered?.cut ?? undefined,
          inputTokens: metered?.usage?.inputTokens,
          outputTokens: metered?.usage?.outputTokens,
          costMicroUsd: metered?.costMicroUsd.toString(),
          ttftMs: metered?.ttftMs,
          latencyMs: Math.round(performance.now() - startedAt),
        },
        'inference request',
      );
    }
  }

  private observe(metrics: GatewayMetrics, m: Metered, totalMs: number): void {
    const model = m.request.model;
    metrics.added.observe({ model }, Math.max(0, totalMs - m.upstreamMs) / 1000);
    metrics.upstream.observe({ node: (m.node as RoutedNode).nodeId }, m.upstreamMs / 1000);
    if (m.ttftMs !== null) metrics.ttft.observe({ model }, m.ttftMs / 1000);
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
    let streamSlot = false;
    let settled: Promise<unknown> | null = null;
    try {
      // Answered from memory before any Redis work: an unknown model costs no rate limit.
      const price = await this.deps.prices.priceAt(request.model, new Date());
      if (!price) throw new OpenAiError(404, `The model \`${request.model}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found', 'model');
      this.deps.holdRedisWrites?.();
      const survey = await this.deps.dispatch.survey(request.model);
      const reserve = costMicroUsd(price, request.maxInputTokens, request.maxOutputTokens, request.images);
      // The rate limit, the reservation and the routing read (started by survey) are sent in the
      // same tick: one Redis round trip before the node is contacted. A reservation made for a
      // request the limiter refuses is given back.
      const [limited, reserved] = await Promise.allSettled([
        this.deps.rateLimiter.take({
          keyId: key.keyId,
          accountId: key.accountId,
          requestsPerMinute: key.limits.requestsPerMinute ?? this.options.defaultRequestsPerMinute,
          tokensPerMinute: key.limits.tokensPerMinute ?? this.options.defaultTokensPerMinute,
          tokens: request.estimatedInputTokens + request.maxOutputTokens,
          streamId: request.stream ? requestId : null,
        }),
        this.deps.spending.reserve(key.accountId, requestId, reserve),
      ]);
      if (limited.status === 'rejected') {
        if (reserved.status === 'fulfilled') await this.deps.spending.release(key.accountId, requestId).catch(() => undefined);
        throw limited.reason;
      }
      const limit = limited.value;
      streamSlot = limit.holdsStreamSlot;
      for (const [name, value] of Object.entries(limit.headers)) res.setHeader(name, value);
      if (!limit.allowed) {
        this.deps.metrics?.refused.inc({ status: '429' });
        if (reserved.status === 'fulfilled') await this.deps.spending.release(key.accountId, requestId).catch(() => undefined);
        throw new OpenAiError(429, limit.message, 'rate_limit_error', 'rate_limit_exceeded', null, limit.retryAfterSeconds);
      }
      if (reserved.status === 'rejected') {
        if ((reserved.reason as DomainError | undefined)?.kind === 'payment_required') this.deps.metrics?.refused.inc({ status: '402' });
        throw reserved.reason;
      }
      metered = {
        requestId,
        key,
        request,
        price,
        reservedMicroUsd: reserve,
        acceptedAt: new Date(),
        node: null,
        startedAt,
        ttftMs: null,
        charged: false,
        outcome: null,
        usage: null,
        costMicroUsd: 0n,
        cut: null,
        awaitingClient: false,
        intent: null,
        settled: null,
        upstreamMs: 0,
        sentAt: 0,
        idempotencyKey,
      };
      await this.route(res, metered, survey);
      settled = metered.settled;
      return metered;
    } finally {
      // Every way out of a stream (done, error, client gone) passes here; a crash leaves the slot to expire.
      // The slot and the settle go out together, after the client has its last byte.
      const after: Promise<unknown>[] = [];
      if (streamSlot) after.push(this.deps.rateLimiter.release(key.accountId, requestId).catch(() => undefined));
      if (settled) after.push(settled);
      if (after.length > 0) await Promise.all(after);
      // Unless the answer's own write marked it done already (relayJson clears the field then).
      const unmarked = metered ? metered.idempotencyKey : idempotencyKey;
      if (unmarked) await this.deps.idempotency.complete(unmarked, requestId, res.statusCode, metered?.charged ?? false).catch(() => undefined);
    }
  }

  private async route(res: ServerResponse, m: Metered, survey: RouteSurvey): Promise<void> {
    const abort = new AbortController();
    const cut = (reason: Cut) => {
      if (m.cut) return;
      m.cut = reason;
      abort.abort();
    };
    // The client went away: stop the node from generating, and charge what was relayed.
    res.on('close', () => {
      if (!res.writableFinished) cut('client_gone');
    });
    // No request outlives its hold: at its time bound it is cut, whatever it is waiting for.
    const deadline = setTimeout(() => cut(m.awaitingClient ? 'client_stalled' : 'deadline'), Math.max(0, this.options.maxRequestMs - (performance.now() - m.startedAt)));
    deadline.unref();
    m.sentAt = performance.now();
    this.deps.holdRedisWrites?.(); // the node's in-flight lease leaves with this turn's other commands
    try {
      let dispatched: { node: RoutedNode; response: UpstreamResponse; attempts: number };
      try {
        dispatched = await this.deps.dispatch.dispatch(m.request.model, (node, signal) => this.deps.upstream.send(node, m.request, AbortSignal.any([signal, abort.signal])), {
          signal: abort.signal,
          survey,
        });
      } catch (err) {
        await this.deps.spending.release(m.key.accountId, m.requestId);
        if (m.cut === 'deadline')
          throw new OpenAiError(504, `No node answered within the time this API allows (${this.options.maxRequestMs} ms); nothing was charged.`, 'server_error', 'request_timeout');
        throw err;
      }
      m.node = dispatched.node;
      if (dispatched.attempts > 1) this.deps.metrics?.failovers.inc(dispatched.attempts - 1);
      const { response } = dispatched;
      let ok = false;
      try {
        if (response.status >= 400) await this.relayRefusal(res, m, response);
        else if (m.request.stream) await this.relayStream(res, m, response, abort.signal, cut);
        else await this.relayJson(res, m, response);
        ok = m.outcome !== 'upstream_failed';
      } finally {
        const latencyMs = performance.now() - m.startedAt;
        void this.deps.dispatch.finish(m.node.nodeId, { ok, latencyMs, ttftMs: m.ttftMs }).catch(() => undefined);
      }
    } finally {
      clearTimeout(deadline);
    }
  }

  /** The node refused the request (e.g. a parameter its engine rejects): its answer, no charge. */
  private async relayRefusal(res: ServerResponse, m: Metered, response: UpstreamResponse): Promise<void> {
    const body = await readAll(response.body, 64 * 1024).catch(() => null);
    m.upstreamMs = performance.now() - m.sentAt;
    await this.deps.spending.release(m.key.accountId, m.requestId);
    m.outcome = 'upstream_failed';
    let parsed: unknown = null;
    try {
      parsed = body ? JSON.parse(body.toString('utf8')) : null;
    } catch {
      parsed = null;
    }
    const message = refusalMessage(parsed, m.node) ?? `The model's node refused the request (HTTP ${response.status}).`;
    sendOpenAiError(
      res,
      new OpenAiError(response.status >= 500 ? 502 : response.status, message, response.status >= 500 ? 'server_error' : 'invalid_request_error', 'upstream_error'),
    );
  }

  private async relayStream(res: ServerResponse, m: Metered, response: UpstreamResponse, signal: AbortSignal, cut: (reason: Cut) => void): Promise<void> {
    // The intent to charge is stored while the stream is relayed (group-committed, off the
    // latency path): if this process dies mid-stream, recovery charges the request at its bounds.
    m.intent = this.openIntent(m).then(
      (stored) => stored,
      (err: Error) => {
        this.deps.logger.warn({ requestId: m.requestId, err: { name: err.name } }, 'intent to charge not stored; the charge itself must be');
        return false;
      },
    );
    res.writeHead(200, STREAM_HEADERS);
    const meter = new SseMeter(m.request.clientWantsUsage);
    const tap = this.tap(m);
    let broken = false;
    try {
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        if (m.ttftMs === null) m.ttftMs = Math.round(performance.now() - m.startedAt);
        const out = meter.push(chunk);
        if (out === null) continue;
        tap?.relayed(out);
        if (!res.write(out)) await this.clientDrained(res, m, signal, cut);
      }
    } catch {
      broken = m.cut === null; // a node that died mid-stream; after the first byte there is no failover
    }
    m.upstreamMs = performance.now() - m.sentAt;
    m.outcome =
      m.cut === 'client_gone' || m.cut === 'client_stalled'
        ? 'client_disconnected'
        : m.cut === 'deadline' || broken || (!meter.sawDone && !meter.usage)
          ? 'upstream_failed'
          : 'completed';
    const limits = this.usageLimits(m, Math.min(m.request.maxOutputTokens, relayedOutputBound(meter.textBytes, m.request.choices, m.request.stopBytes)));
    const usage = boundUsage(meter.usage, limits, { inputTokens: m.request.estimatedInputTokens, outputTokens: meter.deliveredChunks, images: 0 }, true);
    if (this.options.testPauseBeforeChargeMs > 0) await sleep(this.options.testPauseBeforeChargeMs);
    const charged = await this.charge(m, usage);
    tap?.end({
      status: m.outcome as UsageStatus,
      reported: meter.usage,
      charged: { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, images: usage.images, costMicroUsd: m.costMicroUsd },
      estimated: usage.estimated,
    });
    if (m.cut === 'client_gone') return;
    if (m.cut === 'client_stalled') {
      res.destroy(); // it stopped reading: nothing more is written to it
      return;
    }
    // Never a [DONE] without a durable record (the charge, or the exact charge kept for recovery).
    if (charged === 'failed') this.end(res, errorEvent(METERING_FAILED));
    else if (m.cut === 'deadline')
      this.end(
        res,
        errorEvent(
          new OpenAiError(
            504,
            `The response took longer than this API allows (${this.options.maxRequestMs} ms); you were charged only for what was delivered.`,
            'server_error',
            'request_timeout',
          ),
        ),
      );
    else
      this.end(
        res,
        m.outcome === 'completed'
          ? DONE
          : errorEvent(new OpenAiError(502, 'The node serving this model failed mid-stream; you were charged only for what was delivered.', 'server_error', 'upstream_error')),
      );
  }

  /** Ends the response; a client that is not reading keeps it (and its socket) at most clientDrainTimeoutMs more. */
  private end(res: ServerResponse, last: Buffer): void {
    res.end(last);
    if (!res.writableNeedDrain) return;
    const timer = setTimeout(() => res.destroy(), this.options.clientDrainTimeoutMs);
    timer.unref();
    res.once('finish', () => clearTimeout(timer));
  }

  /** A client that stops reading is waited for at most clientDrainTimeoutMs, then cut off. */
  private async clientDrained(res: ServerResponse, m: Metered, signal: AbortSignal, cut: (reason: Cut) => void): Promise<void> {
    m.awaitingClient = true;
    const stalled = setTimeout(() => cut('client_stalled'), this.options.clientDrainTimeoutMs);
    try {
      await once(res, 'drain', { signal });
    } finally {
      clearTimeout(stalled);
      m.awaitingClient = false;
    }
  }

  private async relayJson(res: ServerResponse, m: Metered, response: UpstreamResponse): Promise<void> {
    let body: Buffer | null = null;
    try {
      body = await readAll(response.body, this.options.maxResponseBytes);
    } catch {
      body = null;
    }
    m.ttftMs = Math.round(performance.now() - m.startedAt);
    m.upstreamMs = performance.now() - m.sentAt;
    let parsed: unknown = null;
    try {
      parsed = body ? JSON.parse(body.toString('utf8')) : null;
    } catch {
      parsed = null;
    }
    const endpoint = m.request.endpoint;
    m.outcome = m.cut === 'client_gone' ? 'client_disconnected' : parsed === null ? 'upstream_failed' : 'completed';
    const textBytes = responseTextBytes(parsed);
    // Images are priced per image relayed; their tokens are not charged.
    const reported: RawUsage | null = endpoint === 'images.generations' ? { promptTokens: 0, completionTokens: 0 } : usageOf(parsed);
    const limits = this.usageLimits(m, Math.min(m.request.maxOutputTokens, relayedOutputBound(textBytes, m.request.choices, m.request.stopBytes)));
    // Without a report the prompt is estimated (≈ 4 characters a token) and so is the output (≈ 4 bytes a token).
    const figures: GatewayFigures = { inputTokens: m.request.estimatedInputTokens, outputTokens: Math.ceil(textBytes / 4), images: imagesIn(parsed) };
    const usage = boundUsage(reported, limits, figures, endpoint !== 'embeddings');
    const tap = this.tap(m);
    await this.charge(m, usage);
    if (body && tap) tap.relayed(body);
    tap?.end({
      status: m.outcome as UsageStatus,
      reported,
      charged: { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, images: usage.images, costMicroUsd: m.costMicroUsd },
      estimated: usage.estimated,
    });
    if (m.cut === 'client_gone') return;
    if (m.cut === 'deadline')
      throw new OpenAiError(504, `The node did not answer within the time this API allows (${this.options.maxRequestMs} ms).`, 'server_error', 'request_timeout');
    if (m.outcome !== 'completed' || !body) throw new OpenAiError(502, 'The node serving this model sent an unreadable response.', 'server_error', 'upstream_error');
    // Marked done before the client has its answer: a repeat sent the moment it arrives must
    // read "already used", not "still running".
    if (m.idempotencyKey) {
      await this.deps.idempotency.complete(m.idempotencyKey, m.requestId, 200, true).catch(() => undefined);
      m.idempotencyKey = null;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    this.end(res, body);
  }

  private usageLimits(m: Metered, outputTokens: number): UsageLimits {
    return { inputTokens: Math.min(m.request.maxInputTokens, MAX_USAGE_COUNT), outputTokens, images: m.request.images };
  }

  private tap(m: Metered): RelayTap | null {
    const node = m.node as RoutedNode;
    if (node.upstream) return null; // vendors are not community nodes: no trust counting
    return this.deps.relayObserver.begin({
      requestId: m.requestId,
      nodeId: node.nodeId,
      providerId: node.providerId,
      model: m.request.model,
      endpoint: m.request.endpoint,
      stream: m.request.stream,
    });
  }

  /** Stores the charge at the request's bounds for recovery, due once the request has certainly ended. */
  private openIntent(m: Metered): Promise<boolean> {
    const dueAt = new Date(m.acceptedAt.getTime() + this.options.maxRequestMs + this.options.recoveryGraceMs);
    return this.deps.intents.open(this.boundIntent(m), m.acceptedAt, dueAt);
  }

  /** The charge this request may cost at most (its reservation): what recovery stores if this process dies mid-stream. */
  private boundIntent(m: Metered): ChargeIntent {
    const usage: BoundedUsage = {
      inputTokens: Math.min(m.request.maxInputTokens, MAX_USAGE_COUNT),
      outputTokens: m.request.maxOutputTokens,
      images: m.request.images,
      estimated: true,
      discrepancies: [],
    };
    return this.intent(m, usage, 'client_disconnected', m.reservedMicroUsd, 0);
  }

  private intent(m: Metered, usage: BoundedUsage, status: UsageStatus, cost: bigint, latencyMs: number): ChargeIntent {
    const node = m.node as RoutedNode;
    const at = m.acceptedAt.toISOString();
    const command: RecordUsage = {
      type: 'RecordUsage',
      requestId: m.requestId,
      accountId: m.key.accountId,
      keyId: m.key.keyId,
      model: m.request.model,
      endpoint: m.request.endpoint,
      nodeId: node.nodeId,
      providerId: node.upstream ? null : node.providerId,
      status,
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      images: usage.images,
      estimated: usage.estimated,
      ttftMs: m.ttftMs,
      latencyMs,
      costMicroUsd: cost,
      providerShareBps: providerShareBps(this.options.revenueSplit, m.request.model, node.nodeId),
      reservedMicroUsd: m.reservedMicroUsd,
      at,
    };
    if (node.upstream) {
      // What the vendor charges us, from its reported usage as bounded (the same counts the developer pays for).
      const vendorCost = vendorCostAt(node.upstream, m.request.model, m.acceptedAt.getTime());
      command.vendorId = node.upstream.upstreamId;
      command.vendorCostMicroUsd = vendorCost ? costMicroUsd(vendorCost, usage.inputTokens, usage.outputTokens, usage.images) : 0n;
    }
    const context: CommandContext = { actorId: `apikey:${m.key.keyId}`, occurredAt: at, correlationId: m.requestId };
    return { command, context, discrepancies: usage.discrepancies };
  }

  /**
   * Stores the charge (durably, before the client gets its last byte) with the node's
   * discrepancies, then settles the hold. Once per request. If it cannot be stored now, the exact
   * charge is kept for recovery ('deferred': the hold stays until recovery settles it); if even
   * that fails, a stream's intent still charges it at its bounds later ('failed'), and a JSON
   * response, nothing of which was delivered, is refused and its hold released (throws).
   */
  private async charge(m: Metered, usage: BoundedUsage): Promise<Charged> {
    if (m.charged) return 'stored';
    m.charged = true;
    const capped = capCost(costMicroUsd(m.price, usage.inputTokens, usage.outputTokens, usage.images), m.reservedMicroUsd);
    m.costMicroUsd = capped.costMicroUsd;
    m.usage = capped.discrepancy ? { ...usage, discrepancies: [...usage.discrepancies, capped.discrepancy] } : usage;
    const intent = this.intent(m, m.usage, m.outcome as UsageStatus, m.costMicroUsd, Math.round(performance.now() - m.startedAt));
    // An intent not sent yet is dropped: the charge about to be stored replaces it (re-opened below if that fails).
    const withdrawn = m.intent !== null && this.deps.intents.withdraw(m.requestId);
    let position;
    const handedAt = performance.now();
    try {
      ({ position } = await this.deps.recorder.record(intent.command, intent.context, discrepancyItems(intent.command, intent.discrepancies)));
      this.deps.metrics?.chargeWait.observe((performance.now() - handedAt) / 1000);
    } catch (err) {
      return this.defer(m, intent, err, withdrawn);
    }
    void m.intent?.then((opened) => opened && this.deps.intents.close(m.requestId));
    // The settle, the node's bookkeeping and the stream slot's release leave in one write.
    this.deps.holdRedisWrites?.();
    // The charge is durable, so the client may have its last byte now; the hold is settled
    // meanwhile (awaited before the request's slot is released). If Redis fails here the
    // reservation expires and the feeder still applies the charge.
    m.settled = this.deps.spending.settle(m.key.accountId, m.requestId, m.costMicroUsd, position).then(
      (settled) => {
        if (settled === 'clamped') this.deps.logger.error({ requestId: m.requestId }, 'a charge above its reservation reached settle; held at the reservation');
      },
      (err: Error) => this.deps.logger.warn({ requestId: m.requestId, err: err.message }, 'settle failed; the hold will expire'),
    );
    return 'stored';
  }

  private async defer(m: Metered, intent: ChargeIntent, cause: unknown, intentWithdrawn: boolean): Promise<Charged> {
    this.deps.logger.warn(
      { requestId: m.requestId, err: { name: (cause as Error)?.name, code: (cause as { code?: string })?.code } },
      'charge not stored at once; keeping it for recovery',
    );
    try {
      await this.deps.intents.finalize(intent, m.acceptedAt);
      return 'deferred';
    } catch {
      // A stream whose intent is stored is charged at its bounds once due (the hold stays until then).
      if (m.intent && (await m.intent)) return 'failed';
      if (intentWithdrawn && (await this.openIntent(m).catch(() => false))) return 'failed';
      await this.deps.spending.release(m.key.accountId, m.requestId).catch(() => undefined);
      if (m.intent) {
        this.deps.logger.error({ requestId: m.requestId }, 'neither the charge nor any intent could be stored: this response goes unpaid');
        return 'failed';
      }
      m.charged = false;
      throw cause;
    }
  }
}

const METERING_FAILED = new OpenAiError(
  503,
  'The charge for this response could not be recorded yet; it will be recorded once (never twice) when storage is back.',
  'server_error',
  'metering_unavailable',
);

function toOpenAiError(err: unknown, logger: Logger, requestId: string): OpenAiError {
  if (err instanceof OpenAiError) return err;
  if (err instanceof DomainError) return openAiErrorFrom(err);
  logger.error({ requestId, err: { name: (err as Error)?.name } }, 'inference request failed');
  return new OpenAiError(500, 'The server had an error while processing your request.', 'server_error', 'internal_error');
}

/**
 * The message of a node's or vendor's refusal, from the shapes vendors use: OpenAI's
 * `{error: {message}}`, `{error: "…"}`, `{message}`, `{detail}` (string or FastAPI's list). A
 * vendor's message never carries our key back to the client: anything key-like is masked.
 */
export function refusalMessage(parsed: unknown, node: RoutedNode | null): string | null {
  const p = parsed as { error?: unknown; message?: unknown; detail?: unknown } | null;
  if (!p || typeof p !== 'object') return null;
  const error = p.error as { message?: unknown } | string | undefined;
  const detail = Array.isArray(p.detail) ? (p.detail[0] as { msg?: unknown } | undefined)?.msg : p.detail;
  const raw =
    typeof error === 'string' ? error : typeof error?.message === 'string' ? error.message : typeof p.message === 'string' ? p.message : typeof detail === 'string' ? detail : null;
  if (raw === null) return null;
  let message = raw.slice(0, 1_000);
  if (node?.upstream) {
    const key = (node.headers.authorization ?? '').replace(/^Bearer /, '');
    if (key) message = message.split(key).join('[key]');
    message = message.replace(/\b(sk|key|api[-_]?key)[-_][A-Za-z0-9*._-]{6,}/gi, '[key]');
    if (key.length >= 8) message = message.split(key.slice(0, 8)).join('[key]');
  }
  return message;
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
