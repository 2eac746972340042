import SwaggerParser from '@apidevtools/swagger-parser';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppConfig } from '../../src/platform/config/config';
import { InferenceHarness, startInferenceHarness } from '../inference/harness';
import { standinCrypto, standinPayments } from '../payments/support';
import { CoinbaseStandin, startCoinbaseStandin } from '../standins/coinbase/standin';
import { RazorpayStandin, startRazorpayStandin } from '../standins/razorpay/standin';
import { apiClient } from '../support/api-client';
import { newBrowser } from '../auth/auth-app';
import { ROLE_NAMES, signInEachRole } from '../support/sign-in';
import { CAPABILITY_TAGS } from '../../src/openapi/tags';
import { ContractChecker, OpenApiDocument } from './contract-checker';
import { ContractContext } from './context';
import { scenarios as ledger } from './scenarios/ledger';
import { scenarios as nodes } from './scenarios/nodes';
import { scenarios as staff } from './scenarios/staff';
import { scenarios as v1 } from './scenarios/v1';
import { scenarios as payments } from './scenarios/payments';
import { scenarios as payouts } from './scenarios/payouts';
import { scenarios as account } from './scenarios/account';

/**
 * Issue 23: the document is the contract. Operations are called (as the role they need) through
 * the official SDK or the typed client generated from the document, and every real answer is
 * checked against the schema documented for its status: a route cannot answer what it does not
 * document. Every documented operation is called at least once (the closing test holds it), one
 * scenario file a group of routes (scenarios/*.ts).
 */
interface Operation {
  tags?: string[];
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

const SCENARIOS = [...v1, ...ledger, ...nodes, ...payments, ...payouts, ...staff, ...account];

describe('contract: real answers match the OpenAPI document', () => {
  let h: InferenceHarness;
  let razorpay: RazorpayStandin;
  let coinbase: CoinbaseStandin;
  let c: ContractContext;
  let served: OpenApiDocument;

  beforeAll(async () => {
    razorpay = await startRazorpayStandin();
    coinbase = await startCoinbaseStandin();
    h = await startInferenceHarness('contract', {
      overrides: {
        payments: standinPayments(razorpay),
        crypto: standinCrypto(coinbase),
        telegramBotToken: `123456:${'A'.repeat(35)}`,
        google: {
          clientId: 'contract-client',
          clientSecret: 'contract-secret',
          callbackUrl: 'http://127.0.0.1:1/auth/google/callback',
          authUrl: 'http://127.0.0.1:1/auth',
          tokenUrl: 'http://127.0.0.1:1/token',
          userInfoUrl: 'http://127.0.0.1:1/userinfo',
        },
        logLevel: 'error',
        nodes: { heartbeatIntervalMs: 1_000, heartbeatTtlMs: 15_000, registryRefreshMs: 50, priceRefreshMs: 50 } as AppConfig['nodes'],
      },
    });
    const { app, url } = h.t;
    const res = await fetch(`${url}/docs/openapi.json`);
    served = (await res.json()) as OpenApiDocument;
    const checker = new ContractChecker(served);
    const client = (browser: ReturnType<typeof newBrowser>) => apiClient(url, browser, checker.middleware());
    const signedIn = await signInEachRole(app, url, 'contract');
    const as = Object.fromEntries(ROLE_NAMES.map((r) => [r, { ...signedIn[r], api: client(signedIn[r].browser) }])) as ContractContext['as'];
    const apiDeveloper = await h.developer(50n, { requestsPerMinute: 1_000_000, tokensPerMinute: 1_000_000 });
    c = { url, h, as, anonymous: client(newBrowser()), client, apiDeveloper, checker, razorpay, coinbase };
  }, 120_000);

  afterAll(async () => {
    await h?.close();
    await razorpay?.close();
    await coinbase?.close();
  });

  it('the served document is valid OpenAPI 3.1 and the same one the typed client was generated from', async () => {
    await SwaggerParser.validate(structuredClone(served) as never);
    const generated = JSON.parse(readFileSync(join(__dirname, '../../dist/openapi.json'), 'utf8')) as OpenApiDocument;
    expect(Object.keys(generated.paths).sort()).toEqual(Object.keys(served.paths).sort());
    expect(JSON.stringify(generated.paths)).toBe(JSON.stringify(served.paths));
  });

  it('every operation has one capability tag, and every answer with a body a schema', () => {
    const tags = new Set(CAPABILITY_TAGS.map((t) => t.name));
    const untagged: string[] = [];
    const undescribed: string[] = [];
    for (const [path, item] of Object.entries(served.paths)) {
      for (const [method, op] of Object.entries(item as Record<string, Operation>)) {
        const name = `${method.toUpperCase()} ${path}`;
        if (op.tags?.length !== 1 || !tags.has(op.tags[0])) untagged.push(`${name} (${op.tags?.join(', ') ?? 'no tag'})`);
        for (const [status, response] of Object.entries(op.responses ?? {})) {
          // 204 and redirects have no body; everything else names its media type and schema.
          if (status === '204' || status.startsWith('3')) continue;
          const media = Object.values(response.content ?? {});
          if (media.length === 0 || media.some((m) => !m.schema)) undescribed.push(`${name} ${status}`);
        }
      }
    }
    console.log(
      `document: ${Object.keys(served.paths).length} paths; untagged ${untagged.length}, answers without a schema ${undescribed.length}${undescribed.map((u) => `\n  ${u}`).join('')}`,
    );
    expect(untagged).toEqual([]);
    expect(undescribed).toEqual([]);
  });

  for (const [name, run] of SCENARIOS) it(name, () => run(c), 120_000);

  it('every answer matched the schema documented for its status', () => {
    const operations = c.checker.operations();
    const statuses = [...c.checker.covered.values()].reduce((n, s) => n + s.size, 0);
    console.log(
      `contract: ${c.checker.covered.size} of ${operations.length} operations called, ${statuses} operation×status answers checked, ` +
        `${c.checker.streamedEvents} streamed events checked; ${c.checker.failures.length} mismatches`,
    );
    // Every documented operation is called: a new route comes with its scenario.
    expect(operations.filter((o) => !c.checker.covered.has(o))).toEqual([]);
    expect(c.checker.streamedEvents).toBeGreaterThan(0);
    expect(c.checker.failures).toEqual([]);
  });
});
