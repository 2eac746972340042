import { Body, Controller, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { commandContext } from '../../auth/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../auth/principal';
import { RoleRoutes } from '../../auth/role-routes.decorator';
import { invalid, notFound } from '../../platform/errors/domain-error';
import { objectBody, optionalString, requiredString } from '../../platform/http/request-body';
import { REASON_MAX } from '../../ledger/credits/credits.decide';
import { parseUsd } from '../../platform/money';
import { checkRazorpayId } from '../orders/payment-orders.service';
import { enabled, PAYMENT_JOBS } from '../payments.tokens';
import { PaymentJobs } from '../queue/payment-jobs';
import { PaymentRefundsService, RefundView } from '../refunds/payment-refunds.service';

const OPERATION_ID = /^[A-Za-z0-9_-]{10,64}$/;

/** Admin actions on payments; each is an event naming the admin (P11). */
@ApiTags('admin')
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
  @ApiResponse({ status: 400, description: 'invalid_amount (not whole cents), invalid_reason.' })
  @ApiResponse({
    status: 409,
    description:
      'insufficient_credits (already spent), payment_not_credited, refund_exceeds_payment, too_many_refunds; a refusal by Razorpay answers 201 with status failed (credits restored).',
  })
  refund(@CurrentPrincipal() principal: SessionPrincipal, @Param('paymentId') paymentId: string, @Body() raw: unknown, @Req() req: Request): Promise<RefundView> {
    const body = objectBody(raw, ['amountUsd', 'reason', 'operationId']);
    const amountUsd = optionalString(body, 'amountUsd', 1, 20);
    const operationId = optionalString(body, 'operationId', 10, 64) ?? null;
    if (operationId !== null && !OPERATION_ID.test(operationId)) throw invalid('invalid_body', 'operationId must be 10..64 letters, digits, - or _.');
    return this.refunds.refund(
      checkRazorpayId(paymentId, 'paymentId'),
      { amountMicroUsd: amountUsd ? parseUsd(amountUsd) : null, reason: requiredString(body, 'reason', 1, REASON_MAX), refundId: operationId },
      commandContext(principal.accountId, req),
    );
  }

  @Post(':paymentId/refunds/:refundId/approve')
  @HttpCode(200)
  @ApiOperation({ summary: 'Approve a refund above APPROVAL_THRESHOLD_USD that another admin requested (four eyes); it then proceeds (credits debited, Razorpay asked).' })
  @ApiResponse({ status: 403, description: 'self_approval (you requested it) or payee_cannot_approve (it refunds you).' })
  @ApiResponse({ status: 409, description: 'refund_not_pending, refund_rejected, or insufficient_credits (already spent: the refund fails, nothing taken).' })
  approve(@CurrentPrincipal() principal: SessionPrincipal, @Param('paymentId') paymentId: string, @Param('refundId') refundId: string, @Req() req: Request): Promise<RefundView> {
    return this.refunds.approve(checkRazorpayId(paymentId, 'paymentId'), refundId, commandContext(principal.accountId, req));
  }

  @Post(':paymentId/refunds/:refundId/reject')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reject a refund request waiting for approval: { reason }. Its amount is refundable again.' })
  reject(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Param('paymentId') paymentId: string,
    @Param('refundId') refundId: string,
    @Body() raw: unknown,
    @Req() req: Request,
  ): Promise<RefundView> {
    const reason = requiredString(objectBody(raw, ['reason']), 'reason', 1, REASON_MAX);
    return this.refunds.reject(checkRazorpayId(paymentId, 'paymentId'), refundId, reason, commandContext(principal.accountId, req));
  }

  @Post('sweep')
  @HttpCode(202)
  @ApiOperation({ summary: 'Look up every pending order at Razorpay now (the scheduler does it every PAYMENTS_SWEEP_INTERVAL_SECONDS).' })
  async sweep(): Promise<{ jobId: string }> {
    const job = await enabled(this.jobs).add({ kind: 'sweep' }, { jobId: `sweep-manual-${Date.now()}` });
    return { jobId: job.id ?? '' };
  }

  @Post('jobs/:jobId/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'Retry a failed payments job (see GET /finance/payments/jobs/failed).' })
  async retry(@Param('jobId') jobId: string): Promise<{ jobId: string; retried: true }> {
    if (!/^[A-Za-z0-9_-]{1,100}$/.test(jobId) || !(await enabled(this.jobs).retry(jobId))) throw notFound('job_not_found', 'No failed job with this id.');
    return { jobId, retried: true };
  }
}
