/** A node's usage report as sent: unchecked (usage-bounds.ts bounds it before anything is charged). */
export interface RawUsage {
  promptTokens: unknown;
  completionTokens: unknown;
}

const EVENT_END = Buffer.from('\n\n');
const DATA = Buffer.from('data:');
const DONE = Buffer.from('data: [DONE]');
const USAGE = Buffer.from('usage');
/**
 * JSON keys whose string values carry generated text: chat `content`, completions `text`,
 * reasoning (vLLM's `reasoning_content`, newer `reasoning`), tool-call `arguments`, `refusal`.
 * Every generated token lands in one of them; nothing else raises the relayed-output bound.
 */
export const TEXT_KEYS: readonly string[] = ['content', 'text', 'reasoning_content', 'reasoning', 'arguments', 'refusal'];
const KEYS_BY_LENGTH: Record<number, Buffer[]> = {};
for (const k of TEXT_KEYS) (KEYS_BY_LENGTH[Buffer.byteLength(k)] ??= []).push(Buffer.from(k));
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

/** Bytes compared in JS: for a prefix this short, a native call costs more than the comparison. */
function bytesEqual(buf: Buffer, at: number, to: number, expected: Buffer): boolean {
  if (to - at < expected.length) return false;
  for (let k = 0; k < expected.length; k++) if (buf[at + k] !== expected[k]) return false;
  return true;
}

const isSpace = (b: number) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;

function hexValue(buf: Buffer, at: number, to: number): number {
  const v = Number.parseInt(buf.toString('latin1', at, Math.min(at + 4, to)), 16);
  return Number.isNaN(v) ? 0 : v;
}

/**
 * UTF-8 bytes of the JSON string starting after the quote at `start`, escapes decoded (`\n` is 1
 * byte, `\u00e9` 2, `\u4e2d` 3, each half of a surrogate pair 2), and where it ends. Bytes outside
 * escapes are already UTF-8. An unterminated string counts to the end of the event.
 */
function stringBytes(buf: Buffer, start: number, to: number): { bytes: number; end: number } {
  let bytes = 0;
  let i = start;
  while (i < to) {
    const b = buf[i];
    if (b === QUOTE) return { bytes, end: i + 1 };
    if (b !== BACKSLASH) {
      bytes++;
      i++;
      continue;
    }
    if (buf[i + 1] === 0x75 /* u */) {
      const cp = hexValue(buf, i + 2, to);
      bytes += cp < 0x80 ? 1 : cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff) ? 2 : 3;
      i += 6;
    } else {
      bytes++;
      i += 2;
    }
  }
  return { bytes, end: to };
}

/** Where the JSON string starting after a quote ends (the index of its closing quote), escapes skipped. */
function stringEnd(buf: Buffer, start: number, to: number): number {
  let i = start;
  while (i < to) {
    const b = buf[i];
    if (b === QUOTE) return i;
    i += b === BACKSLASH ? 2 : 1;
  }
  return to;
}

/** Whether buf[start, end) is one of TEXT_KEYS: by length first, so most strings cost one comparison. */
function isTextKey(buf: Buffer, start: number, end: number): boolean {
  const candidates = KEYS_BY_LENGTH[end - start];
  return candidates !== undefined && candidates.some((key) => bytesEqual(buf, start, end, key));
}

/** What one pass over an SSE event found. */
interface EventScan {
  /** Decoded UTF-8 bytes of the string values under text keys. */
  textBytes: number;
  /** A string `usage` appeared (as a key, or a value): only then is the event parsed. */
  usage: boolean;
}

/**
 * One pass over an event's bytes, no parse: walking from string to string (keys and values
 * alike), an unescaped quote always opens a string, so a text key is found only where JSON has a
 * key (a string followed by a colon), never inside a value. One pass instead of one `indexOf` per
 * key: each native call costs more than the short event it scans (docs/benchmarks.md, "The SSE
 * meter in one pass").
 */
function scanEvent(event: Buffer, from: number, to: number, out: EventScan): void {
  out.textBytes = 0;
  out.usage = false;
  let i = from;
  while (i < to) {
    if (event[i] !== QUOTE) {
      i++;
      continue;
    }
    const start = i + 1;
    const end = stringEnd(event, start, to);
    i = end + 1;
    if (!isTextKey(event, start, end)) {
      if (end - start === USAGE.length && bytesEqual(event, start, end, USAGE)) out.usage = true;
      continue;
    }
    // JSON allows spaces around the colon; the value counts only when it is a string.
    while (i < to && isSpace(event[i])) i++;
    if (i >= to || event[i] !== COLON) continue;
    i++;
    while (i < to && isSpace(event[i])) i++;
    if (i >= to || event[i] !== QUOTE) continue;
    const s = stringBytes(event, i + 1, to);
    out.textBytes += s.bytes;
    i = s.end;
  }
}

/** Decoded UTF-8 bytes of every string value under a text key in one SSE event (byte scans only, no parse). */
export function textBytesOf(event: Buffer): number {
  const scan: EventScan = { textBytes: 0, usage: false };
  scanEvent(event, 0, event.length, scan);
  return scan.textBytes;
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
  /** Reused for every event: no allocation per event. */
  private readonly scan: EventScan = { textBytes: 0, usage: false };

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
      if (!this.keep(data, start, next)) {
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

  /** The event data[from, to): one byte pass; it becomes a string just when it mentions usage (once per stream). */
  private keep(data: Buffer, from: number, to: number): boolean {
    if (bytesEqual(data, from, to, DONE)) {
      this.sawDone = true;
      return false;
    }
    if (!bytesEqual(data, from, to, DATA)) return true; // comments and keep-alives pass through
    const scan = this.scan;
    scanEvent(data, from + DATA.length, to, scan);
    if (scan.usage) {
      try {
        const parsed = JSON.parse(data.toString('utf8', from + DATA.length, to)) as { usage?: unknown; choices?: unknown[] };
        const u = parsed.usage;
        if (typeof u === 'object' && u !== null && !Array.isArray(u)) {
          this.usage = rawUsageOf(u);
          if (!Array.isArray(parsed.choices) || parsed.choices.length === 0) return this.clientWantsUsage;
        }
      } catch {
        // not JSON: relay as is
      }
    }
    if (scan.textBytes > 0) {
      this.deliveredChunks++;
      this.textBytes += scan.textBytes;
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
