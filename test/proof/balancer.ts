import { createServer, IncomingMessage, request, Server, ServerResponse } from 'node:http';
import { AddressInfo, connect, Socket } from 'node:net';

/**
 * A small round-robin load balancer in front of the API instances, as a deployment puts one in front
 * of N stateless instances. A request whose connection to an instance is refused (the instance is
 * down) goes to the next one: nothing reached the refused instance, so nothing can be charged twice.
 * Any other failure after the request left (a reset, a cut mid-response) is NOT retried — the instance
 * may have reserved or charged it — and the client sees a 502 or a cut stream, as behind a real proxy.
 * Bodies are small JSON: read whole, so a refused attempt can be sent again. An Upgrade (a node
 * agent's tunnel) is piped as raw TCP to the next instance in turn, as an L7 balancer passes WebSockets.
 */
export interface Balancer {
  url: string;
  /** Requests sent to each backend (by index), refused connections included. */
  sent: number[];
  /** Connections refused per backend (it was down). */
  refused: number[];
  /** Requests each backend is serving now (sent, response not yet ended). */
  active: number[];
  /** Of those, the ones whose response has begun (status and headers relayed, body flowing). */
  responding: number[];
  /** Upgraded connections (node tunnels) each backend was given. */
  upgrades: number[];
  /** Cuts every upgraded connection, as a NAT mapping that expires or a network blip does. */
  cutUpgrades(): number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1_000_000;
/** A refused backend is skipped this long before it is tried again. */
const DOWN_FOR_MS = 2_000;

export async function startBalancer(backends: string[]): Promise<Balancer> {
  let next = 0;
  const downUntil = backends.map(() => 0);
  const balancer: Balancer = {
    url: '',
    sent: backends.map(() => 0),
    refused: backends.map(() => 0),
    active: backends.map(() => 0),
    responding: backends.map(() => 0),
    upgrades: backends.map(() => 0),
    cutUpgrades: () => 0,
    close: async () => undefined,
  };
  const upgraded = new Set<Socket>();

  const pick = (tried: Set<number>): number | null => {
    for (let i = 0; i < backends.length; i++) {
      const b = (next + i) % backends.length;
      if (!tried.has(b) && downUntil[b] <= Date.now()) {
        next = (b + 1) % backends.length;
        return b;
      }
    }
    // Every backend is marked down: try one not yet tried anyway rather than fail outright.
    for (let b = 0; b < backends.length; b++) if (!tried.has(b)) return b;
    return null;
  };

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer, tried: Set<number>): void => {
    const b = pick(tried);
    if (b === null) return void sendError(res, 503, 'no instance answered');
    tried.add(b);
    balancer.sent[b]++;
    balancer.active[b]++;
    let ended = false;
    const end = () => {
      if (!ended) balancer.active[b]--;
      ended = true;
    };
    const target = new URL(req.url ?? '/', backends[b]);
    // agent: false — one connection per request, so a refused connection is unambiguous (no stale keep-alive socket).
    const upstream = request(target, { method: req.method, headers: { ...req.headers, host: target.host }, agent: false }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      balancer.responding[b]++;
      answer.on('close', () => {
        balancer.responding[b]--;
        end();
      });
      // The instance died mid-response: cut the client's response too, as a proxy does.
      answer.on('aborted', () => res.destroy());
      answer.on('error', () => res.destroy());
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      end();
      if (err.code === 'ECONNREFUSED') {
        balancer.refused[b]++;
        downUntil[b] = Date.now() + DOWN_FOR_MS;
        return forward(req, res, body, tried);
      }
      if (!res.headersSent) sendError(res, 502, `instance failed: ${err.code ?? 'error'}`);
      else res.destroy();
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy(); // the client went away: so does the request
    });
    upstream.end(body);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) return void req.destroy();
      chunks.push(c);
    });
    req.on('end', () => forward(req, res, Buffer.concat(chunks), new Set()));
  });
  server.on('upgrade', (req: IncomingMessage, client: Socket, head: Buffer) => {
    client.on('error', () => undefined);
    const b = pick(new Set());
    if (b === null) return void client.destroy();
    balancer.upgrades[b]++;
    const { hostname, port } = new URL(backends[b]);
    const upstream = connect(Number(port), hostname);
    upstream.on('error', () => client.destroy());
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    upgraded.add(client).add(upstream);
    const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    upstream.write(lines.join('\r\n') + '\r\n\r\n');
    if (head.length > 0) upstream.write(head);
    client.pipe(upstream).pipe(client);
    const gone = () => {
      upgraded.delete(client);
      upgraded.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', gone);
    upstream.on('close', gone);
  });
  balancer.cutUpgrades = () => {
    const n = upgraded.size / 2;
    for (const s of upgraded) s.destroy();
    return n;
  };
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  balancer.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  balancer.close = () =>
    new Promise<void>((r) => {
      balancer.cutUpgrades();
      server.closeAllConnections();
      server.close(() => r());
    });
  return balancer;
}

function sendError(res: ServerResponse, status: number, message: string): void {
  const text = JSON.stringify({ error: { message, type: 'server_error', code: 'load_balancer' } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
