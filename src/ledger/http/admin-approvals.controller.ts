import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Kysely } from 'kysely';
import { RoleRoutes } from '../../auth/role-routes.decorator';
import { invalid } from '../../platform/errors/domain-error';
import { KYSELY } from '../../platform/database/database.module';
import { Database } from '../../platform/database/schema';
import { queryInt, queryString } from './query-params';

const STATUSES = ['pending', 'approved', 'rejected'];
const KINDS = ['grant', 'correction', 'refund'];
const LIMIT_MAX = 500;

export interface ApprovalRequestView {
  requestId: string;
  kind: string;
  accountId: string;
  paymentId: string | null;
  amountMicroUsd: string;
  reason: string;
  status: string;
  requestedBy: string;
  requestedAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  /** Where the second staff member approves or rejects it. */
  approvePath: string;
}

/**
 * Four eyes: grants, credit-adding corrections and refunds above APPROVAL_THRESHOLD_USD wait here
 * for a second staff member (approve at `approvePath`, reject at the same path ending in /reject).
 */
@ApiTags('admin')
@RoleRoutes(['admin', 'finance'], 'Admins and finance only.')
@Controller('admin/approvals')
export class AdminApprovalsController {
  constructor(@Inject(KYSELY) private readonly db: Kysely<Database>) {}

  @Get()
  @ApiOperation({ summary: 'Money actions above the approval threshold, newest first (default: pending).' })
  @ApiQuery({ name: 'status', required: false, enum: STATUSES })
  @ApiQuery({ name: 'kind', required: false, enum: KINDS })
  @ApiQuery({ name: 'limit', required: false, description: `1..${LIMIT_MAX}, default 100` })
  async list(@Query() q: Record<string, unknown>): Promise<ApprovalRequestView[]> {
    const status = queryString(q.status, 'status', 20) ?? 'pending';
    const kind = queryString(q.kind, 'kind', 20);
    const limit = queryInt(q.limit, 'limit') ?? 100;
    if (!STATUSES.includes(status)) throw invalid('invalid_query', `status must be one of ${STATUSES.join(', ')}.`);
    if (kind !== undefined && !KINDS.includes(kind)) throw invalid('invalid_query', `kind must be one of ${KINDS.join(', ')}.`);
    if (limit < 1 || limit > LIMIT_MAX) throw invalid('invalid_query', `limit must be 1..${LIMIT_MAX}.`);
    let query = this.db.selectFrom('approval_requests').selectAll().where('status', '=', status).orderBy('requested_at', 'desc').limit(limit);
    if (kind) query = query.where('kind', '=', kind);
    return (await query.execute()).map((r) => ({
      requestId: r.request_id,
      kind: r.kind,
      accountId: r.account_id,
      paymentId: r.payment_id,
      amountMicroUsd: String(r.amount_micro_usd),
      reason: r.reason,
      status: r.status,
      requestedBy: r.requested_by,
      requestedAt: r.requested_at.toISOString(),
      decidedBy: r.decided_by,
      decidedAt: r.decided_at?.toISOString() ?? null,
      approvePath:
        r.kind === 'refund' ? `/admin/payments/${r.payment_id}/refunds/${r.request_id}/approve` : `/admin/accounts/${r.account_id}/credits/approvals/${r.request_id}/approve`,
    }));
  }
}
