import { parseInstant } from '../../platform/http/dates';
import { invalid } from '../../platform/errors/domain-error';
import { TimeRange } from '../ledger.queries';

/** Query strings arrive as strings (or arrays when repeated); each reader states what it accepts. */
export function queryString(value: unknown, name: string, max = 200): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || value.length > max) throw invalid('invalid_query', `${name} must be a single value of at most ${max} characters.`);
  return value;
}

export function queryInt(value: unknown, name: string): number | undefined {
  const text = queryString(value, name, 10);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw invalid('invalid_query', `${name} must be a whole number.`);
  return Number(text);
}

export function queryTime(value: unknown, name: string): Date | undefined {
  const text = queryString(value, name, 40);
  return text === undefined ? undefined : parseInstant(text, name, 'invalid_query');
}

export function queryRange(query: Record<string, unknown>): TimeRange {
  const range = { from: queryTime(query.from, 'from'), to: queryTime(query.to, 'to') };
  if (range.from && range.to && range.from >= range.to) throw invalid('invalid_query', 'from must be before to.');
  return range;
}
