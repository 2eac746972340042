import type { IncomingMessage } from 'node:http';
import { OpenAiError } from '../openai-errors';

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
