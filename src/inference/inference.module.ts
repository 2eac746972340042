import { Inject, Module, OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';
import { Gauge } from 'prom-client';
import { ApiKeyAuthModule } from '../api-keys/api-key-auth.module';
import { ApiKeyAuthenticator } from '../api-keys/api-key-authenticator';
import { APP_CONFIG, AppConfig } from '../platform/config/config';
import { LedgerModule } from '../ledger/ledger.module';
import { CreditSpending } from '../ledger/spending/credit-spending';
import { MeteringModule } from '../metering/metering.module';
import { UsageBatcher } from '../metering/usage-batcher';
import { NodeEndpointGuard } from '../nodes/endpoint-guard/endpoint-guard';
import { UsageIntents } from '../metering/usage-intents';
import { NodesModule } from '../nodes/nodes.module';
import { NodeDispatcher } from '../nodes/routing/node-dispatcher';
import { TunnelHub } from '../nodes/tunnel/tunnel-hub';
import { TunnelModule } from '../nodes/tunnel/tunnel.module';
import { TokenCountingModule } from '../nodes/trust/counting/counting.module';
import { RelayedOutputCounter } from '../nodes/trust/counting/relayed-output-counter';
import { GatewayMetrics } from '../platform/observability/gateway-metrics';
import { Logger } from '../platform/observability/logger';
import { Metrics } from '../platform/observability/metrics';
import { LOGGER, METRICS } from '../platform/observability/tokens';
import { PriceBook } from '../pricing/price-book';
import { PricingModule } from '../pricing/pricing.module';
import { REDIS } from '../platform/redis/redis.module';
import { tickWriteBatcher } from '../platform/redis/tick-writes';
import { IdempotencyKeys } from './gateway/idempotency';
import { InferenceGateway } from './gateway/inference-gateway';
import { RequestLimits } from '../openai/openai-request';
import { CHARGE_INTENTS, ChargeIntentsPort, RELAY_OBSERVER, RelayObserver, USAGE_RECORDER, UsageRecorderPort } from './gateway/ports';
import { RateLimiter } from './gateway/rate-limiter';
import { Upstream } from '../nodes/routing/upstream';
import { V1MeController } from './v1-me.controller';

/**
 * The OpenAI-compatible /v1 API (API processes only). The four inference routes are served by
 * InferenceGateway on the raw HTTP server (bootstrap attaches it); GET /v1/me and /v1/models are
 * ordinary controllers.
 */
@Module({
  imports: [ApiKeyAuthModule, LedgerModule, MeteringModule, NodesModule, PricingModule, TokenCountingModule, TunnelModule],
  controllers: [V1MeController],
  providers: [
    {
      provide: Upstream,
      inject: [APP_CONFIG, NodeEndpointGuard, TunnelHub],
      useFactory: (c: AppConfig, guard: NodeEndpointGuard, tunnels: TunnelHub) =>
        new Upstream({
          firstByteTimeoutMs: c.inference.upstreamFirstByteTimeoutMs,
          idleTimeoutMs: c.inference.upstreamIdleTimeoutMs,
          connectionsPerNode: 256,
          connect: guard.connector(),
          retryAfterMaxMs: c.nodes.upstreams.retryAfterMaxMs,
          tunnels,
        }),
    },
    // Charges are group-committed: concurrent requests share one event-store transaction.
    { provide: USAGE_RECORDER, useExisting: UsageBatcher },
    { provide: CHARGE_INTENTS, useExisting: UsageIntents },
    // Node trust's token counter watches what is relayed (it counts after the response, off the hot path).
    { provide: RELAY_OBSERVER, useExisting: RelayedOutputCounter },
    {
      provide: InferenceGateway,
      inject: [APP_CONFIG, REDIS, LOGGER, ApiKeyAuthenticator, NodeDispatcher, PriceBook, CreditSpending, USAGE_RECORDER, CHARGE_INTENTS, RELAY_OBSERVER, Upstream, GatewayMetrics],
      useFactory: (
        c: AppConfig,
        redis: Redis,
        logger: Logger,
        authenticator: ApiKeyAuthenticator,
        dispatch: NodeDispatcher,
        prices: PriceBook,
        spending: CreditSpending,
        recorder: UsageRecorderPort,
        intents: ChargeIntentsPort,
        relayObserver: RelayObserver,
        upstream: Upstream,
        metrics: GatewayMetrics,
      ) =>
        new InferenceGateway(
          {
            authenticator,
            rateLimiter: new RateLimiter(redis, c.redisKeyPrefix, c.security.accountLimits),
            prices,
            dispatch,
            spending,
            recorder,
            intents,
            relayObserver,
            idempotency: new IdempotencyKeys(redis, c.redisKeyPrefix),
            upstream,
            logger: logger.child({ component: 'inference' }),
            metrics,
            holdRedisWrites: tickWriteBatcher(redis),
          },
          {
            maxBodyBytes: c.inference.maxBodyBytes,
            maxResponseBytes: c.inference.maxResponseBytes,
            limits: requestLimits(c),
            defaultRequestsPerMinute: c.inference.defaultRequestsPerMinute,
            defaultTokensPerMinute: c.inference.defaultTokensPerMinute,
            revenueSplit: c.ledger.revenueSplit,
            maxRequestMs: c.charges.maxRequestMs,
            clientDrainTimeoutMs: c.charges.clientDrainTimeoutMs,
            recoveryGraceMs: c.charges.recoveryGraceMs,
            testPauseBeforeChargeMs: c.charges.testPauseBeforeChargeMs,
          },
        ),
    },
  ],
  exports: [InferenceGateway],
})
export class InferenceModule implements OnModuleDestroy {
  constructor(
    @Inject(Upstream) private readonly upstream: Upstream,
    @Inject(METRICS) metrics: Metrics,
    @Inject(NodeDispatcher) dispatcher: NodeDispatcher,
    @Inject(TunnelHub) tunnels: TunnelHub,
  ) {
    new Gauge({
      name: 'tollgate_node_tunnels',
      help: 'Node tunnels (agents behind NAT) this instance holds now',
      registers: [metrics.registry],
      collect() {
        this.set(tunnels.count);
      },
    });
    new Gauge({
      name: 'tollgate_node_cooldowns',
      help: 'Times this instance put a node to rest after a failure (it is skipped until the cooldown ends), since start',
      registers: [metrics.registry],
      collect() {
        this.set(dispatcher.cooldowns);
      },
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.upstream.close();
  }
}

/** What a /v1 request may ask for in this deployment: the gateway enforces it, the OpenAPI document states it. */
export function requestLimits(c: AppConfig): RequestLimits {
  return {
    maxOutputTokens: c.inference.maxOutputTokens,
    defaultOutputTokens: c.inference.defaultMaxTokens,
    maxMessages: 1_000,
    maxChoices: 8,
    maxEmbeddingInputs: 2_048,
    maxImages: 4,
    maxJsonDepth: c.requests.jsonMaxDepth,
    promptAllowanceTokens: c.charges.promptAllowanceTokens,
    mediaPartTokens: c.charges.mediaPartTokens,
  };
}
