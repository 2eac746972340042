import { findTextProblem, isUnsafeText } from '../../src/platform/http/request-text';
import { nestsDeeperThan } from '../../src/openai/body';

const nested = (levels: number, open = '[', close = ']') => `${open.repeat(levels)}${close.repeat(levels)}`;

describe('the request text rule', () => {
  it('calls NUL and unpaired surrogates unsafe, and everything else (paired surrogates, control characters, any script) safe', () => {
    for (const bad of ['\u0000', 'a\u0000', '\ud800', 'x\udfff', '\ud83d\ude00\ud83d', '\udc00\ud800']) expect({ bad, unsafe: isUnsafeText(bad) }).toEqual({ bad, unsafe: true });
    for (const ok of ['', 'plain', '\u0001\t\n', '😀', 'नमस्ते', '\ufeff', '\u{10ffff}']) expect({ ok, unsafe: isUnsafeText(ok) }).toEqual({ ok, unsafe: false });
  });

  it('finds the first unsafe value or key anywhere in a body, and names its path', () => {
    expect(findTextProblem({ name: 'ok', limits: { a: 1 } }, 'body', 64)).toBeNull();
    expect(findTextProblem({ name: 'a\u0000' }, 'body', 64)).toEqual({ kind: 'unsafe_text', field: 'name' });
    expect(findTextProblem({ models: ['ok', { id: '\ud800' }] }, 'body', 64)).toEqual({ kind: 'unsafe_text', field: 'models[1].id' });
    expect(findTextProblem({ limits: { 'x\u0000': 1 } }, 'body', 64)).toEqual({ kind: 'unsafe_text', field: 'a field name in limits' });
    expect(findTextProblem({ 'x\u0000': 1 }, 'body', 64)).toEqual({ kind: 'unsafe_text', field: 'a field name in body' });
    expect(findTextProblem('\u0000', 'body', 64)).toEqual({ kind: 'unsafe_text', field: 'body' });
    expect(findTextProblem({ 'no such!': ['\u0000'] }, 'body', 64)).toEqual({ kind: 'unsafe_text', field: '(unprintable)[0]' });
  });

  it('bounds nesting without recursion, however deep the value', () => {
    expect(findTextProblem(JSON.parse(nested(64)), 'body', 64)).toBeNull();
    expect(findTextProblem(JSON.parse(nested(65)), 'body', 64)).toEqual({ kind: 'too_deep', maxDepth: 64 });
    expect(findTextProblem(JSON.parse(nested(100_000)), 'body', 64)).toEqual({ kind: 'too_deep', maxDepth: 64 });
  });
});

describe('the /v1 depth scan (before JSON.parse)', () => {
  it('counts arrays and objects outside strings only', () => {
    expect(nestsDeeperThan(Buffer.from(nested(64)), 64)).toBe(false);
    expect(nestsDeeperThan(Buffer.from(nested(65)), 64)).toBe(true);
    expect(nestsDeeperThan(Buffer.from(`{"a":${nested(63, '{"b":', '}')}}`), 64)).toBe(false);
    expect(nestsDeeperThan(Buffer.from(`{"a":${nested(64, '{"b":', '}')}}`), 64)).toBe(true);
    expect(nestsDeeperThan(Buffer.from(JSON.stringify({ text: nested(500) + '"\\' + '{'.repeat(500) })), 64)).toBe(false);
    expect(nestsDeeperThan(Buffer.from(JSON.stringify({ a: ['\\', '[[[', '\\"[['] })), 2)).toBe(false);
  });

  it('leaves malformed text to JSON.parse, and scans a large prompt in one pass', () => {
    expect(nestsDeeperThan(Buffer.from('{"unterminated'), 1)).toBe(false);
    expect(nestsDeeperThan(Buffer.from(']]]]'), 1)).toBe(false);
    const big = Buffer.from(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x'.repeat(4 * 1024 * 1024) }] }));
    const started = process.hrtime.bigint();
    expect(nestsDeeperThan(big, 64)).toBe(false);
    console.log(`depth scan of a ${big.length}-byte body: ${Number(process.hrtime.bigint() - started) / 1e6} ms`);
  });
});
