import { Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { RoleRoutes } from '../../platform/access/role-routes.decorator';
import { invalid } from '../../platform/errors/domain-error';
import { AcceptedResponse, OkResponse } from '../../platform/http/schema/responses';
import { ValidBody, ValidQuery } from '../../platform/http/schema/valid';
import { PaymentQueries } from '../payment.queries';
import { enabled, PAYMENT_JOBS } from '../payments.tokens';
import { PaymentJobs } from '../queue/payment-jobs';
import { yesterday } from '../reconcile/reconciliation-report';
import { WebhookInbox } from '../webhooks/webhook-inbox';
import {
  DiscrepanciesQuery,
  DiscrepancyRow,
  FailedJobView,
  LimitQuery,
  PaymentRow,
  PaymentsQuery,
  ReconciliationRunRow,
  RefundRow,
  RefundsQuery,
  ReportQueued,
  RunReportBody,
  WebhookEventRow,
  WebhookRejectionView,
} from './finance-payments.schemas';

type Rows<T extends z.ZodType> = Promise<z.infer<T>[]>;
type LimitQuery = z.infer<typeof LimitQuery>;

/** Finance's view of payments: Razorpay next to the ledger, discrepancies, refunds, failed jobs, refused webhooks. */
@ApiTags('payments')
@RoleRoutes(['finance', 'admin'], 'Finance and admins only.')
@ApiResponse({ status: 400, description: 'invalid_query (an unknown parameter, a bad time, limit out of range) or invalid_body.' })
@Controller('finance/payments')
export class FinancePaymentsController {
  constructor(
    private readonly queries: PaymentQueries,
    private readonly inbox: WebhookInbox,
    @Inject(PAYMENT_JOBS) private readonly jobs: PaymentJobs | null,
  ) {}

  @Get()
  @ApiOperation({ summary: "Payments, newest first: Razorpay's status next to our ledger status; `mismatch` when they disagree." })
  @OkResponse(z.array(PaymentRow))
  payments(@ValidQuery(PaymentsQuery) q: z.infer<typeof PaymentsQuery>): Rows<typeof PaymentRow> {
    return this.queries.payments(q);
  }

  @Get('discrepancies')
  @ApiOperation({ summary: 'Every discrepancy found by the worker or the daily report, newest first.' })
  @OkResponse(z.array(DiscrepancyRow))
  discrepancies(@ValidQuery(DiscrepanciesQuery) q: z.infer<typeof DiscrepanciesQuery>): Rows<typeof DiscrepancyRow> {
    return this.queries.discrepancies(q);
  }

  @Get('refunds')
  @ApiOperation({ summary: 'Refunds with who asked, their status at Razorpay and failures.' })
  @OkResponse(z.array(RefundRow))
  refunds(@ValidQuery(RefundsQuery) q: z.infer<typeof RefundsQuery>): Rows<typeof RefundRow> {
    return this.queries.refunds(q);
  }

  @Get('jobs/failed')
  @ApiOperation({ summary: 'Payments jobs that used up their attempts (kept 7 days, at most 1,000); retry with POST /admin/payments/jobs/:id/retry. limit: 1..1000, default 100.' })
  @OkResponse(z.array(FailedJobView))
  @ApiResponse({ status: 404, description: 'payments_disabled when no Razorpay key is configured.' })
  failedJobs(@ValidQuery(LimitQuery) q: LimitQuery): Rows<typeof FailedJobView> {
    const limit = q.limit ?? 100;
    if (limit < 1 || limit > 1_000) throw invalid('invalid_query', 'limit must be 1..1000.');
    return enabled(this.jobs).failed(limit);
  }

  @Get('webhooks')
  @ApiOperation({ summary: 'Accepted webhook events with their delivery counts (a count above 1 is a replay or a retry). limit: 1..500, default 100.' })
  @OkResponse(z.array(WebhookEventRow))
  webhooks(@ValidQuery(LimitQuery) q: LimitQuery): Rows<typeof WebhookEventRow> {
    return this.queries.webhookEvents(q.limit);
  }

  @Get('webhooks/rejections')
  @ApiOperation({ summary: 'Refused webhook deliveries (forged, unsigned, malformed), newest first; the last 1,000. limit: default 100.' })
  @OkResponse(z.array(WebhookRejectionView))
  rejections(@ValidQuery(LimitQuery) q: LimitQuery): Rows<typeof WebhookRejectionView> {
    return this.inbox.rejections(q.limit ?? 100);
  }

  @Get('reconciliation-runs')
  @ApiOperation({ summary: 'Runs of the reconciliation report with their totals. limit: 1..500, default 100.' })
  @OkResponse(z.array(ReconciliationRunRow))
  runs(@ValidQuery(LimitQuery) q: LimitQuery): Rows<typeof ReconciliationRunRow> {
    return this.queries.reconciliationRuns(q.limit);
  }

  @Post('reconciliation-runs')
  @HttpCode(202)
  @ApiOperation({ summary: 'Run the reconciliation report for a UTC day now: { day?: "2026-11-21" } (default yesterday).' })
  @AcceptedResponse(ReportQueued)
  @ApiResponse({ status: 404, description: 'payments_disabled when no Razorpay key is configured.' })
  async run(@ValidBody(RunReportBody) body: z.infer<typeof RunReportBody>): Promise<z.infer<typeof ReportQueued>> {
    const day = body?.day ?? yesterday();
    const job = await enabled(this.jobs).add({ kind: 'report', day }, { jobId: `report-${day}-${Date.now()}` });
    return { jobId: job.id ?? '', day };
  }
}
