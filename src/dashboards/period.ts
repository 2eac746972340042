import { invalid } from '../platform/errors/domain-error';

/** The longest period a dashboard sums over (a year, leap day included). */
export const MAX_PERIOD_DAYS = 366;
export const DEFAULT_PERIOD_DAYS = 30;
const DAY_MS = 86_400_000;

/** Whole UTC days, both ends included. */
export interface Period {
  from: string;
  to: string;
  days: number;
}

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
export const dayStart = (day: string) => Date.parse(`${day}T00:00:00Z`);

/** from/to of the query string (days the schema checked, `dashboards.schemas.ts`); the default is the 30 days ending today (UTC). */
export function parsePeriod(query: { from?: string; to?: string }, now: Date): Period {
  const { from: fromText, to: toText } = query;
  const to = toText ?? (fromText ? dayOf(Math.max(dayStart(fromText), Math.min(now.getTime(), dayStart(fromText) + (MAX_PERIOD_DAYS - 1) * DAY_MS))) : dayOf(now.getTime()));
  const from = fromText ?? dayOf(dayStart(to) - (DEFAULT_PERIOD_DAYS - 1) * DAY_MS);
  const days = (dayStart(to) - dayStart(from)) / DAY_MS + 1;
  if (days < 1) throw invalid('invalid_period', `from (${from}) must not be after to (${to}).`);
  if (days > MAX_PERIOD_DAYS) throw invalid('invalid_period', `The period is ${days} days; at most ${MAX_PERIOD_DAYS} days at a time.`);
  return { from, to, days };
}

/** The period as an instant range [start, end) for timestamp columns, in UTC whatever the server's time zone. */
export const periodStart = (p: Period) => `${p.from}T00:00:00.000Z`;
export const periodEnd = (p: Period) => new Date(dayStart(p.to) + DAY_MS).toISOString();
