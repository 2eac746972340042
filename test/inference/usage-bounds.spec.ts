import { DEFAULT_REQUEST_LIMITS, readInferenceRequest } from '../../src/openai/openai-request';
import { imagesIn, responseTextBytes, SseMeter, textBytesOf } from '../../src/openai/sse-meter';
import { boundUsage, capCost, OUTPUT_SLACK_TOKENS_PER_CHOICE, relayedOutputBound } from '../../src/inference/gateway/usage-bounds';

const limits = { inputTokens: 700, outputTokens: 40, images: 0 };
const figures = { inputTokens: 12, outputTokens: 5, images: 0 };

describe('usage bounds: a charge is bounded by what the gateway knows', () => {
  it('given an honest report within every bound, charges it as reported, with no discrepancy', () => {
    expect(boundUsage({ promptTokens: 9, completionTokens: 30 }, limits, figures, true)).toEqual({
      inputTokens: 9,
      outputTokens: 30,
      images: 0,
      estimated: false,
      discrepancies: [],
    });
  });

  it('given an inflated report, charges the bounds and records each bound broken', () => {
    expect(boundUsage({ promptTokens: 1_000_000, completionTokens: 50_000_000 }, limits, figures, true)).toEqual({
      inputTokens: 700,
      outputTokens: 40,
      images: 0,
      estimated: false,
      discrepancies: [
        { kind: 'input_tokens_over_bound', reported: '1000000', bound: '700' },
        { kind: 'output_tokens_over_bound', reported: '50000000', bound: '40' },
      ],
    });
  });

  it.each([
    ['a fraction', 1.5, 'completion_tokens:1.5'],
    ['a string', '30', 'completion_tokens:string'],
    ['a negative', -3, 'completion_tokens:-3'],
    ['null', null, 'completion_tokens:null'],
    ['an unsafe integer', 1e300, 'completion_tokens:1e+300'],
    ['an object', { n: 1 }, 'completion_tokens:object'],
    ['nothing (the field missing)', undefined, 'completion_tokens:missing'],
  ])("given %s as completion_tokens, charges the gateway's own figure (never above the bound) and records it malformed, without its content", (_label, value, reported) => {
    const out = boundUsage({ promptTokens: 9, completionTokens: value }, limits, figures, true);
    expect(out).toEqual({ inputTokens: 9, outputTokens: 5, images: 0, estimated: true, discrepancies: [{ kind: 'malformed_usage', reported, bound: '40' }] });
  });

  it('given both fields malformed, records one malformed_usage (the first field) and charges both figures', () => {
    const out = boundUsage({ promptTokens: 'many', completionTokens: 2.5 }, limits, { ...figures, outputTokens: 500 }, true);
    expect(out).toMatchObject({ inputTokens: 12, outputTokens: 40, estimated: true, discrepancies: [{ kind: 'malformed_usage', reported: 'prompt_tokens:string', bound: '700' }] });
  });

  it("given no report at all, charges the gateway's figures as an estimate, with no discrepancy", () => {
    expect(boundUsage(null, limits, figures, true)).toEqual({ inputTokens: 12, outputTokens: 5, images: 0, estimated: true, discrepancies: [] });
  });

  it("given an under-report, charges what was reported (the node's loss; counting catches drift)", () => {
    expect(boundUsage({ promptTokens: 1, completionTokens: 1 }, limits, figures, true)).toMatchObject({ inputTokens: 1, outputTokens: 1, discrepancies: [] });
  });

  it('given an embeddings report, a missing completion_tokens is normal, and any output is over its bound of 0', () => {
    const embed = { inputTokens: 100, outputTokens: 0, images: 0 };
    expect(boundUsage({ promptTokens: 6, completionTokens: undefined }, embed, figures, false)).toMatchObject({ inputTokens: 6, outputTokens: 0, discrepancies: [] });
    expect(boundUsage({ promptTokens: 6, completionTokens: 500 }, embed, figures, false).discrepancies).toEqual([
      { kind: 'output_tokens_over_bound', reported: '500', bound: '0' },
    ]);
  });

  it('given more images relayed than asked for, charges n and records it', () => {
    const out = boundUsage({ promptTokens: 0, completionTokens: 0 }, { inputTokens: 0, outputTokens: 0, images: 1 }, { inputTokens: 0, outputTokens: 0, images: 50 }, true);
    expect(out).toMatchObject({ images: 1, discrepancies: [{ kind: 'images_over_bound', reported: '50', bound: '1' }] });
    expect(
      boundUsage({ promptTokens: 0, completionTokens: 0 }, { inputTokens: 0, outputTokens: 0, images: 4 }, { inputTokens: 0, outputTokens: 0, images: 3 }, true),
    ).toMatchObject({ images: 3, discrepancies: [] });
  });

  it('caps a cost at the reservation and says so', () => {
    expect(capCost(500n, 800n)).toEqual({ costMicroUsd: 500n, discrepancy: null });
    expect(capCost(900n, 800n)).toEqual({ costMicroUsd: 800n, discrepancy: { kind: 'cost_over_reservation', reported: '900', bound: '800' } });
  });

  it('bounds output by the relayed text: bytes, plus slack and the stop string per choice', () => {
    expect(relayedOutputBound(100, 1, 0)).toBe(100 + OUTPUT_SLACK_TOKENS_PER_CHOICE);
    expect(relayedOutputBound(100, 3, 5)).toBe(100 + 3 * (OUTPUT_SLACK_TOKENS_PER_CHOICE + 5));
  });
});

describe('relayed text: decoded UTF-8 bytes of generated-text fields', () => {
  const event = (o: object) => Buffer.from(`data: ${JSON.stringify(o)}\n\n`);

  it('counts content, text, reasoning and tool-call arguments, with JSON escapes decoded', () => {
    expect(textBytesOf(event({ choices: [{ delta: { content: 'Hello' } }] }))).toBe(5);
    expect(textBytesOf(event({ choices: [{ delta: { content: 'é中😀\n"' } }] }))).toBe(2 + 3 + 4 + 1 + 1);
    // \u escapes a node may use to inflate the bytes it sends count as what they decode to.
    expect(textBytesOf(Buffer.from('data: {"choices":[{"delta":{"content":"\\u0041\\u00e9\\u4e2d\\ud83d\\ude00"}}]}\n\n'))).toBe(1 + 2 + 3 + 4);
    expect(textBytesOf(event({ choices: [{ delta: { reasoning_content: 'think' } }] }))).toBe(5);
    expect(textBytesOf(event({ choices: [{ delta: { tool_calls: [{ function: { name: 'f', arguments: '{"a":1}' } }] } }] }))).toBe(7);
    expect(textBytesOf(event({ choices: [{ text: 'abc' }] }))).toBe(3);
  });

  it('ignores what carries no generated text: ids, roles, finish reasons, usage, logprobs keys, a "text" value', () => {
    expect(textBytesOf(event({ id: 'chatcmpl-123456', model: 'x', choices: [{ delta: { role: 'assistant', content: '' }, finish_reason: null }] }))).toBe(0);
    expect(textBytesOf(event({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 5 } }))).toBe(0);
    expect(textBytesOf(event({ choices: [{ delta: { content: 'a', type: 'text' } }] }))).toBe(1);
    // JSON allows spaces around the colon.
    expect(textBytesOf(Buffer.from('data: {"choices":[{"delta":{"content" : "abc"}}]}\n\n'))).toBe(3);
    // A text key written inside a value (its quotes escaped) is text, not a second key: counted once.
    const quoted = '{"content": "zz", "usage": 1}';
    expect(textBytesOf(event({ choices: [{ delta: { content: quoted } }] }))).toBe(Buffer.byteLength(quoted));
    // A value cut off at the event's end counts to the end; an escape there reads nothing beyond it.
    expect(textBytesOf(Buffer.from('data: {"choices":[{"delta":{"content":"ab\\u'))).toBe(3);
  });

  it('the meter sums relayed text and keeps the raw report for the bounds to judge', () => {
    const meter = new SseMeter(false);
    const text = [event({ choices: [{ delta: { content: 'ab' } }] }), event({ choices: [{ delta: { content: 'cde' } }] })];
    const out = meter.push(Buffer.concat([...text, event({ choices: [], usage: { prompt_tokens: 1.5, completion_tokens: '2' } }), Buffer.from('data: [DONE]\n\n')]));
    expect(out).toEqual(Buffer.concat(text)); // one write: the usage chunk only if asked for, [DONE] never
    expect(meter).toMatchObject({ textBytes: 5, deliveredChunks: 2, sawDone: true, usage: { promptTokens: 1.5, completionTokens: '2' } });
  });

  it('reads non-streamed responses the same way', () => {
    expect(responseTextBytes({ choices: [{ message: { role: 'assistant', content: 'héllo', tool_calls: [{ function: { arguments: '{}' } }] } }, { text: 'xy' }] })).toBe(6 + 2 + 2);
    expect(responseTextBytes({ data: [{ embedding: [1] }] })).toBe(0);
    expect(imagesIn({ data: [{ b64_json: 'aQ==' }, { url: 'https://x/y.png' }, {}, { b64_json: '' }] })).toBe(2);
  });
});

describe('the prompt bound of what the gateway forwards', () => {
  const read = (body: object, path = '/v1/chat/completions') => readInferenceRequest(path, Buffer.from(JSON.stringify(body)), DEFAULT_REQUEST_LIMITS);

  it("is the forwarded body's bytes plus the template allowance and media parts, never below the text's bytes", () => {
    const digits = '7'.repeat(10_000); // a tokenizer that splits digits one by one: 10,000 tokens
    const r = read({ model: 'm', messages: [{ role: 'user', content: digits }] });
    expect(r.maxInputTokens).toBe(r.upstreamBody.length + DEFAULT_REQUEST_LIMITS.promptAllowanceTokens);
    expect(r.maxInputTokens).toBeGreaterThan(10_000);
    const vision = read({
      model: 'm',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this' },
            { type: 'image_url', image_url: { url: 'https://x/y.png' } },
          ],
        },
      ],
    });
    expect(vision.maxInputTokens).toBe(vision.upstreamBody.length + DEFAULT_REQUEST_LIMITS.promptAllowanceTokens + DEFAULT_REQUEST_LIMITS.mediaPartTokens);
  });

  it('knows how many sequences are generated and the longest stop string', () => {
    expect(read({ model: 'm', messages: [{ role: 'user', content: 'x' }], n: 3, stop: ['###', 'END OF ANSWER'] })).toMatchObject({
      choices: 3,
      stopBytes: 13,
      maxOutputTokens: 3 * 1_024,
    });
    expect(read({ model: 'm', prompt: ['a', 'b'], n: 2, max_tokens: 10, stop: 'é' }, '/v1/completions')).toMatchObject({ choices: 4, stopBytes: 2, maxOutputTokens: 40 });
  });
});

describe('the meter relays in one buffer per upstream chunk', () => {
  const event = (o: object) => Buffer.from(`data: ${JSON.stringify(o)}\n\n`);

  it('keeps events split across chunks whole, drops only the usage chunk and [DONE], and passes a chunk it keeps whole without a copy', () => {
    const a = event({ choices: [{ delta: { content: 'héllo' } }] });
    const usage = event({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 2 } });
    const b = event({ choices: [{ delta: { content: 'x' } }] });
    const all = Buffer.concat([a, usage, b, Buffer.from('data: [DONE]\n\n')]);
    const meter = new SseMeter(false);
    const relayed: Buffer[] = [];
    // Every split point: the client gets the same bytes, whatever the chunking.
    for (let cut = 1; cut < all.length; cut += 7) {
      const m = new SseMeter(false);
      const parts = [m.push(all.subarray(0, cut)), m.push(all.subarray(cut))].filter((p): p is Buffer => p !== null);
      expect(Buffer.concat(parts).toString()).toBe(Buffer.concat([a, b]).toString());
      expect(m.usage).toEqual({ promptTokens: 3, completionTokens: 2 });
    }
    const whole = Buffer.concat([a, b]);
    const out = meter.push(whole);
    if (out) relayed.push(out);
    expect(out?.buffer).toBe(whole.buffer); // a view, not a copy
    expect(meter.push(Buffer.from(': keep-alive\n\n'))?.toString()).toBe(': keep-alive\n\n');
    expect(meter.push(Buffer.from('data: [DONE]\n\n'))).toBeNull();
  });
});
