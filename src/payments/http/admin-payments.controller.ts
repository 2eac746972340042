import { Controller, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod';
import { commandContext } from '../../platform/access/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../platform/access/principal';
import { RoleRoutes } from '../../platform/access/role-routes.decorator';
import { notFound } from '../../platform/errors/domain-error';
import { AcceptedResponse, CreatedResponse, OkResponse } from '../../platform/http/schema/responses';
import { ValidBody } from '../../platform/http/schema/valid';
import { checkRazorpayId } from '../orders/payment-orders.service';
import { enabled, PAYMENT_JOBS } from '../payments.tokens';
import { PaymentJobs } from '../queue/payment-jobs';
import { PaymentRefundsService } from '../refunds/payment-refunds.service';
import { JobQueued, JobRetried, RefundBody, RefundView, RejectRefundBody } from './admin-payments.schemas';

type RefundView = z.infer<typeof RefundView>;

/** Admin actions on payments; each is an event naming the admin (P11). */
@ApiTags('payments')
@RoleRoutes(['admin'], 'Admins only.')
@Controller('admin/payments')
export class AdminPaymentsController {
  constructor(
    private readonly refunds: PaymentRefundsService,
    @Inject(PAYMENT_JOBS) private readonly jobs: PaymentJobs | null,
  ) {}

  @Post(':paymentId/refunds')
  @HttpCode(201)
  @ApiOperation({
    summary:
      'Refund a credited payment: { amountUsd? (default: all that is left), reason, operationId? (10..64 chars; makes a retry a no-op) }. ' +
      'Everything is checked before any credits move; above APPROVAL_THRESHOLD_USD the answer is status pending_approval until another admin approves.',
  })
  @CreatedResponse(RefundView, 'Recorded: submitted to Razorpay, pending_approval above the threshold, or failed (Razorpay refused; credits restored).')
  @ApiResponse({ status: 400, description: 'invalid_body, invalid_id, invalid_amount (not whole cents), invalid_reason.' })
  @ApiResponse({ status: 404, description: 'payment_not_found' })
  @ApiResponse({
    status: 409,
    description:
      'insufficient_credits (already spent), payment_not_credited, refund_exceeds_payment, too_many_refunds; a refusal by Razorpay answers 201 with status failed (credits restored).',
  })
  refund(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Param('paymentId') paymentId: string,
    @ValidBody(RefundBody) body: z.infer<typeof RefundBody>,
    @Req() req: Request,
  ): Promise<RefundView> {
    return this.refunds.refund(
      checkRazorpayId(paymentId, 'paymentId'),
      { amountMicroUsd: body.amountUsd ?? null, reason: body.reason, refundId: body.operationId ?? null },
      commandContext(principal.accountId, req),
    );
  }

  @Post(':paymentId/refunds/:refundId/approve')
  @HttpCode(200)
  @ApiOperation({ summary: 'Approve a refund above APPROVAL_THRESHOLD_USD that another admin requested (four eyes); it then proceeds (credits debited, Razorpay asked).' })
  @OkResponse(RefundView)
  @ApiResponse({ status: 400, description: 'invalid_id: not a Razorpay payment id.' })
  @ApiResponse({ status: 403, description: 'self_approval (you requested it) or payee_cannot_approve (it refunds you).' })
  @ApiResponse({ status: 404, description: 'refund_not_found' })
  @ApiResponse({ status: 409, description: 'refund_not_pending, refund_rejected, or insufficient_credits (already spent: the refund fails, nothing taken).' })
  approve(@CurrentPrincipal() principal: SessionPrincipal, @Param('paymentId') paymentId: string, @Param('refundId') refundId: string, @Req() req: Request): Promise<RefundView> {
    return this.refunds.approve(checkRazorpayId(paymentId, 'paymentId'), refundId, commandContext(principal.accountId, req));
  }

  @Post(':paymentId/refunds/:refundId/reject')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reject a refund request waiting for approval: { reason }. Its amount is refundable again.' })
  @OkResponse(RefundView)
  @ApiResponse({ status: 400, description: 'invalid_body, invalid_id, invalid_reason.' })
  @ApiResponse({ status: 404, description: 'refund_not_found' })
  @ApiResponse({ status: 409, description: 'refund_not_pending' })
  reject(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Param('paymentId') paymentId: string,
    @Param('refundId') refundId: string,
    @ValidBody(RejectRefundBody) body: z.infer<typeof RejectRefundBody>,
    @Req() req: Request,
  ): Promise<RefundView> {
    return this.refunds.reject(checkRazorpayId(paymentId, 'paymentId'), refundId, body.reason, commandContext(principal.accountId, req));
  }

  @Post('sweep')
  @HttpCode(202)
  @ApiOperation({ summary: 'Look up every pending order at Razorpay now (the scheduler does it every PAYMENTS_SWEEP_INTERVAL_SECONDS).' })
  @AcceptedResponse(JobQueued)
  @ApiResponse({ status: 404, description: 'payments_disabled when no Razorpay key is configured.' })
  async sweep(): Promise<z.infer<typeof JobQueued>> {
    const job = await enabled(this.jobs).add({ kind: 'sweep' }, { jobId: `sweep-manual-${Date.now()}` });
    return { jobId: job.id ?? '' };
  }

  @Post('jobs/:jobId/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'Retry a failed payments job (see GET /finance/payments/jobs/failed).' })
  @AcceptedResponse(JobRetried)
  @ApiResponse({ status: 404, description: 'job_not_found (no failed job with this id), payments_disabled.' })
  async retry(@Param('jobId') jobId: string): Promise<z.infer<typeof JobRetried>> {
    if (!/^[A-Za-z0-9_-]{1,100}$/.test(jobId) || !(await enabled(this.jobs).retry(jobId))) throw notFound('job_not_found', 'No failed job with this id.');
    return { jobId, retried: true };
  }
}
