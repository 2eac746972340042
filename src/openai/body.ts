import type { IncomingMessage } from 'node:http';
import { OpenAiError } from '../platform/http/openai-errors';

/** Reads a request body up to `maxBytes`; a larger one is refused as soon as it is known to be. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > maxBytes) return Promise.reject(tooLarge(maxBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

const tooLarge = (maxBytes: number) => new OpenAiError(413, `The request body is larger than ${maxBytes} bytes.`, 'invalid_request_error', 'request_too_large');

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/**
 * Whether JSON text nests arrays and objects deeper than `maxDepth`: one pass over the bytes,
 * counting brackets outside strings (strings are skipped with indexOf, so prompt text costs a
 * memchr). Runs before JSON.parse, so nothing recursive ever sees a deeper value. Malformed text
 * is left for JSON.parse to refuse.
 */
export function nestsDeeperThan(json: Buffer, maxDepth: number): boolean {
  let depth = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === QUOTE) {
      do {
        i = json.indexOf(QUOTE, i + 1);
        if (i === -1) return false;
      } while (escaped(json, i));
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    }
  }
  return false;
}

/** A quote is escaped when an odd number of backslashes precede it. */
function escaped(json: Buffer, quoteAt: number): boolean {
  let backslashes = 0;
  while (json[quoteAt - 1 - backslashes] === BACKSLASH) backslashes++;
  return backslashes % 2 === 1;
}
