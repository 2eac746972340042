import { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AddressInfo, connect, createServer, Server, Socket } from 'node:net';
import { AccountsService } from '../../src/accounts/accounts.service';
import { ApiKeyAuthenticator } from '../../src/api-keys/api-key-authenticator';
import { ProcessRole } from '../../src/app.module';
import { startTestApp } from '../support/app';
import { AGREED } from '../support/eligibility';
import { waitFor } from '../support/eventually';

export const ctx = () => ({ actorId: 'test', occurredAt: new Date().toISOString() });
export const bearer = (key: string) => `Bearer ${key}`;

export async function startApp(databaseUrl: string, role: ProcessRole = 'all'): Promise<{ app: INestApplication; url: string }> {
  const { app, url } = await startTestApp(databaseUrl, {}, role);
  if (role === 'all' || role === 'api') await waitFor(() => app.get(ApiKeyAuthenticator).status().listening, 5_000, 'the key invalidation subscriber');
  return { app, url };
}

export async function registerDeveloper(accounts: AccountsService, label: string): Promise<string> {
  const email = `${label}-${randomBytes(4).toString('hex')}@example.com`;
  return (await accounts.register({ email, password: 'correct horse battery', via: 'password', eligibility: AGREED }, ctx())).accountId;
}

/** A well-formed key that was never issued. */
export function randomWellFormedKey(): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  const pick = (n: number) => Array.from(randomBytes(n), (b) => alphabet[b % 62]).join('');
  return `tg_live_${pick(12)}_${pick(32)}`;
}

/**
 * A TCP pass-through that can also freeze: connections stay open but no byte moves, like a
 * network path that died without a reset (what a heartbeat must notice).
 */
export class FreezableProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private frozen = false;
  port = 0;

  constructor(private readonly targetPort: number) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.targetPort, '127.0.0.1');
      for (const [from, to] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        this.sockets.add(from);
        from.on('data', (chunk) => {
          if (!this.frozen) to.write(chunk);
        });
        from.on('close', () => {
          this.sockets.delete(from);
          to.destroy();
        });
        from.on('error', () => undefined);
      }
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  freeze(): void {
    this.frozen = true;
  }

  thaw(): void {
    this.frozen = false;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = null;
  }
}
