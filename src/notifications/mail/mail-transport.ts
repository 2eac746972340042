import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTransport, Transporter } from 'nodemailer';
import { MailConfig } from '../../platform/config/config';
import { Logger } from '../../platform/observability/logger';
import { OutgoingMail } from './outgoing-mail';

/** Where mails go: an SMTP relay (SMTP_URL), a folder of .eml files (development), or nowhere but a metadata log line. */
export interface MailTransport {
  readonly kind: 'smtp' | 'file' | 'log';
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

const message = (from: string, mail: OutgoingMail) => ({
  from,
  to: mail.to,
  subject: mail.subject,
  text: mail.text,
  html: mail.html,
  // Lets the receiving side (and our tests) tie a delivered message to its notification.
  headers: {
    'X-Tollgate-Notification': mail.notificationId,
    'X-Tollgate-Category': mail.category,
    // RFC 8058 one-click unsubscribe: optional categories only (essential mails have no link).
    ...(mail.unsubscribeUrl ? { 'List-Unsubscribe': `<${mail.unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } : {}),
  },
});

export function createMailTransport(config: MailConfig, logger: Logger): MailTransport {
  if (config.smtpUrl) {
    const url = new URL(config.smtpUrl);
    const smtp: Transporter = createTransport({
      host: url.hostname,
      port: Number(url.port) || (url.protocol === 'smtps:' ? 465 : 587),
      secure: url.protocol === 'smtps:',
      requireTLS: config.requireTls && url.protocol === 'smtp:',
      auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
      connectionTimeout: config.smtpTimeoutMs,
      greetingTimeout: config.smtpTimeoutMs,
      socketTimeout: config.smtpTimeoutMs,
    });
    return {
      kind: 'smtp',
      async send(mail) {
        await smtp.sendMail(message(config.from, mail));
      },
      close: () => smtp.close(),
    };
  }
  if (config.dir) {
    const dir = config.dir;
    // nodemailer builds the whole RFC 5322 message; it is written where a developer can open it.
    const file: Transporter = createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
    return {
      kind: 'file',
      async send(mail) {
        const built = (await file.sendMail(message(config.from, mail))) as { message: Buffer };
        await mkdir(dir, { recursive: true });
        await writeFile(join(dir, `${mail.notificationId}.eml`), built.message);
      },
      close: () => file.close(),
    };
  }
  return {
    kind: 'log',
    async send(mail) {
      logger.info({ notificationId: mail.notificationId, category: mail.category }, 'mail not sent: no SMTP_URL or MAIL_DIR (metadata only)');
    },
    close: () => undefined,
  };
}
