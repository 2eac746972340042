import { countTokens } from 'gpt-tokenizer/cjs/encoding/cl100k_base';
import { loadConfig } from '../../../src/platform/config/config';
import { CountPool } from '../../../src/nodes/trust/counting/count-pool';
import { drifts, reportedToCounted } from '../../../src/nodes/trust/counting/drift';
import { generatedTexts } from '../../../src/nodes/trust/counting/relayed-text';
import { DEFAULT_TOKENIZER_RULES, parseTokenizerRules } from '../../../src/platform/config/tokenizer-settings';
import { TokenizerMapping } from '../../../src/nodes/trust/counting/tokenizer-mapping';

const sse = (...events: object[]) => Buffer.from(events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('') + 'data: [DONE]\n\n');

describe('the gateway’s own count: which tokenizer, which text, what is drift', () => {
  it('model ids map to tokenizers by case-insensitive patterns, first match wins; unknown models are not counted', () => {
    const mapping = new TokenizerMapping(parseTokenizerRules(DEFAULT_TOKENIZER_RULES));
    expect(
      ['llama3:8b', 'llama3.1:70b', 'meta-llama/Meta-Llama-3-8B-Instruct', 'meta-llama/Llama-3.3-70B-Instruct', 'gpt-4o-mini', 'GPT-4-turbo', 'openai/gpt-oss-20b'].map((m) =>
        mapping.encodingFor(m),
      ),
    ).toEqual(['llama3', 'llama3', 'llama3', 'llama3', 'o200k_base', 'cl100k_base', 'o200k_base']);
    expect(['mistralai/Mistral-7B-Instruct-v0.3', 'llama2:7b', 'tollgate-test/llama:8b'].map((m) => mapping.encodingFor(m))).toEqual([null, null, null]);
    expect(() => parseTokenizerRules('llama*=sentencepiece')).toThrow(/llama\*=sentencepiece/);
    expect(parseTokenizerRules('')).toEqual([]);
  });

  it('reads every generated string of a relayed stream or body, per choice; anything else is unreadable', () => {
    const stream = sse(
      {
        choices: [
          { index: 0, delta: { role: 'assistant', content: '' } },
          { index: 1, delta: { content: 'B:' } },
        ],
      },
      { choices: [{ index: 0, delta: { content: 'Hello', reasoning_content: ' (thinking)' } }] },
      {
        choices: [
          { index: 0, delta: { tool_calls: [{ function: { name: 'f', arguments: '{"x":1}' } }] } },
          { index: 1, delta: { content: ' two' } },
        ],
      },
      { choices: [], usage: { prompt_tokens: 3, completion_tokens: 9 } },
    );
    expect(generatedTexts(stream, 'sse')).toEqual(['Hello (thinking)f{"x":1}', 'B: two']);
    expect(
      generatedTexts(Buffer.from(JSON.stringify({ choices: [{ message: { content: [{ type: 'text', text: 'Hi' }], refusal: null } }, { text: 'completion' }] })), 'json'),
    ).toEqual(['Hi', 'completion']);
    expect(generatedTexts(Buffer.from('data: {not json}\n\n'), 'sse')).toBeNull();
    expect(generatedTexts(Buffer.from('<html>'), 'json')).toBeNull();
    expect(generatedTexts(sse({ choices: [{ index: 5000, delta: { content: 'x' } }] }), 'sse')).toBeNull();
  });

  it('drift: beyond the tolerance plus a per-request slack, judged only on enough tokens', () => {
    const rule = { minTokens: 200, toleranceBps: 500, slackPerRequest: 2 };
    expect(drifts({ requests: 10, countedTokens: 1_000, reportedTokens: 1_070 }, rule)).toBe(false); // 50 + 20 allowed
    expect(drifts({ requests: 10, countedTokens: 1_000, reportedTokens: 1_071 }, rule)).toBe(true);
    expect(drifts({ requests: 10, countedTokens: 1_000, reportedTokens: 929 }, rule)).toBe(true); // under-reporting is drift too
    expect(drifts({ requests: 1, countedTokens: 199, reportedTokens: 5_000 }, rule)).toBe(false); // too little to judge
    expect(reportedToCounted(1_250, 1_000)).toBe(1.25);
    expect(reportedToCounted(5, 0)).toBeNull();
  });

  it('settings are validated once, with every problem named', () => {
    expect(() =>
      loadConfig({ TOKEN_COUNT_MODELS: 'x=y', PROBE_FAILURES_TO_SUSPEND: '30', PROBE_WINDOW: '20', PROBE_INTERVAL_MS: '10', PROBE_REFERENCE_NODES: 'ok1,not a node' }),
    ).toThrow(/TOKEN_COUNT_MODELS: "x=y"[\s\S]*PROBE_REFERENCE_NODES: "not a node"[\s\S]*PROBE_INTERVAL_MS must be 0[\s\S]*PROBE_FAILURES_TO_SUSPEND must not exceed PROBE_WINDOW/);
    const c = loadConfig({ TOKEN_COUNT_MODELS: '', PROBE_INTERVAL_MS: '0' }).nodeTrust;
    expect(c.counting.tokenizers).toEqual([]);
    expect(c.probes.intervalMs).toBe(0);
  });
});

describe('counting workers: in another thread, bounded', () => {
  const pool = new CountPool({ workers: 1, queueMax: 3 });
  afterAll(() => pool.close());

  it('counts the generated text with the model’s tokenizer (as the engine does), in a worker thread', async () => {
    const text = 'The quick brown fox jumps over the lazy dog, twice: Über café naïve 数字.';
    const answer = await pool.submit({
      encoding: 'cl100k_base',
      format: 'sse',
      bytes: new Uint8Array(sse({ choices: [{ index: 0, delta: { content: text.slice(0, 20) } }] }, { choices: [{ index: 0, delta: { content: text.slice(20) } }] })),
    });
    expect(answer).toEqual({ id: expect.any(Number), tokens: countTokens(text) });
    const llama = await pool.submit({
      encoding: 'llama3',
      format: 'json',
      bytes: new Uint8Array(Buffer.from(JSON.stringify({ choices: [{ message: { content: 'Hello world' } }] }))),
    });
    expect(llama).toEqual({ id: expect.any(Number), tokens: 2 });
    expect(await pool.submit({ encoding: 'o200k_base', format: 'json', bytes: new Uint8Array(Buffer.from('nope')) })).toEqual({ id: expect.any(Number), error: 'unreadable' });
  }, 60_000);

  it('past queueMax a job is refused at once (the caller drops that response and counts the drop)', async () => {
    const bytes = () => new Uint8Array(sse({ choices: [{ index: 0, delta: { content: 'word '.repeat(2_000) } }] }));
    const accepted = [1, 2, 3, 4, 5].map(() => pool.submit({ encoding: 'cl100k_base', format: 'sse', bytes: bytes() }));
    expect(accepted.map((p) => p !== null)).toEqual([true, true, true, false, false]);
    expect(pool.size).toBe(3);
    await Promise.all(accepted);
    expect(pool.size).toBe(0);
  }, 60_000);
});
