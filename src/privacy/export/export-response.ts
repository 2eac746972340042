import type { Response } from 'express';
import { once } from 'node:events';
import { Logger } from '../../platform/observability/logger';
import { DataExport } from './data-export';

/**
 * Streams the export as an attachment, honouring backpressure (a slow client holds one page in
 * memory, not the history). Errors before the first byte go to the exception filter as usual;
 * after it the status is already sent, so the connection is cut: the client gets a document
 * without its closing `"complete": true` and a transfer error, never a silently short file.
 */
export async function streamExport(res: Response, accountId: string, exporter: DataExport, logger: Logger): Promise<void> {
  const generatedAt = new Date().toISOString();
  let started = false;
  const sink = {
    async write(chunk: string): Promise<void> {
      if (!started) {
        started = true;
        res.status(200);
        res.setHeader('content-type', 'application/json; charset=utf-8');
        res.setHeader('content-disposition', `attachment; filename="tollgate-export-${generatedAt.slice(0, 10)}.json"`);
        res.setHeader('cache-control', 'no-store');
      }
      if (res.destroyed) throw new Error('the client went away');
      if (!res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
    },
  };
  const startedMs = Date.now();
  try {
    await exporter.write(accountId, sink, generatedAt);
    res.end();
    logger.info({ accountId, ms: Date.now() - startedMs }, 'data export written');
  } catch (err) {
    if (!started) throw err;
    logger.warn({ accountId, err: err instanceof Error ? { name: err.name, message: err.message } : String(err) }, 'data export cut short');
    res.destroy();
  }
}
