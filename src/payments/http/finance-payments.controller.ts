import { Body, Controller, Get, HttpCode, Inject, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { RoleRoutes } from '../../auth/role-routes.decorator';
import { parseDay } from '../../platform/http/dates';
import { invalid } from '../../platform/errors/domain-error';
import { objectBody, optionalString } from '../../platform/http/request-body';
import { queryInt, queryString, queryTime } from '../../ledger/http/query-params';
import { PaymentQueries } from '../payment.queries';
import { enabled, PAYMENT_JOBS } from '../payments.tokens';
import { FailedJob, PaymentJobs } from '../queue/payment-jobs';
import { yesterday } from '../reconcile/reconciliation-report';
import { WebhookInbox, WebhookRejection } from '../webhooks/webhook-inbox';

/** Finance's view of payments: Razorpay next to the ledger, discrepancies, refunds, failed jobs, refused webhooks. */
@ApiTags('finance')
@RoleRoutes(['finance', 'admin'], 'Finance and admins only.')
@Controller('finance/payments')
export class FinancePaymentsController {
  constructor(
    private readonly queries: PaymentQueries,
    private readonly inbox: WebhookInbox,
    @Inject(PAYMENT_JOBS) private readonly jobs: PaymentJobs | null,
  ) {}

  @Get()
  @ApiOperation({ summary: "Payments, newest first: Razorpay's status next to our ledger status; `mismatch` when they disagree." })
  @ApiQuery({ name: 'ledgerStatus', required: false, enum: ['credited', 'not_credited'] })
  @ApiQuery({ name: 'razorpayStatus', required: false })
  @ApiQuery({ name: 'accountId', required: false })
  @ApiQuery({ name: 'before', required: false, description: 'updatedAt of the last row of the previous page' })
  @ApiQuery({ name: 'limit', required: false, description: '1..500, default 100' })
  payments(@Query() q: Record<string, unknown>) {
    return this.queries.payments({
      ledgerStatus: queryString(q.ledgerStatus, 'ledgerStatus', 20),
      razorpayStatus: queryString(q.razorpayStatus, 'razorpayStatus', 20),
      accountId: queryString(q.accountId, 'accountId', 64),
      before: queryTime(q.before, 'before'),
      limit: queryInt(q.limit, 'limit'),
    });
  }

  @Get('discrepancies')
  @ApiOperation({ summary: 'Every discrepancy found by the worker or the daily report, newest first.' })
  discrepancies(@Query() q: Record<string, unknown>) {
    return this.queries.discrepancies({
      kind: queryString(q.kind, 'kind', 40),
      paymentId: queryString(q.paymentId, 'paymentId', 64),
      before: queryTime(q.before, 'before'),
      limit: queryInt(q.limit, 'limit'),
    });
  }

  @Get('refunds')
  @ApiOperation({ summary: 'Refunds with who asked, their status at Razorpay and failures.' })
  refunds(@Query() q: Record<string, unknown>) {
    return this.queries.refunds({ paymentId: queryString(q.paymentId, 'paymentId', 64), limit: queryInt(q.limit, 'limit') });
  }

  @Get('jobs/failed')
  @ApiOperation({ summary: 'Payments jobs that used up their attempts (kept 7 days, at most 1,000); retry with POST /admin/payments/jobs/:id/retry.' })
  failedJobs(@Query() q: Record<string, unknown>): Promise<FailedJob[]> {
    const limit = queryInt(q.limit, 'limit') ?? 100;
    if (limit < 1 || limit > 1_000) throw invalid('invalid_query', 'limit must be 1..1000.');
    return enabled(this.jobs).failed(limit);
  }

  @Get('webhooks')
  @ApiOperation({ summary: 'Accepted webhook events with their delivery counts (a count above 1 is a replay or a retry).' })
  webhooks(@Query() q: Record<string, unknown>) {
    return this.queries.webhookEvents(queryInt(q.limit, 'limit'));
  }

  @Get('webhooks/rejections')
  @ApiOperation({ summary: 'Refused webhook deliveries (forged, unsigned, malformed), newest first; the last 1,000.' })
  rejections(@Query() q: Record<string, unknown>): Promise<WebhookRejection[]> {
    return this.inbox.rejections(queryInt(q.limit, 'limit') ?? 100);
  }

  @Get('reconciliation-runs')
  @ApiOperation({ summary: 'Runs of the reconciliation report with their totals.' })
  runs(@Query() q: Record<string, unknown>) {
    return this.queries.reconciliationRuns(queryInt(q.limit, 'limit'));
  }

  @Post('reconciliation-runs')
  @HttpCode(202)
  @ApiOperation({ summary: 'Run the reconciliation report for a UTC day now: { day?: "2026-11-21" } (default yesterday).' })
  async run(@Body() raw: unknown): Promise<{ jobId: string; day: string }> {
    const day = parseDay(optionalString(objectBody(raw ?? {}, ['day']), 'day', 10, 10) ?? yesterday(), 'day', 'invalid_body');
    const job = await enabled(this.jobs).add({ kind: 'report', day }, { jobId: `report-${day}-${Date.now()}` });
    return { jobId: job.id ?? '', day };
  }
}
