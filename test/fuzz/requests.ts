import fc, { Arbitrary } from 'fast-check';

/**
 * Generators of malformed and random HTTP requests for the route fuzz suite. A request is built
 * as text and bytes (not through a JSON library), so it can carry what clients really send:
 * duplicated keys, `__proto__` keys, numbers JavaScript cannot hold, invalid UTF-8, lone
 * surrogates, NUL, deep nesting, broken JSON, wrong content types.
 */

export interface Route {
  method: string;
  /** Express pattern: `/admin/accounts/:id/suspend`. */
  path: string;
}

export type Identity = 'anonymous' | 'developer' | 'provider' | 'admin' | 'finance' | 'support' | 'apiKey' | 'nodeToken' | 'wrongBearer';
export const IDENTITIES: readonly Identity[] = ['anonymous', 'developer', 'provider', 'admin', 'finance', 'support', 'apiKey', 'nodeToken', 'wrongBearer'];

export interface FuzzCase {
  route: Route;
  identity: Identity;
  method: string;
  /** Path and query string, as sent (percent-encoded where the generator chose to). */
  target: string;
  headers: Record<string, string>;
  body: Buffer | null;
}

/** What the app already holds, so that some requests reach real records. */
export interface Pools {
  /** By path parameter name: ids that exist (accounts, nodes, keys, orders, ledger accounts…). */
  params: Record<string, string[]>;
  models: string[];
}

// ---- text -------------------------------------------------------------------------------

const NUL = '\u0000';
const loneSurrogate = fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff', 'a\ud83d', '\ude00z');
const nastyText = fc.constantFrom(
  '',
  ' ',
  NUL,
  `a${NUL}b`,
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  '../..',
  '%00',
  '%',
  '%zz',
  '\\',
  '"',
  "'",
  "'; DROP TABLE events;--",
  '<script>alert(1)</script>',
  '😀',
  'नमस्ते',
  'ñ',
  '\u202e',
  '\ufeff',
  '\u2028',
  '\t\r\n',
  'null',
  'true',
  'false',
  '0',
  '-1',
  '-0',
  '1e309',
  'NaN',
  'Infinity',
  '9'.repeat(40),
  ' 1.00 ',
  '1,00',
  '0x10',
  '{}',
  '[]',
  '$where',
  '${jndi:x}',
  '*',
  '?',
  '#',
  '&',
  '=',
);
const hugeText = fc.tuple(fc.constantFrom('a', '😀', NUL, '[', '"', '\\', 'é'), fc.integer({ min: 1_000, max: 60_000 })).map(([c, n]) => c.repeat(n));

export const text: Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 16 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 16 }) },
  { weight: 3, arbitrary: nastyText },
  { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 8 }), loneSurrogate, fc.string({ maxLength: 8 })).map((p) => p.join('')) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })).map(([a, b]) => `${a}${NUL}${b}`) },
  { weight: 1, arbitrary: hugeText },
);

const dates = fc.constantFrom(
  '2026-11-01',
  '2026-11-01T00:00:00Z',
  '2026-11-01T10:20:30.123+05:30',
  '1970-01-01T00:00:00Z',
  '9998-12-31T23:59:59.999Z',
  '9999-01-01',
  '1969-12-31T23:59:59Z',
  '-271821-04-20T00:00:00Z',
  '+275760-09-13T00:00:00Z',
  '2026-13-45',
  '0000-01-01',
  '2026-02-30',
  '2026-11-01T10:00:00',
  'yesterday',
  '1',
  '1e12',
  new Date(Date.now() + 86_400_000).toISOString(),
  new Date(Date.now() - 86_400_000).toISOString(),
);
const amounts = fc.constantFrom(
  '1.00',
  '0.01',
  '5.00',
  '10.00',
  '25',
  '-3.50',
  '1.005',
  '0',
  '0.000001',
  '-0.00',
  '1e3',
  '999999999999.99',
  '9'.repeat(30),
  ' 5',
  '5.00 USD',
  '١٠',
);
const emails = fc.constantFrom('victim-0@example.com', 'someone@example.com', 'Someone@Example.COM', 'not-an-email', 'a@b', '@example.com', `x@${'a'.repeat(400)}.com`);
const ids = (pools: Pools) => fc.oneof(fc.uuid(), fc.constantFrom(...Object.values(pools.params).flat()), text);

/** A plausible value for a field of this name, often what a real client sends. */
function plausible(name: string, pools: Pools): Arbitrary<string> {
  if (/At$|^(from|to|at|before|day)$/.test(name)) return dates;
  if (/Usd$|amount/i.test(name)) return amounts;
  if (/email/i.test(name)) return emails;
  if (/assword/.test(name)) return fc.constantFrom('correct horse battery staple 2', 'short', 'x'.repeat(2_000));
  if (name === 'model') return fc.constantFrom(...pools.models, 'no-such/model', 'm/../../x');
  if (name === 'role') return fc.constantFrom('developer', 'provider', 'admin', 'finance', 'support', 'root');
  if (/Id$|^id$|^(actor|target|owner|account|cursor)$/.test(name)) return ids(pools);
  if (name === 'endpointUrl')
    return fc.constantFrom('http://127.0.0.1:1', 'https://gpu.example.com', 'http://169.254.169.254/latest', 'javascript:alert(1)', 'http://[::1]:6379', 'ftp://x');
  if (name === 'picture') return fc.constantFrom('https://example.com/a.png', 'javascript:alert(1)', 'data:image/png;base64,AAAA');
  if (name === 'pan') return fc.constantFrom('ABCDE1234F', 'abcde1234f', 'ABCDE12345');
  if (name === 'aadhaar') return fc.constantFrom('234123412346', '123412341234', '2341 2341 2346');
  if (name === 'channel') return fc.constantFrom('email', 'self', 'phone');
  if (name === 'groupBy') return fc.constantFrom('day', 'model', 'key', 'node', 'hour');
  if (name === 'status' || /Status$/.test(name)) return fc.constantFrom('requested', 'approved', 'paid', 'credited', 'not_credited', 'captured');
  if (name === 'kind') return fc.constantFrom('developer', 'provider', 'platform', 'refund_failed');
  if (name === 'limit') return fc.constantFrom('1', '100', '500', '501', '0', '-1', '1.5', '99999999999');
  return text;
}

// ---- JSON built as text -------------------------------------------------------------------

/** JSON text for a string, keeping lone surrogates as escapes (JSON.stringify does) and NUL as \u0000. */
const str = (s: string) => JSON.stringify(s);

const numberToken = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
  fc.constantFrom('0', '-0', '1', '-1', '1e309', '-1e309', '1e-400', '9007199254740993', '123456789012345678901234567890', '0.1', '5e-324', '1.7976931348623157e308', '1E2'),
);

function jsonValue(pools: Pools, depth: number): Arbitrary<string> {
  const leaf = fc.oneof(
    { weight: 4, arbitrary: text.map(str) },
    { weight: 2, arbitrary: numberToken },
    { weight: 1, arbitrary: fc.constantFrom('true', 'false', 'null') },
    { weight: 1, arbitrary: ids(pools).map(str) },
  );
  if (depth <= 0) return leaf;
  return fc.oneof(
    { weight: 6, arbitrary: leaf },
    { weight: 1, arbitrary: fc.array(jsonValue(pools, depth - 1), { maxLength: 4 }).map((items) => `[${items.join(',')}]`) },
    {
      weight: 1,
      arbitrary: fc
        .array(fc.tuple(fc.oneof(text, fc.constantFrom('__proto__', 'constructor', 'prototype', 'id', 'role')), jsonValue(pools, depth - 1)), { maxLength: 4 })
        .map(object),
    },
  );
}

function object(entries: [string, string][]): string {
  return `{${entries.map(([k, v]) => `${str(k)}:${v}`).join(',')}}`;
}

/** Nested arrays and objects, around the depth limit and far past it. */
const deep = fc
  .tuple(fc.integer({ min: 40, max: 6_000 }), fc.boolean())
  .map(([n, arrays]) => (arrays ? `${'['.repeat(n)}${']'.repeat(n)}` : `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`));

const malformed = fc.oneof(
  fc.constantFrom(
    '{',
    '{"a":',
    '{"a" 1}',
    "{'a':1}",
    '{"a":1,}',
    '[1,2',
    'nul',
    '"unterminated',
    '{"a":"\\x"}',
    '{"a":"\\ud800"}',
    '{"a":"\\u0000"}',
    '{"a":01}',
    '{"a":+1}',
    '{"a":NaN}',
    ' ',
    '',
    '\ufeff{}',
    '{}{}',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

/** JSON text of a plausible value for the fields that are not strings (what an SDK or the dashboard sends). */
function structured(name: string, pools: Pools): Arbitrary<string> | null {
  const model = fc.constantFrom(...pools.models, 'no-such/model').map(str);
  const content = fc.oneof(text.map(str), fc.constant('[{"type":"text","text":"hi"}]'), fc.constant('null'));
  switch (name) {
    case 'messages':
      return fc
        .array(
          fc.tuple(fc.constantFrom('user', 'system', 'assistant', 'tool', 'root'), content).map(([role, c]) => `{"role":${str(role)},"content":${c}}`),
          { minLength: 1, maxLength: 3 },
        )
        .map((m) => `[${m.join(',')}]`);
    case 'prompt':
    case 'input':
      return fc.oneof(
        text.map(str),
        fc.array(text.map(str), { maxLength: 3 }).map((a) => `[${a.join(',')}]`),
        fc.constant('[1,2,3]'),
      );
    case 'model':
      return model;
    case 'stream':
      return fc.constantFrom('true', 'false', '"true"', '1');
    case 'stream_options':
      return fc.constantFrom('{"include_usage":true}', '{"include_usage":false}', '[]', 'null');
    case 'max_tokens':
    case 'max_completion_tokens':
    case 'n':
    case 'gpuMemoryGb':
    case 'inFlight':
    case 'queueDepth':
      return fc.oneof(fc.constantFrom('1', '2', '8', '16', '0', '-1', '16385', '1.5', '1e309', '"4"'), fc.integer().map(String));
    case 'limits':
      return fc.constantFrom(
        '{"requestsPerMinute":10}',
        '{"requestsPerMinute":10,"tokensPerMinute":1000}',
        '{"requestsPerMinute":0}',
        '{"tokensPerMinute":1e309}',
        '{"x":1}',
        '[]',
        'null',
      );
    case 'models':
      return fc.oneof(
        fc.constantFrom(...pools.models).map((m) => `[${str(m)}]`),
        fc.constant('[{"id":"m-1","contextLength":8192}]'),
        fc.constantFrom('[]', '[""]', '[{"id":1}]', '[{"id":"m","contextLength":-1}]', `[${Array.from({ length: 300 }, (_, i) => str(`m${i}`)).join(',')}]`),
      );
    case 'inputMicroUsdPerMTok':
    case 'outputMicroUsdPerMTok':
    case 'perImageMicroUsd':
      return fc.constantFrom('"1000000"', '"0"', '"-1"', '1000000', '"1.5"', `"${'9'.repeat(40)}"`, 'null');
    default:
      return null;
  }
}

/** What a route's body reader knows: its fields, and (for many routes) one body it accepts. */
export interface RouteBody {
  fields: string[];
  valid: Record<string, unknown> | null;
}

/** A valid body with one thing wrong (a field's value, a field missing, one too many, one twice), or as it is. */
function mutated(valid: Record<string, unknown>, fields: string[], named: (name: string) => Arbitrary<string>): Arbitrary<string> {
  const entries = Object.entries(valid).map(([k, v]): [string, string] => [k, JSON.stringify(v)]);
  const at = fc.nat(entries.length - 1);
  const someField = fc.oneof(fc.constantFrom(...fields), fc.constantFrom('__proto__', 'constructor'), text);
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(object(entries)) },
    { weight: 4, arbitrary: at.chain((i) => named(entries[i][0]).map((v) => object(entries.map((e, j): [string, string] => (j === i ? [e[0], v] : e))))) },
    { weight: 1, arbitrary: at.map((i) => object(entries.filter((_, j) => j !== i))) },
    { weight: 1, arbitrary: someField.chain((f) => named(f).map((v) => object([...entries, [f, v]]))) },
    { weight: 1, arbitrary: at.chain((i) => named(entries[i][0]).map((v) => object([...entries, [entries[i][0], v]]))) },
  );
}

/** A body for a route: a valid one slightly wrong, an object of the fields its reader knows (some valid, some not), or anything. */
function jsonBody({ fields, valid }: RouteBody, pools: Pools): Arbitrary<string> {
  const named = (name: string) =>
    fc.oneof({ weight: 4, arbitrary: structured(name, pools) ?? plausible(name, pools).map(str) }, { weight: 2, arbitrary: jsonValue(pools, 2) }, { weight: 1, arbitrary: deep });
  const entries = fc
    .tuple(
      fc.subarray(fields, { minLength: Math.min(fields.length, 1) }),
      fc.oneof(
        { weight: 3, arbitrary: fc.constant([]) },
        { weight: 1, arbitrary: fc.array(fc.oneof(text, fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty')), { minLength: 1, maxLength: 2 }) },
      ),
      fc.boolean(),
    )
    .chain(([known, extra, duplicate]) => {
      const names = [...known, ...(duplicate && known.length > 0 ? [known[0]] : []), ...extra];
      return fc.tuple(...names.map((n) => named(n).map((v) => [n, v] as [string, string])));
    })
    .map((e) => object(e));
  return fc.oneof(
    { weight: valid ? 16 : 0, arbitrary: valid ? mutated(valid, fields, named) : fc.constant('{}') },
    { weight: 8, arbitrary: entries },
    { weight: 1, arbitrary: jsonValue(pools, 3) },
    { weight: 1, arbitrary: deep },
    { weight: 1, arbitrary: malformed },
  );
}

// ---- the request --------------------------------------------------------------------------

/** Percent-encoding that keeps a lone surrogate as its three (invalid) UTF-8 bytes, as a careless client would send it. */
export function encode(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (cp >= 0xd800 && cp <= 0xdfff) out += [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    else out += encodeURIComponent(ch);
  }
  return out;
}

const rawSegment = fc.constantFrom('%00', 'a%00b', '%ZZ', '%', '%ED%A0%80', '%C0%80', '..', '.', '%2F', '%2e%2e', 'a%20b', '~', '@', 'x'.repeat(3_000), '%F0%9F%98%80', '*');

function paramValue(name: string, pools: Pools): Arbitrary<string> {
  const known = pools.params[name] ?? [];
  return fc.oneof(
    { weight: known.length > 0 ? 6 : 0, arbitrary: known.length > 0 ? fc.constantFrom(...known) : fc.constant('x') },
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 2, arbitrary: text.map(encode).filter((s) => s.length > 0 && s.length < 1_500) },
    { weight: 2, arbitrary: rawSegment },
  );
}

const QUERY_NAMES = [
  'from',
  'to',
  'at',
  'limit',
  'cursor',
  'before',
  'actor',
  'target',
  'action',
  'kind',
  'type',
  'owner',
  'account',
  'status',
  'providerId',
  'accountId',
  'paymentId',
  'groupBy',
  'ledgerStatus',
  'razorpayStatus',
  'code',
  'state',
  'error',
];

function queryString(pools: Pools): Arbitrary<string> {
  const pair = fc
    .tuple(
      fc.oneof(
        { weight: 5, arbitrary: fc.constantFrom(...QUERY_NAMES) },
        { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'a[b]', 'limit[]', '') },
        { weight: 1, arbitrary: text },
      ),
      fc.boolean(),
    )
    .chain(([name, asPlausible]) => (asPlausible ? plausible(name, pools) : text).map((value) => `${encode(name)}=${encode(value)}`.slice(0, 2_000)));
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant('') },
    { weight: 6, arbitrary: fc.array(pair, { minLength: 1, maxLength: 4 }).map((pairs) => `?${pairs.join('&')}`) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '?',
        '?&&',
        '?a',
        '?=1',
        '?from=%00',
        '?limit=1&limit=2',
        '?at=%ED%A0%80',
        '?%',
        '?a=%zz',
        `?x=${'y'.repeat(8_000)}`,
        `?x=${'y'.repeat(20_000)}`,
        '?__proto__[x]=1',
        '?from=2026-11-01&from=2026-11-02',
      ),
    },
  );
}

const headerValue = fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\t\x20-\x7e]/g, ''));
const extraHeaders = fc.array(
  fc.oneof(
    fc.tuple(fc.constant('x-request-id'), fc.oneof(headerValue, fc.constantFrom('a'.repeat(300), 'req-1', ''))),
    fc.tuple(fc.constant('x-forwarded-for'), fc.oneof(headerValue, fc.constantFrom('1.2.3.4, 5.6.7.8', '::1', 'unknown', '999.1.1.1'))),
    fc.tuple(fc.constant('idempotency-key'), fc.oneof(headerValue, fc.constantFrom('k-1', 'x'.repeat(1_000)))),
    fc.tuple(fc.constant('accept'), fc.constantFrom('text/csv', '*/*', 'application/xml', '')),
    fc.tuple(fc.constant('x-forwarded-proto'), fc.constantFrom('https', 'http', 'gopher')),
    fc.tuple(fc.constant('accept-encoding'), fc.constantFrom('gzip', 'br', 'identity;q=0', '*')),
    fc.tuple(fc.constant('cookie'), fc.constantFrom('tg_session=x', 'tg_session=; tg_refresh=%00', 'a=b;;;', `tg_session=${'x'.repeat(3_000)}`)),
  ),
  { maxLength: 3 },
);

const contentType = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
      'application/vnd.api+json',
      '',
    ),
  },
);

/** A route's identity: mostly one that passes its guard, so the handler itself is fuzzed; any other some of the time. */
function identityFor(route: Route): Arbitrary<Identity> {
  const p = route.path;
  const likely: Identity[] = p.startsWith('/v1')
    ? ['apiKey']
    : p.startsWith('/nodes')
      ? ['nodeToken']
      : p.startsWith('/finance')
        ? ['finance', 'admin']
        : p.startsWith('/support')
          ? ['support', 'admin']
          : p.startsWith('/admin')
            ? ['admin', 'finance', 'support']
            : p.startsWith('/provider')
              ? ['provider']
              : p.startsWith('/me')
                ? ['developer', 'provider']
                : ['anonymous', 'developer'];
  return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...likely) }, { weight: 1, arbitrary: fc.constantFrom(...IDENTITIES) });
}

const WRITE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** One request to one of `routes` (plus, now and then, to a path no route serves). */
export function fuzzCase(routes: readonly Route[], bodyOf: (route: Route) => RouteBody, pools: Pools): Arbitrary<FuzzCase> {
  const unknownRoute = fc
    .array(
      text.map(encode).filter((s) => s.length > 0 && s.length < 200),
      { minLength: 1, maxLength: 3 },
    )
    .map((segments) => ({ method: 'GET', path: `/${segments.join('/')}` }));
  const route = fc.oneof({ weight: 30, arbitrary: fc.constantFrom(...routes) }, { weight: 1, arbitrary: unknownRoute });
  return route.chain((r) => {
    const names = [...r.path.matchAll(/:(\w+)/g)].map((m) => m[1]);
    const hasBody = WRITE.has(r.method);
    return fc
      .record({
        identity: identityFor(r),
        method: fc.oneof({ weight: 20, arbitrary: fc.constant(r.method) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD') }),
        params: fc.tuple(...names.map((n) => paramValue(n, pools))),
        query: queryString(pools),
        body: fc.oneof(
          { weight: hasBody ? 300 : 30, arbitrary: jsonBody(bodyOf(r), pools) },
          { weight: hasBody ? 30 : 180, arbitrary: fc.constant(null) },
          { weight: 1, arbitrary: fc.constantFrom(1_100_000, 4_300_000).map((n) => oversized(r, n)) },
        ),
        contentType,
        headers: extraHeaders,
        bodyBytes: fc.oneof({ weight: 30, arbitrary: fc.constant('utf8' as const) }, { weight: 1, arbitrary: fc.constantFrom('latin1' as const, 'invalid-utf8' as const) }),
      })
      .map(({ identity, method, params, query, body, contentType: type, headers, bodyBytes }) => {
        let i = 0;
        const path = r.path.replace(/:(\w+)/g, () => params[i++]);
        const bytes =
          body === null
            ? null
            : bodyBytes === 'invalid-utf8'
              ? Buffer.concat([Buffer.from(body.slice(0, -1)), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(body.slice(-1))])
              : Buffer.from(body, bodyBytes);
        const h: Record<string, string> = Object.fromEntries(headers);
        if (bytes !== null && type !== '') h['content-type'] = type;
        return { route: r, identity, method, target: `${path}${query}`, headers: h, body: bytes };
      });
  });
}

/** Past the 1 MB (dashboard) and 4 MB (/v1) body limits. */
function oversized(route: Route, bytes: number): string {
  return `{"model":"m","messages":[{"role":"user","content":"${'x'.repeat(bytes)}"}],"reason":${str(route.path)}}`;
}
