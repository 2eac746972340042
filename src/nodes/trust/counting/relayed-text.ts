/**
 * The generated text in a response the gateway relayed, per choice, for counting its tokens.
 * Runs in the counting worker thread; the text lives only in that thread's memory while it is
 * counted (P1). Everything a node generates counts: content, reasoning, tool-call names and
 * arguments — OpenAI's completion_tokens include all of them.
 */
export type RelayedFormat = 'sse' | 'json';

/** More choices than this is not a response the gateway would have asked for (n ≤ 8 per prompt). */
const CHOICES_MAX = 1_024;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function partsText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p) => (isObject(p) && typeof p.text === 'string' ? p.text : '')).join('');
}

/** A chat message or delta, or a completion choice: every generated string in it. */
function generated(choice: Json, key: 'delta' | 'message'): string {
  let out = typeof choice.text === 'string' ? choice.text : '';
  const m = choice[key];
  if (!isObject(m)) return out;
  out += partsText(m.content);
  for (const field of ['reasoning_content', 'reasoning', 'refusal'] as const) if (typeof m[field] === 'string') out += m[field];
  if (Array.isArray(m.tool_calls)) {
    for (const call of m.tool_calls) {
      const fn = isObject(call) ? call.function : null;
      if (!isObject(fn)) continue;
      if (typeof fn.name === 'string') out += fn.name;
      if (typeof fn.arguments === 'string') out += fn.arguments;
    }
  }
  return out;
}

function collect(texts: string[], body: unknown, key: 'delta' | 'message'): boolean {
  if (!isObject(body) || !Array.isArray(body.choices)) return false;
  for (const [i, choice] of body.choices.entries()) {
    if (!isObject(choice)) continue;
    const index = typeof choice.index === 'number' && Number.isInteger(choice.index) ? choice.index : i;
    if (index < 0 || index >= CHOICES_MAX) return false;
    texts[index] = (texts[index] ?? '') + generated(choice, key);
  }
  return true;
}

/**
 * Per choice index, the text generated. null when the bytes are not a response of the expected
 * shape (then nothing is counted: an unreadable response is no evidence either way).
 */
export function generatedTexts(bytes: Uint8Array, format: RelayedFormat): string[] | null {
  const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  const texts: string[] = [];
  if (format === 'json') {
    try {
      return collect(texts, JSON.parse(body), 'message') ? Array.from(texts, (t) => t ?? '') : null;
    } catch {
      return null;
    }
  }
  let sawChunk = false;
  for (const event of body.split(/\r?\n\r?\n/)) {
    const data = event
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(line[5] === ' ' ? 6 : 5))
      .join('\n');
    if (!data || data === '[DONE]') continue;
    try {
      const parsed: unknown = JSON.parse(data);
      if (!isObject(parsed)) continue;
      if (!collect(texts, parsed, 'delta')) {
        if (Array.isArray(parsed.choices)) return null;
        continue;
      }
      sawChunk = true;
    } catch {
      return null;
    }
  }
  return sawChunk ? Array.from(texts, (t) => t ?? '') : null;
}
