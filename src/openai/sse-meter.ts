/** A node's usage report as sent: unchecked (usage-bounds.ts bounds it before anything is charged). */
export interface RawUsage {
  promptTokens: unknown;
  completionTokens: unknown;
}

const EVENT_END = Buffer.from('\n\n');
const DATA = Buffer.from('data:');
const DONE = Buffer.from('data: [DONE]');
const USAGE = Buffer.from('"usage"');
/**
 * JSON keys whose string values carry generated text: chat `content`, completions `text`,
 * reasoning (vLLM's `reasoning_content`, newer `reasoning`), tool-call `arguments`, `refusal`.
 * Every generated token lands in one of them; nothing else raises the relayed-output bound.
 */
export const TEXT_KEYS: readonly string[] = ['content', 'text', 'reasoning_content', 'reasoning', 'arguments', 'refusal'];
const KEY_MARKERS = TEXT_KEYS.map((k) => Buffer.from(`"${k}"`));
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

function startsWith(buf: Buffer, prefix: Buffer): boolean {
  return buf.length >= prefix.length && buf.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}

const isSpace = (b: number) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;

function hexValue(buf: Buffer, at: number): number {
  const v = Number.parseInt(buf.toString('latin1', at, at + 4), 16);
  return Number.isNaN(v) ? 0 : v;
}

/**
 * UTF-8 bytes of the JSON string starting after the quote at `start`, escapes decoded (`\n` is 1
 * byte, `\u00e9` 2, `\u4e2d` 3, each half of a surrogate pair 2), and where it ends. Bytes outside
 * escapes are already UTF-8. An unterminated string counts to the end of the event.
 */
function stringBytes(buf: Buffer, start: number): { bytes: number; end: number } {
  let bytes = 0;
  let i = start;
  while (i < buf.length) {
    const b = buf[i];
    if (b === QUOTE) return { bytes, end: i + 1 };
    if (b !== BACKSLASH) {
      bytes++;
      i++;
      continue;
    }
    if (buf[i + 1] === 0x75 /* u */) {
      const cp = hexValue(buf, i + 2);
      bytes += cp < 0x80 ? 1 : cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff) ? 2 : 3;
      i += 6;
    } else {
      bytes++;
      i += 2;
    }
  }
  return { bytes, end: buf.length };
}

/** Decoded UTF-8 bytes of every string value under a text key in one SSE event (byte scans only, no parse). */
export function textBytesOf(event: Buffer): number {
  let total = 0;
  for (const marker of KEY_MARKERS) {
    for (let at = event.indexOf(marker); at !== -1; at = event.indexOf(marker, at + 1)) {
      // Inside a JSON string a quote is escaped, so an unescaped `"content"` is a key or a value;
      // it is a key when a colon follows (JSON allows spaces around it), then a string value.
      let i = at + marker.length;
      while (i < event.length && isSpace(event[i])) i++;
      if (event[i] !== COLON) continue;
      i++;
      while (i < event.length && isSpace(event[i])) i++;
      if (event[i] !== QUOTE) continue;
      const s = stringBytes(event, i + 1);
      total += s.bytes;
      at = s.end - 1;
    }
  }
  return total;
}

/**
 * Relays an upstream SSE stream event by event, reading only what metering needs: the usage
 * report (dropped unless the client asked for it), how many events carried text (at least one
 * token each: the estimate when a stream ends without usage) and the UTF-8 bytes of generated text
 * relayed (the bound on output tokens). `[DONE]` is held back: the gateway writes it itself, after
 * the charge is stored. Text is never kept beyond the event being relayed.
 */
export class SseMeter {
  /** The node's report as sent (unchecked), or null when it sent none. */
  usage: RawUsage | null = null;
  /** Events with generated text relayed to the client: at least one token each. */
  deliveredChunks = 0;
  /** UTF-8 bytes of generated text relayed. */
  textBytes = 0;
  sawDone = false;
  private rest: Buffer | null = null;

  constructor(private readonly clientWantsUsage: boolean) {}

  /**
   * Returns the bytes to send to the client now, as one buffer (one socket write per upstream
   * chunk), or null. When every complete event is kept, it is a view of the chunk (no copy).
   */
  push(chunk: Buffer): Buffer | null {
    const data = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    let parts: Buffer[] | null = null; // only once an event is dropped
    let keptFrom = 0;
    let start = 0;
    for (;;) {
      const end = data.indexOf(EVENT_END, start);
      if (end === -1) break;
      const next = end + 2;
      if (!this.keep(data.subarray(start, next))) {
        parts ??= [];
        if (start > keptFrom) parts.push(data.subarray(keptFrom, start));
        keptFrom = next;
      }
      start = next;
    }
    this.rest = start < data.length ? Buffer.from(data.subarray(start)) : null;
    if (start > keptFrom) (parts ??= []).push(data.subarray(keptFrom, start));
    if (!parts || parts.length === 0) return null;
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  /** Byte searches only: an event becomes a string just when it mentions usage (once per stream). */
  private keep(event: Buffer): boolean {
    if (startsWith(event, DONE)) {
      this.sawDone = true;
      return false;
    }
    if (!startsWith(event, DATA)) return true; // comments and keep-alives pass through
    if (event.indexOf(USAGE) !== -1) {
      try {
        const parsed = JSON.parse(event.toString('utf8', DATA.length)) as { usage?: unknown; choices?: unknown[] };
        const u = parsed.usage;
        if (typeof u === 'object' && u !== null && !Array.isArray(u)) {
          this.usage = rawUsageOf(u);
          if (!Array.isArray(parsed.choices) || parsed.choices.length === 0) return this.clientWantsUsage;
        }
      } catch {
        // not JSON: relay as is
      }
    }
    const text = textBytesOf(event);
    if (text > 0) {
      this.deliveredChunks++;
      this.textBytes += text;
    }
    return true;
  }
}

function rawUsageOf(u: object): RawUsage {
  const r = u as { prompt_tokens?: unknown; completion_tokens?: unknown };
  return { promptTokens: r.prompt_tokens, completionTokens: r.completion_tokens };
}

/** The usage object of a non-streamed JSON response, unchecked; null when there is none. */
export function usageOf(body: unknown): RawUsage | null {
  const u = (body as { usage?: unknown } | null)?.usage;
  return typeof u === 'object' && u !== null && !Array.isArray(u) ? rawUsageOf(u) : null;
}

const TEXT_KEY_SET = new Set(TEXT_KEYS);
const MAX_DEPTH = 8;

/** UTF-8 bytes of generated text in a parsed JSON response's choices (same keys as the stream meter). */
export function responseTextBytes(body: unknown): number {
  const choices = (body as { choices?: unknown } | null)?.choices;
  return Array.isArray(choices) ? choices.reduce((n: number, c) => n + textIn(c, 0), 0) : 0;
}

function textIn(value: unknown, depth: number): number {
  if (depth > MAX_DEPTH || typeof value !== 'object' || value === null) return 0;
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + textIn(v, depth + 1), 0);
  let total = 0;
  for (const [key, v] of Object.entries(value)) total += typeof v === 'string' ? (TEXT_KEY_SET.has(key) ? Buffer.byteLength(v) : 0) : textIn(v, depth + 1);
  return total;
}

/** Images relayed in a non-streamed images response: items that carry one. */
export function imagesIn(body: unknown): number {
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return 0;
  return data.filter((d) => typeof d === 'object' && d !== null && ((typeof d.b64_json === 'string' && d.b64_json.length > 0) || (typeof d.url === 'string' && d.url.length > 0)))
    .length;
}
