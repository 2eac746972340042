import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { Metrics } from './metrics';

/**
 * /metrics on its own listener (METRICS_HOST:METRICS_PORT), never on the public port: process
 * figures, routes, queue depths and projection lag are for the operator's Prometheus, which
 * reaches it over the internal network. A separate port rather than a bearer token: there is no
 * secret to leak or rotate, and no proxy or route change on the public side can expose it.
 * Started by HTTP processes only (bootstrap), closed with the application.
 */
export class MetricsListener {
  private server: Server | null = null;

  constructor(private readonly metrics: Metrics) {}

  async start(host: string, port: number): Promise<void> {
    const server = createServer((req, res) => void this.answer(req, res));
    await new Promise<void>((resolve, reject) => {
      const failed = (err: NodeJS.ErrnoException) =>
        reject(new Error(`the metrics listener cannot listen on ${host}:${port} (${err.code ?? err.message}); give each process on a machine its own METRICS_PORT`));
      server.once('error', failed);
      server.listen(port, host, () => {
        server.off('error', failed);
        resolve();
      });
    });
    this.server = server;
  }

  /** Where it listens (port 0 in tests = a free port); null before start. */
  address(): { host: string; port: number } | null {
    const a = this.server?.address() as AddressInfo | null | undefined;
    return a ? { host: a.address, port: a.port } : null;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    try {
      const body = await this.metrics.registry.metrics();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable');
    }
  }
}
