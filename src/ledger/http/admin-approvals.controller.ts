import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Kysely } from 'kysely';
import { z } from 'zod';
import { RoleRoutes } from '../../platform/access/role-routes.decorator';
import { KYSELY } from '../../platform/database/database.module';
import { Database } from '../../platform/database/schema';
import { OkResponse } from '../../platform/http/schema/responses';
import { ValidQuery } from '../../platform/http/schema/valid';
import { ApprovalRequestView, ApprovalsList, ApprovalsQuery } from './credits.schemas';

type ApprovalRequest = z.infer<typeof ApprovalRequestView>;

/**
 * Four eyes: grants, credit-adding corrections and refunds above APPROVAL_THRESHOLD_USD wait here
 * for a second staff member (approve at `approvePath`, reject at the same path ending in /reject).
 */
@ApiTags('ledger')
@RoleRoutes(['admin', 'finance'], 'Admins and finance only.')
@Controller('admin/approvals')
export class AdminApprovalsController {
  constructor(@Inject(KYSELY) private readonly db: Kysely<Database>) {}

  @Get()
  @ApiOperation({ summary: 'Money actions above the approval threshold, newest first (default: pending).' })
  @OkResponse(ApprovalsList)
  @ApiResponse({ status: 400, description: 'invalid_query: an unknown status or kind, or limit outside 1..500.' })
  async list(@ValidQuery(ApprovalsQuery) q: z.infer<typeof ApprovalsQuery>): Promise<z.infer<typeof ApprovalsList>> {
    let query = this.db.selectFrom('approval_requests').selectAll().where('status', '=', q.status).orderBy('requested_at', 'desc').limit(q.limit);
    if (q.kind) query = query.where('kind', '=', q.kind);
    return (await query.execute()).map((r) => ({
      requestId: r.request_id,
      // The projection writes only these (approval_requests' comments); the schema says which.
      kind: r.kind as ApprovalRequest['kind'],
      accountId: r.account_id,
      paymentId: r.payment_id,
      amountMicroUsd: String(r.amount_micro_usd),
      reason: r.reason,
      status: r.status as ApprovalRequest['status'],
      requestedBy: r.requested_by,
      requestedAt: r.requested_at.toISOString(),
      decidedBy: r.decided_by,
      decidedAt: r.decided_at?.toISOString() ?? null,
      approvePath:
        r.kind === 'refund' ? `/admin/payments/${r.payment_id}/refunds/${r.request_id}/approve` : `/admin/accounts/${r.account_id}/credits/approvals/${r.request_id}/approve`,
    }));
  }
}
