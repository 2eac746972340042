import { DATE_RANGE_TEXT, instantOf } from '../platform/http/dates';
import type { ServedModel } from '../nodes/node.events';
import { parseUsdToMicro } from '../pricing/usd';
import { UsageError } from './flags';

/**
 * Flag checks for the node and price commands, run before anything connects (so this file
 * imports no services).
 */

/** `--models 'llama3:8b=8192,mistral'`: ids (which may hold ':' and '/'), each with an optional `=contextLength`. */
export function parseModels(value: string): ServedModel[] {
  const models = value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [id, context, extra] = part.split('=');
      if (extra !== undefined || !id) throw new UsageError(`--models: "${part.slice(0, 40)}" is not id or id=contextLength`);
      if (context !== undefined && !/^\d{1,8}$/.test(context)) throw new UsageError(`--models: the context length of ${id.slice(0, 40)} must be a whole number`);
      return { id, contextLength: context === undefined ? null : Number(context) };
    });
  if (models.length === 0) throw new UsageError('--models needs at least one model id');
  return models;
}

/** USD amounts are read from their digits into micro-USD, never through a float. */
export function usd(flags: Record<string, string>, name: string): bigint {
  const micro = parseUsdToMicro(flags[name]);
  if (micro === null) throw new UsageError(`--${name} must be a USD amount like 0.15 (at most 6 decimals)`);
  return micro;
}

export function price(flags: Record<string, string>): void {
  usd(flags, 'input-usd-per-mtok');
  usd(flags, 'output-usd-per-mtok');
  if (flags['per-image-usd'] !== undefined) usd(flags, 'per-image-usd');
  if (flags['effective-at'] !== undefined && !instantOf(flags['effective-at'])) throw new UsageError(`--effective-at must be an ISO-8601 time with a zone in ${DATE_RANGE_TEXT}`);
}

export function gpuMemory(flags: Record<string, string>): void {
  if (flags['gpu-memory-gb'] !== undefined && !/^\d{1,5}$/.test(flags['gpu-memory-gb'])) throw new UsageError('--gpu-memory-gb must be a whole number');
}
