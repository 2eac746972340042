import { Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import type { Request } from 'express';
import { invalid, unavailable } from '../../platform/errors/domain-error';
import { APP_CONFIG, AppConfig } from '../../platform/config/config';
import { Logger } from '../../platform/observability/logger';
import { LOGGER } from '../../platform/observability/tokens';
import { enabled, PAYMENT_JOBS, paymentsConfig } from '../payments.tokens';
import { PaymentJobData, PaymentJobs } from '../queue/payment-jobs';
import { webhookSignatureValid } from '../razorpay/signatures';
import { RejectionReason, safeEventId, WebhookInbox } from './webhook-inbox';

export const WEBHOOK_PATH = '/webhooks/razorpay';
/** Razorpay's events are a few KB; anything far larger is not one. */
export const WEBHOOK_BODY_LIMIT = '256kb';
const ID = /^[A-Za-z]+_[A-Za-z0-9]{1,40}$/;

type Entity = Record<string, unknown>;
const entityOf = (body: Entity, name: string): Entity | null => {
  const payload = body.payload as Record<string, { entity?: Entity }> | undefined;
  const entity = payload?.[name]?.entity;
  return entity && typeof entity === 'object' ? entity : null;
};
const idOf = (entity: Entity | null, field = 'id'): string | null =>
  entity && typeof entity[field] === 'string' && ID.test(entity[field] as string) ? (entity[field] as string) : null;

/** What a verified event asks the worker to look at (the body itself is never trusted for amounts or status). */
export function jobsFor(event: string, body: Entity): PaymentJobData[] {
  if (event.startsWith('payment.dispute.')) {
    const dispute = entityOf(body, 'dispute');
    const disputeId = idOf(dispute);
    const paymentId = idOf(dispute, 'payment_id') ?? idOf(entityOf(body, 'payment'));
    return disputeId && paymentId ? [{ kind: 'dispute', disputeId, paymentId }] : [];
  }
  if (event.startsWith('refund.')) {
    const refund = entityOf(body, 'refund');
    const refundId = idOf(refund);
    const paymentId = idOf(refund, 'payment_id');
    return refundId && paymentId ? [{ kind: 'refund', razorpayRefundId: refundId, paymentId }] : [];
  }
  if (event.startsWith('payment.') || event === 'order.paid') {
    const payment = entityOf(body, 'payment');
    const paymentId = idOf(payment);
    return paymentId ? [{ kind: 'payment', paymentId, orderId: idOf(payment, 'order_id'), source: `webhook:${event}` }] : [];
  }
  return [];
}

/**
 * Razorpay webhooks. The signature is checked over the raw bytes (a re-serialised body would
 * not match), with the current and the previous secret; a delivery is accepted once per event
 * id and handed to the queue, and the answer is immediate. A forged, unsigned or malformed
 * delivery changes nothing: it is logged (never its body) and listed for finance.
 */
@Controller()
export class RazorpayWebhookController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PAYMENT_JOBS) private readonly jobs: PaymentJobs | null,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly inbox: WebhookInbox,
  ) {}

  @Post(WEBHOOK_PATH)
  @HttpCode(200)
  @ApiExcludeEndpoint()
  async receive(@Req() req: Request): Promise<{ status: 'accepted' | 'duplicate' | 'ignored' }> {
    const payments = paymentsConfig(this.config);
    const jobs = enabled(this.jobs);
    const raw: unknown = req.body;
    const rawBody = Buffer.isBuffer(raw) ? raw : Buffer.alloc(0);
    const signature = req.header('x-razorpay-signature');
    const claimedId = safeEventId(req.header('x-razorpay-event-id'));
    const secrets = [payments.webhookSecret, ...(payments.webhookSecretPrevious ? [payments.webhookSecretPrevious] : [])];
    if (!signature || !webhookSignatureValid(secrets, rawBody, signature)) {
      throw await this.refuse(signature ? 'bad_signature' : 'unsigned', claimedId, rawBody.length);
    }
    let body: Entity;
    try {
      body = JSON.parse(rawBody.toString('utf8')) as Entity;
      if (!body || typeof body !== 'object' || typeof body.event !== 'string') throw new Error('no event');
    } catch {
      throw await this.refuse('malformed', claimedId, rawBody.length);
    }
    if (!claimedId) throw await this.refuse('missing_event_id', null, rawBody.length);
    const event = (body.event as string).slice(0, 64);
    const work = jobsFor(event, body);
    const entityId = work.map((w) => (w.kind === 'refund' ? w.razorpayRefundId : w.kind === 'dispute' ? w.disputeId : w.kind === 'payment' ? w.paymentId : null))[0] ?? null;
    if (!(await this.inbox.firstDelivery(claimedId, event, entityId))) {
      this.logger.info({ eventId: claimedId, event }, 'webhook replayed; already accepted');
      return { status: 'duplicate' };
    }
    try {
      for (const data of work) await jobs.add(data);
    } catch (err) {
      await this.inbox.forget(claimedId).catch(() => undefined);
      this.logger.error({ eventId: claimedId, event, err: (err as Error).message }, 'webhook could not be queued; Razorpay will retry');
      throw unavailable('queue_unavailable', 'The webhook could not be queued; retry.');
    }
    return { status: work.length > 0 ? 'accepted' : 'ignored' };
  }

  private async refuse(reason: RejectionReason, eventId: string | null, bytes: number): Promise<Error> {
    this.logger.warn({ reason, eventId, bytes }, 'webhook refused');
    await this.inbox.reject({ at: new Date().toISOString(), reason, eventId, bytes });
    return invalid(reason === 'malformed' || reason === 'missing_event_id' ? 'invalid_webhook' : 'invalid_signature', 'The webhook was refused.');
  }
}
