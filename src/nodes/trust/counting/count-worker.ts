import { parentPort } from 'node:worker_threads';
import { generatedTexts, RelayedFormat } from './relayed-text';
import { EncodingName } from '../../../platform/config/tokenizer-settings';

/**
 * The counting worker thread: gets a relayed response's bytes (transferred, not copied), counts
 * the tokens of the text generated in each choice with the model's tokenizer, answers with the
 * number alone. The bytes and the text are dropped with the message: nothing is kept, logged or
 * sent back (P1). Vocabularies load on first use, in this thread only.
 */
export interface CountJob {
  id: number;
  encoding: EncodingName;
  format: RelayedFormat;
  bytes: Uint8Array;
}

export type CountAnswer = { id: number; tokens: number } | { id: number; error: 'unreadable' | 'tokenizer_failed' | 'worker_failed' };

type Count = (text: string) => number;
const counters = new Map<EncodingName, Count>();

/** Loaded lazily with require(): each vocabulary is tens of MB, and a process counts only the models it serves. */
function counter(encoding: EncodingName): Count {
  let count = counters.get(encoding);
  if (count) return count;
  switch (encoding) {
    case 'cl100k_base':
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use: each vocabulary is megabytes
      count = (require('gpt-tokenizer/cjs/encoding/cl100k_base') as { countTokens: Count }).countTokens;
      break;
    case 'o200k_base':
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use: each vocabulary is megabytes
      count = (require('gpt-tokenizer/cjs/encoding/o200k_base') as { countTokens: Count }).countTokens;
      break;
    case 'llama3': {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use: the vocabulary is megabytes
      const { llama3Tokenizer } = require('llama3-tokenizer-js/bundle/commonjs-llama3-tokenizer-with-baked-data.cjs') as {
        llama3Tokenizer: { encode(text: string, o: { bos: boolean; eos: boolean }): number[] };
      };
      count = (text) => llama3Tokenizer.encode(text, { bos: false, eos: false }).length;
      break;
    }
  }
  counters.set(encoding, count);
  return count;
}

export function countJob(job: Omit<CountJob, 'id'>): number | 'unreadable' | 'tokenizer_failed' {
  const texts = generatedTexts(job.bytes, job.format);
  if (texts === null) return 'unreadable';
  try {
    const count = counter(job.encoding);
    return texts.reduce((sum, text) => sum + (text ? count(text) : 0), 0);
  } catch {
    return 'tokenizer_failed';
  }
}

parentPort?.on('message', (job: CountJob) => {
  const result = countJob(job);
  const answer: CountAnswer = typeof result === 'number' ? { id: job.id, tokens: result } : { id: job.id, error: result };
  parentPort?.postMessage(answer);
});
