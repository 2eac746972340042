import { ConfigError, loadConfig } from '../../src/platform/config/config';
import { checkoutSignatureValid, hmacHex, webhookSignatureValid } from '../../src/payments/razorpay/signatures';

const problems = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (err) {
    return (err as ConfigError).problems;
  }
  return [];
};

describe('payments configuration', () => {
  it('is off without a Razorpay key', () => expect(loadConfig({}).payments).toBeNull());

  it("loads Razorpay Checkout's script from checkout.razorpay.com unless RAZORPAY_CHECKOUT_URL says otherwise (https in production)", () => {
    const keys = { RAZORPAY_KEY_ID: 'rzp_test_1', RAZORPAY_KEY_SECRET: 'secret', RAZORPAY_WEBHOOK_SECRET: 'wh' };
    expect(loadConfig(keys).payments!.checkoutUrl).toBe('https://checkout.razorpay.com/v1/checkout.js');
    expect(loadConfig({ ...keys, RAZORPAY_CHECKOUT_URL: 'http://127.0.0.1:9999/v1/checkout.js' }).payments!.checkoutUrl).toBe('http://127.0.0.1:9999/v1/checkout.js');
    expect(problems({ ...keys, NODE_ENV: 'production', RAZORPAY_CHECKOUT_URL: 'http://checkout.example/v1/checkout.js' })).toEqual(
      expect.arrayContaining([expect.stringContaining('RAZORPAY_CHECKOUT_URL')]),
    );
  });

  it('reads every variable', () => {
    const config = loadConfig({
      RAZORPAY_KEY_ID: 'rzp_test_1',
      RAZORPAY_KEY_SECRET: 'secret',
      RAZORPAY_WEBHOOK_SECRET: 'wh',
      RAZORPAY_WEBHOOK_SECRET_PREVIOUS: 'wh-old',
      RAZORPAY_API_URL: 'http://127.0.0.1:9999/',
      TOPUP_MIN_USD: '2.50',
      TOPUP_MAX_USD: '500',
      PAYMENTS_SWEEP_INTERVAL_SECONDS: '60',
      PAYMENTS_REPORT_CRON: '0 1 * * *',
    }).payments;
    expect(config).toMatchObject({
      keyId: 'rzp_test_1',
      webhookSecretPrevious: 'wh-old',
      apiUrl: 'http://127.0.0.1:9999',
      topupMinMicroUsd: 2_500_000n,
      topupMaxMicroUsd: 500_000_000n,
      sweepIntervalMs: 60_000,
      reportCron: '0 1 * * *',
    });
  });

  it('lists every problem at once', () => {
    expect(problems({ RAZORPAY_KEY_ID: 'rzp_test_1', TOPUP_MIN_USD: '0.999', PAYMENTS_REPORT_CRON: 'daily' })).toEqual(
      expect.arrayContaining([
        expect.stringContaining('TOPUP_MIN_USD'),
        expect.stringContaining('PAYMENTS_REPORT_CRON'),
        'RAZORPAY_KEY_SECRET is required when RAZORPAY_KEY_ID is set',
        'RAZORPAY_WEBHOOK_SECRET is required when RAZORPAY_KEY_ID is set',
      ]),
    );
    expect(problems({ RAZORPAY_KEY_SECRET: 's' })).toEqual(['RAZORPAY_KEY_SECRET is set but RAZORPAY_KEY_ID is not']);
    expect(
      problems({
        NODE_ENV: 'production',
        APP_SECRET: 'x'.repeat(40),
        PUBLIC_URL: 'https://api.example.com',
        SMTP_URL: 'smtp://relay.example.com:587',
        RAZORPAY_KEY_ID: 'k',
        RAZORPAY_KEY_SECRET: 's',
        RAZORPAY_WEBHOOK_SECRET: 'w',
        RAZORPAY_API_URL: 'http://api',
      }),
    ).toEqual([expect.stringContaining('RAZORPAY_API_URL must use https:')]);
  });
});

describe('Razorpay signatures', () => {
  it('checkout: HMAC of order_id|payment_id under the key secret, over the stored order id', () => {
    const sig = hmacHex('key-secret', 'order_A|pay_1');
    expect(checkoutSignatureValid('key-secret', 'order_A', 'pay_1', sig)).toBe(true);
    expect(checkoutSignatureValid('key-secret', 'order_B', 'pay_1', sig)).toBe(false);
    expect(checkoutSignatureValid('key-secret', 'order_A', 'pay_1', sig.slice(0, 63))).toBe(false);
    expect(checkoutSignatureValid('key-secret', 'order_A', 'pay_1', undefined)).toBe(false);
  });

  it('webhooks: the raw bytes, current or previous secret', () => {
    const body = Buffer.from('{"event":"payment.captured","x":"a\\/b"}');
    expect(webhookSignatureValid(['new', 'old'], body, hmacHex('old', body))).toBe(true);
    expect(webhookSignatureValid(['new'], body, hmacHex('old', body))).toBe(false);
    // Re-serialising the parsed body changes the bytes: only the raw body verifies.
    expect(webhookSignatureValid(['new'], Buffer.from(JSON.stringify(JSON.parse(body.toString()))), hmacHex('new', body))).toBe(false);
  });
});

describe('crypto top-ups configuration', () => {
  it('is off without a Coinbase Commerce key', () => expect(loadConfig({}).crypto).toBeNull());

  it('reads every variable and shares the top-up limits and queue settings with Razorpay', () => {
    const config = loadConfig({
      COINBASE_COMMERCE_API_KEY: 'cc-key',
      COINBASE_COMMERCE_WEBHOOK_SECRET: 'wh',
      COINBASE_COMMERCE_API_URL: 'http://127.0.0.1:9998/',
      TOPUP_MIN_USD: '2.50',
      PAYMENTS_JOB_ATTEMPTS: '3',
    });
    expect(config.payments).toBeNull();
    expect(config.crypto).toMatchObject({
      apiKey: 'cc-key',
      webhookSecret: 'wh',
      apiUrl: 'http://127.0.0.1:9998',
      apiTimeoutMs: 10_000,
      topupMinMicroUsd: 2_500_000n,
      topupMaxMicroUsd: 1_000_000_000n,
      jobAttempts: 3,
    });
    expect(loadConfig({ COINBASE_COMMERCE_API_KEY: 'k', COINBASE_COMMERCE_WEBHOOK_SECRET: 'w' }).crypto?.apiUrl).toBe('https://api.commerce.coinbase.com');
  });

  it('refuses half a configuration', () => {
    expect(problems({ COINBASE_COMMERCE_API_KEY: 'k' })).toEqual(['COINBASE_COMMERCE_WEBHOOK_SECRET is required when COINBASE_COMMERCE_API_KEY is set']);
    expect(problems({ COINBASE_COMMERCE_WEBHOOK_SECRET: 'w' })).toEqual(['COINBASE_COMMERCE_WEBHOOK_SECRET is set but COINBASE_COMMERCE_API_KEY is not']);
    expect(problems({ NODE_ENV: 'production', COINBASE_COMMERCE_API_KEY: 'k', COINBASE_COMMERCE_WEBHOOK_SECRET: 'w', COINBASE_COMMERCE_API_URL: 'http://x' })).toEqual(
      expect.arrayContaining([expect.stringContaining('COINBASE_COMMERCE_API_URL')]),
    );
  });
});
