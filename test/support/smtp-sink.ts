import { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { eventually } from './eventually';

/** A message as the SMTP server received it, parsed. */
export interface ReceivedMail {
  to: string[];
  subject: string;
  text: string;
  html: string;
  notificationId: string;
  category: string;
  /** The raw List-Unsubscribe and List-Unsubscribe-Post header values ('' when absent). */
  listUnsubscribe: string;
  listUnsubscribePost: string;
  receivedAt: number;
}

/**
 * A real SMTP server on loopback (the `smtp-server` package, as a sink): the app's mails travel
 * over SMTP exactly as to a relay. `refuseNext(n)` answers the next n messages 451 (try again
 * later), as a relay under load does.
 */
export class SmtpSink {
  readonly messages: ReceivedMail[] = [];
  refused = 0;
  private toRefuse = 0;

  constructor(
    private readonly server: SMTPServer,
    readonly url: string,
  ) {}

  refuseNext(n: number): void {
    this.toRefuse = n;
  }

  /** @internal */
  shouldRefuse(): boolean {
    if (this.toRefuse <= 0) return false;
    this.toRefuse--;
    this.refused++;
    return true;
  }

  /** Messages to this address (case-insensitive), oldest first. */
  to(address: string): ReceivedMail[] {
    const a = address.toLowerCase();
    return this.messages.filter((m) => m.to.includes(a));
  }

  async waitFor(predicate: (m: ReceivedMail) => boolean, timeoutMs = 10_000): Promise<ReceivedMail> {
    return eventually(
      () => {
        const found = this.messages.find(predicate);
        if (!found) throw new Error(`no such mail within ${timeoutMs} ms; received: ${JSON.stringify(this.messages.map((m) => ({ to: m.to, subject: m.subject })))}`);
        return found;
      },
      timeoutMs,
      20,
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export async function startSmtpSink(): Promise<SmtpSink> {
  // eslint-disable-next-line prefer-const -- assigned below, after the handlers that close over it
  let sink: SmtpSink | undefined;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    size: 1024 * 1024,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          if (sink!.shouldRefuse()) return callback(Object.assign(new Error('Try again later'), { responseCode: 451 }));
          const header = (name: string) => String(parsed.headers.get(name) ?? '');
          // mailparser folds List-* headers into one object: the raw lines keep what was sent.
          const raw = (name: string) =>
            parsed.headerLines
              .find((l) => l.key === name)
              ?.line.replace(/^[^:]+:\s*/, '')
              .replace(/\r?\n\s+/g, '') ?? '';
          const to = (Array.isArray(parsed.to) ? parsed.to : parsed.to ? [parsed.to] : []).flatMap((a) => a.value.map((v) => (v.address ?? '').toLowerCase()));
          sink!.messages.push({
            to,
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
            notificationId: header('x-tollgate-notification'),
            category: header('x-tollgate-category'),
            listUnsubscribe: raw('list-unsubscribe'),
            listUnsubscribePost: raw('list-unsubscribe-post'),
            receivedAt: Date.now(),
          });
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = (server as unknown as { server: { address(): AddressInfo } }).server.address();
  sink = new SmtpSink(server, `smtp://127.0.0.1:${port}`);
  return sink;
}

let shared: Promise<SmtpSink> | null = null;

/** One sink per test process, for every app it starts; it does not keep the process alive. */
export function sharedSmtpSink(): Promise<SmtpSink> {
  shared ??= startSmtpSink().then((sink) => {
    (sink as unknown as { server: { server: { unref(): void } } }).server.server.unref();
    return sink;
  });
  return shared;
}

/** The token of the newest sign-up link mailed to `email` (waits for it). */
export async function mailedSignUpToken(sink: SmtpSink, email: string, after = 0, timeoutMs = 15_000): Promise<string> {
  const mail = await sink.waitFor(
    (m) => m.to.includes(email.toLowerCase()) && m.notificationId.startsWith('sign-up-') && !m.notificationId.startsWith('sign-up-exists-') && m.receivedAt >= after,
    timeoutMs,
  );
  const token = /[?&]token=([A-Za-z0-9_.-]+)/.exec(mail.text)?.[1];
  if (!token) throw new Error('the sign-up mail holds no link');
  return token;
}
