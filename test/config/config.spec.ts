import { ConfigError, loadConfig } from '../../src/platform/config/config';

describe('config', () => {
  it('has local defaults for every URL, so a fresh machine boots with no variables', () => {
    expect(loadConfig({})).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/tollgate',
      redisUrl: 'redis://127.0.0.1:6379',
      eventStoreConnectionString: null,
      logLevel: 'info',
      metering: { usageBatchMax: 500, usageQueueMax: 10_000 },
      kyc: { required: false, retentionMs: 5 * 365 * 86_400_000, sweepIntervalMs: 3_600_000 },
    });
  });

  it('reads KYC settings: off unless KYC_REQUIRED=true, retention in days', () => {
    expect(loadConfig({ KYC_REQUIRED: 'true', KYC_RETENTION_DAYS: '30', KYC_SWEEP_INTERVAL_SECONDS: '60' }).kyc).toEqual({
      required: true,
      retentionMs: 30 * 86_400_000,
      sweepIntervalMs: 60_000,
    });
    expect(() => loadConfig({ KYC_REQUIRED: 'yes', KYC_RETENTION_DAYS: '0' })).toThrow(/KYC_REQUIRED must be one of true, false[\s\S]*KYC_RETENTION_DAYS must be an integer/);
  });

  it('REDIS_URL: one server, or a cluster as a comma-separated seed list; a malformed list is refused with the entry named', () => {
    expect(loadConfig({ REDIS_URL: 'redis://10.0.0.1:6380/2' }).redisCluster).toBeNull();
    expect(loadConfig({ REDIS_URL: 'rediss://app:s%40cret@r1:7001,r2:7002,[::1]:7003' }).redisCluster).toEqual({
      nodes: [
        { host: 'r1', port: 7001 },
        { host: 'r2', port: 7002 },
        { host: '::1', port: 7003 },
      ],
      username: 'app',
      password: 's@cret',
      tls: true,
    });
    expect(() => loadConfig({ REDIS_URL: 'redis://r1:7001,r2' })).toThrow('REDIS_URL cluster node "r2" is not host:port');
    expect(() => loadConfig({ REDIS_URL: 'redis://r1:7001,r2:99999' })).toThrow('REDIS_URL cluster node "r2:99999" is not host:port');
    expect(() => loadConfig({ REDIS_URL: 'redis://r1:7001,r2:7002/3' })).toThrow('no database index');
    expect(() => loadConfig({ REDIS_URL: 'http://r1:7001' })).toThrow('REDIS_URL must use redis: or rediss:');
  });

  it("bounds the metering batch by the event store's per-append limit", () => {
    expect(loadConfig({ USAGE_BATCH_MAX: '1000', USAGE_QUEUE_MAX: '50' }).metering).toEqual({ usageBatchMax: 1000, usageQueueMax: 50 });
    expect(() => loadConfig({ USAGE_BATCH_MAX: '1001' })).toThrow('USAGE_BATCH_MAX must be an integer in 1..1000');
    expect(() => loadConfig({ USAGE_QUEUE_MAX: '0' })).toThrow('USAGE_QUEUE_MAX must be an integer in 1..1000000');
  });

  it('bounds every request strictly below the life of the hold that pays for it', () => {
    expect(loadConfig({}).charges).toEqual({
      holdTtlMs: 900_000,
      feederMaxLagMs: 300_000,
      maxRequestMs: 600_000,
      clientDrainTimeoutMs: 30_000,
      promptAllowanceTokens: 512,
      mediaPartTokens: 4_096,
      recoveryIntervalMs: 10_000,
      recoveryGraceMs: 60_000,
      testPauseBeforeChargeMs: 0,
    });
    expect(
      loadConfig({
        CREDIT_HOLD_TTL_MS: '6000',
        INFERENCE_MAX_REQUEST_MS: '3000',
        USAGE_RECOVERY_GRACE_MS: '1000',
        USAGE_RECOVERY_INTERVAL_MS: '1000',
        UPSTREAM_FIRST_BYTE_TIMEOUT_MS: '2000',
        UPSTREAM_IDLE_TIMEOUT_MS: '2000',
        INFERENCE_CLIENT_DRAIN_TIMEOUT_MS: '1000',
      }).charges,
    ).toMatchObject({ holdTtlMs: 6_000, maxRequestMs: 3_000 });
    expect(() => loadConfig({ INFERENCE_MAX_REQUEST_MS: '900000' })).toThrow(
      /INFERENCE_MAX_REQUEST_MS \+ USAGE_RECOVERY_GRACE_MS \+ USAGE_RECOVERY_INTERVAL_MS \(970000 ms\) must be below CREDIT_HOLD_TTL_MS \(900000 ms\)/,
    );
    expect(() => loadConfig({ CREDIT_HOLD_TTL_MS: '600000' })).toThrow(/must be below CREDIT_HOLD_TTL_MS/);
    expect(() => loadConfig({ INFERENCE_MAX_REQUEST_MS: '60000' })).toThrow(/UPSTREAM_IDLE_TIMEOUT_MS must be below INFERENCE_MAX_REQUEST_MS/);
    expect(() => loadConfig({ INFERENCE_CLIENT_DRAIN_TIMEOUT_MS: '600000' })).toThrow(/INFERENCE_CLIENT_DRAIN_TIMEOUT_MS must be below INFERENCE_MAX_REQUEST_MS/);
  });

  it('accepts fault injection only in tests', () => {
    expect(loadConfig({ NODE_ENV: 'test', TEST_FAULT_PAUSE_BEFORE_CHARGE_MS: '5000' }).charges.testPauseBeforeChargeMs).toBe(5_000);
    expect(() => loadConfig({ TEST_FAULT_PAUSE_BEFORE_CHARGE_MS: '5000' })).toThrow(
      'TEST_FAULT_PAUSE_BEFORE_CHARGE_MS is fault injection for tests; it is refused unless NODE_ENV=test',
    );
  });

  it('reads the conventional variable names', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      PUBLIC_URL: 'https://api.example.com',
      SMTP_URL: 'smtp://relay.example.com:587',
      PORT: '8080',
      DATABASE_URL: 'postgresql://u@db:5432/x',
      REDIS_URL: 'rediss://cache:6380',
      EVENTSTORE_CONNECTION_STRING: 'esdb://eventstore:2113?tls=false',
      LOG_LEVEL: 'debug',
      APP_SECRET: 'a-production-secret-of-at-least-32-chars',
    });
    expect(config).toMatchObject({ nodeEnv: 'production', port: 8080, logLevel: 'debug', eventStoreConnectionString: 'esdb://eventstore:2113?tls=false' });
  });

  it('has no default secret in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow('APP_SECRET is required');
    expect(() => loadConfig({ NODE_ENV: 'production', APP_SECRET: 'short' })).toThrow('APP_SECRET must be at least 32 characters');
  });

  it('lists every problem in one error instead of stopping at the first', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({
        PORT: 'eighty',
        NODE_ENV: 'staging',
        DATABASE_URL: 'mysql://x',
        REDIS_URL: 'not a url',
        LOG_LEVEL: 'loud',
        EVENTSTORE_CONNECTION_STRING: 'http://es:2113',
        DATABASE_POOL_MAX: '0',
      });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems).toHaveLength(7);
    expect(error!.message).toContain('PORT must be an integer');
    expect(error!.message).toContain('NODE_ENV must be one of development, test, production');
    expect(error!.message).toContain('DATABASE_URL must use postgres: or postgresql:');
    expect(error!.message).toContain('REDIS_URL is not a valid URL');
    expect(error!.message).toContain('EVENTSTORE_CONNECTION_STRING must start with esdb://');
  });

  it('reads the hardening block: no internal node range by default, https nodes in production, four eyes above 100 USD, an internal metrics listener', () => {
    expect(loadConfig({}).security).toEqual({
      approvalThresholdMicroUsd: 100_000_000n,
      nodeEndpoints: { requireHttps: false, allowedCidrs: [] },
      accountLimits: { requestsPerMinute: 3_000, tokensPerMinute: 10_000_000, concurrentStreams: 100, streamSlotTtlMs: 900_000 },
      metrics: { host: '127.0.0.1', port: 9464 },
    });
    expect(
      loadConfig({ NODE_ENV: 'production', APP_SECRET: 'x'.repeat(32), PUBLIC_URL: 'https://api.example.com', MAIL_DIR: '/var/mail/tollgate' }).security.nodeEndpoints.requireHttps,
    ).toBe(true);
    expect(loadConfig({ NODE_ALLOWED_CIDRS: '10.0.0.0/8, fd00::/8', APPROVAL_THRESHOLD_USD: '0' }).security).toMatchObject({
      nodeEndpoints: { allowedCidrs: ['10.0.0.0/8', 'fd00::/8'] },
      approvalThresholdMicroUsd: 0n,
    });
    expect(() => loadConfig({ NODE_ALLOWED_CIDRS: '10.0.0.0/33,localhost,::1/129', APPROVAL_THRESHOLD_USD: '-1', METRICS_PORT: '3000' })).toThrow(
      /APPROVAL_THRESHOLD_USD must be[\s\S]*"10\.0\.0\.0\/33" is not an IPv4 or IPv6 CIDR[\s\S]*"localhost" is not[\s\S]*"::1\/129" is not[\s\S]*METRICS_PORT must differ from PORT/,
    );
  });
});
