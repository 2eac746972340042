import { invalid } from '../errors/domain-error';

/**
 * The one parser of dates that come from outside (query strings, bodies, cursors, CLI flags).
 *
 * Accepted: ISO-8601 `YYYY-MM-DD` (midnight UTC), or `YYYY-MM-DDTHH:MM[:SS[.fraction]]` with `Z` or
 * an offset (`+05:30`, `+0530`), a real calendar day, from 1970-01-01T00:00:00Z up to, not
 * including, 9999-01-01T00:00:00Z. Outside that, or anything else, is a 400 naming the field.
 *
 * Why the range: JavaScript's Date reaches ±275,760 years and PostgreSQL's timestamptz 4713 BC to
 * 294,276 AD, but they disagree beyond four-digit years (`+010000-01-01…` is not a PostgreSQL
 * literal, year 0 does not exist there), and a period computed from a day (a day later, a year
 * before) must stay inside both. Nothing this service records is older than 1970.
 */
export const EARLIEST_DATE_MS = Date.UTC(1970, 0, 1);
export const DATE_LIMIT_MS = Date.UTC(9999, 0, 1);
export const DATE_RANGE_TEXT = '1970-01-01T00:00:00Z..9998-12-31T23:59:59.999Z';
const DAY_RANGE_TEXT = '1970-01-01..9998-12-31';

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):?(\d{2})))?$/;
const MAX_LENGTH = 40;

/** The instant, or null when the text is not one we accept. */
export function instantOf(text: string): Date | null {
  const m = text.length <= MAX_LENGTH ? INSTANT.exec(text) : null;
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone, sign, oh = '0', om = '0'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return null;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59 || Number(oh) > 23 || Number(om) > 59) return null;
  if (m[4] !== undefined && zone === undefined) return null; // a time needs its zone: never the server's local time
  const offsetMs = (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) * 60_000;
  const ms = Date.UTC(year, month - 1, day, Number(h), Number(mi), Number(s), Number(fraction.padEnd(3, '0').slice(0, 3))) - offsetMs;
  return ms >= EARLIEST_DATE_MS && ms < DATE_LIMIT_MS ? new Date(ms) : null;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** An instant from a request; `code` is the refusal's code (each API keeps its own). */
export function parseInstant(value: unknown, field: string, code = 'invalid_date'): Date {
  const date = typeof value === 'string' ? instantOf(value) : null;
  if (!date) throw invalid(code, `${field} must be an ISO-8601 time with a zone in ${DATE_RANGE_TEXT}, e.g. 2026-11-01T00:00:00Z.`);
  return date;
}

/** A calendar day `YYYY-MM-DD` (UTC) in the same range. */
export function parseDay(value: unknown, field: string, code = 'invalid_date'): string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value) || !instantOf(value)) {
    throw invalid(code, `${field} must be a calendar day YYYY-MM-DD (UTC) in ${DAY_RANGE_TEXT}, e.g. 2026-03-01.`);
  }
  return value;
}
