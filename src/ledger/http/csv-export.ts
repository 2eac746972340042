import type { Response } from 'express';
import { csvLine } from '../../platform/http/csv';
import { Page } from '../ledger.queries';

/** An export is bounded like everything else; a longer history is exported by time range. */
export const MAX_EXPORT_ROWS = 100_000;
const EXPORT_PAGE = 500;

/**
 * Streams pages as CSV rows without holding the export in memory. The last line says when the
 * limit cut the export short, so a truncated file is never mistaken for a complete one.
 * The first page is read before anything is sent, so a refused filter or cursor is answered as an
 * error, not as a 200 cut off mid-way.
 */
export async function sendCsv<T>(
  res: Response,
  filename: string,
  header: string[],
  row: (item: T) => (string | number | null)[],
  page: (cursor: string | undefined, limit: number) => Promise<Page<T>>,
): Promise<void> {
  let next: Page<T> | null = await page(undefined, EXPORT_PAGE);
  res.setHeader('content-type', 'text/csv; charset=utf-8');
  res.setHeader('content-disposition', `attachment; filename="${filename}"`);
  res.setHeader('cache-control', 'no-store');
  res.write(csvLine(header));
  let written = 0;
  while (next) {
    const { items, nextCursor }: Page<T> = next;
    for (const item of items) {
      if (written === MAX_EXPORT_ROWS) {
        res.end(csvLine([`# truncated after ${MAX_EXPORT_ROWS} rows; export a shorter time range`]));
        return;
      }
      res.write(csvLine(row(item)));
      written++;
    }
    next = nextCursor ? await page(nextCursor, EXPORT_PAGE) : null;
  }
  res.end();
}
