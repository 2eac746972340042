import { Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import type { Request } from 'express';
import { invalid, unavailable } from '../../platform/errors/domain-error';
import { APP_CONFIG, AppConfig } from '../../platform/config/config';
import { Logger } from '../../platform/observability/logger';
import { LOGGER } from '../../platform/observability/tokens';
import { PAYMENT_JOBS } from '../payments.tokens';
import { PaymentJobs } from '../queue/payment-jobs';
import { webhookSignatureValid } from '../razorpay/signatures';
import { RejectionReason, safeEventId, WebhookInbox } from '../webhooks/webhook-inbox';
import { CHARGE_CODE } from './crypto-charge.events';
import { cryptoEnabled } from './crypto.tokens';

export const COINBASE_WEBHOOK_PATH = '/webhooks/coinbase-commerce';
/** Inbox ids of Coinbase events share Razorpay's table: prefixed so the two id spaces never meet. */
export const COINBASE_EVENT_PREFIX = 'cc_';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : null);

/**
 * Coinbase Commerce webhooks: `X-CC-Webhook-Signature` = hex HMAC-SHA256 of the exact raw body
 * with the endpoint's shared secret. A verified `charge:*` event only queues a look-up of its
 * charge (the body is never trusted for status or amounts); each event id is accepted once.
 */
@Controller()
export class CoinbaseWebhookController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PAYMENT_JOBS) private readonly jobs: PaymentJobs | null,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly inbox: WebhookInbox,
  ) {}

  @Post(COINBASE_WEBHOOK_PATH)
  @HttpCode(200)
  @ApiExcludeEndpoint()
  async receive(@Req() req: Request): Promise<{ status: 'accepted' | 'duplicate' | 'ignored' }> {
    const crypto = cryptoEnabled(this.config.crypto);
    const jobs = cryptoEnabled(this.jobs);
    const raw: unknown = req.body;
    const rawBody = Buffer.isBuffer(raw) ? raw : Buffer.alloc(0);
    const signature = req.header('x-cc-webhook-signature');
    if (!signature || !webhookSignatureValid([crypto.webhookSecret], rawBody, signature)) {
      throw await this.refuse(signature ? 'bad_signature' : 'unsigned', null, rawBody.length);
    }
    let event: Json;
    try {
      event = obj(obj(JSON.parse(rawBody.toString('utf8')))?.event) ?? {};
      if (typeof event.type !== 'string') throw new Error('no event');
    } catch {
      throw await this.refuse('malformed', null, rawBody.length);
    }
    const eventId = safeEventId(event.id);
    if (!eventId) throw await this.refuse('missing_event_id', null, rawBody.length);
    const type = (event.type as string).slice(0, 64);
    const code = obj(event.data)?.code;
    const chargeCode = type.startsWith('charge:') && typeof code === 'string' && CHARGE_CODE.test(code) ? code : null;
    if (!(await this.inbox.firstDelivery(`${COINBASE_EVENT_PREFIX}${eventId}`, type, chargeCode))) {
      this.logger.info({ eventId, event: type }, 'coinbase webhook replayed; already accepted');
      return { status: 'duplicate' };
    }
    if (!chargeCode) return { status: 'ignored' };
    try {
      await jobs.addCryptoCharge(chargeCode, `webhook:${type}`);
    } catch (err) {
      await this.inbox.forget(`${COINBASE_EVENT_PREFIX}${eventId}`).catch(() => undefined);
      this.logger.error({ eventId, event: type, err: (err as Error).message }, 'coinbase webhook could not be queued; Coinbase will retry');
      throw unavailable('queue_unavailable', 'The webhook could not be queued; retry.');
    }
    return { status: 'accepted' };
  }

  private async refuse(reason: RejectionReason, eventId: string | null, bytes: number): Promise<Error> {
    this.logger.warn({ reason, eventId, bytes, processor: 'coinbase' }, 'webhook refused');
    await this.inbox.reject({ at: new Date().toISOString(), reason, eventId, bytes });
    return invalid(reason === 'malformed' || reason === 'missing_event_id' ? 'invalid_webhook' : 'invalid_signature', 'The webhook was refused.');
  }
}
