import { DATE_LIMIT_MS, EARLIEST_DATE_MS, instantOf, parseDay, parseInstant } from '../../src/platform/http/dates';

describe('the one date parser', () => {
  it('reads ISO-8601 days and times with a zone, to the millisecond', () => {
    expect(instantOf('2026-11-01')?.toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(instantOf('2026-11-01T10:20Z')?.toISOString()).toBe('2026-11-01T10:20:00.000Z');
    expect(instantOf('2026-11-01T10:20:30.123456789Z')?.toISOString()).toBe('2026-11-01T10:20:30.123Z');
    expect(instantOf('2026-11-01T05:30:00+05:30')?.toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(instantOf('2026-11-01T00:00:00-0100')?.toISOString()).toBe('2026-11-01T01:00:00.000Z');
    expect(instantOf('2024-02-29')?.toISOString()).toBe('2024-02-29T00:00:00.000Z');
  });

  it('accepts exactly 1970-01-01T00:00:00Z up to, not including, 9999-01-01T00:00:00Z', () => {
    expect(instantOf('1970-01-01T00:00:00Z')?.getTime()).toBe(EARLIEST_DATE_MS);
    expect(instantOf('9998-12-31T23:59:59.999Z')?.getTime()).toBe(DATE_LIMIT_MS - 1);
    for (const outside of ['1969-12-31T23:59:59.999Z', '9999-01-01', '1970-01-01T00:30:00+01:00', '0000-01-01', '-271821-04-20T00:00:00Z', '+275760-09-13T00:00:00Z']) {
      expect({ outside, date: instantOf(outside) }).toEqual({ outside, date: null });
    }
  });

  it("refuses what is not a calendar instant, or could be read in the server's time zone", () => {
    for (const bad of [
      '2026-13-45',
      '2026-02-30',
      '2025-02-29',
      '2026-00-10',
      '2026-11-01T24:00Z',
      '2026-11-01T10:60Z',
      '2026-11-01T10:00:00',
      '2026-11-01T10:00:00+24:00',
      'yesterday',
      '1',
      '',
      ' 2026-11-01',
      '2026-11-01\u0000',
      'Tue Mar 01 2026',
      `2026-11-01T00:00:00.${'1'.repeat(40)}Z`,
    ]) {
      expect({ bad, date: instantOf(bad) }).toEqual({ bad, date: null });
    }
  });

  it("names the field, the accepted form and the range, with the caller's code", () => {
    expect(() => parseInstant('2026-02-30T00:00:00Z', 'at', 'invalid_query')).toThrow(
      expect.objectContaining({ code: 'invalid_query', message: expect.stringMatching(/^at must be an ISO-8601 time .*1970-01-01T00:00:00Z\.\.9998-12-31/) }),
    );
    expect(() => parseInstant(42, 'at')).toThrow(expect.objectContaining({ code: 'invalid_date' }));
    expect(parseDay('2026-03-01', 'from')).toBe('2026-03-01');
    expect(() => parseDay('2026-03-01T00:00:00Z', 'from', 'invalid_period')).toThrow(
      expect.objectContaining({ code: 'invalid_period', message: expect.stringMatching(/^from must be a calendar day YYYY-MM-DD \(UTC\) in 1970-01-01\.\.9998-12-31/) }),
    );
  });
});
