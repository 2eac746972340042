import { z } from 'zod';
import { Time } from '../../platform/http/schema/fields';
import { fromBeforeTo, queryInt, queryText, timeRange } from '../../platform/http/schema/query';

/** What both the list and the CSV filter by. */
const filter = {
  actor: queryText(100).meta({ description: 'An account id, or operator:cli.' }),
  target: queryText(200).meta({ description: 'Any id the action targeted (account, key, node…).' }),
  action: queryText(300).meta({ description: 'The exact action.', examples: ['POST /admin/accounts/:id/suspend'] }),
  ...timeRange,
};

/** GET /admin/audit-log.csv: the filter only; the export pages itself. */
export const AuditLogCsvQuery = z.strictObject(filter).partial().superRefine(fromBeforeTo);

/** GET /admin/audit-log. */
export const AuditLogQuery = z
  .strictObject({
    ...filter,
    limit: queryInt.meta({ description: '1..500, default 100.' }),
    before: queryText(100).meta({ description: 'nextCursor of the previous page, or an ISO time.' }),
  })
  .partial()
  .superRefine(fromBeforeTo);

export const AuditLogEntryView = z.object({
  eventId: z.uuid(),
  at: Time,
  actorId: z.string().meta({ description: 'An account id, or operator:cli.' }),
  actorRoles: z.array(z.string()),
  action: z.string().meta({ examples: ['POST /admin/accounts/:id/suspend'] }),
  channel: z.string().meta({ description: 'Where the action came from, e.g. http or cli.' }),
  target: z.record(z.string(), z.string()).meta({ description: 'The ids the action targeted, by name.' }),
  query: z.record(z.string(), z.string().nullable()).meta({ description: 'The filters of a look-up.' }),
  outcome: z.object({ status: z.number().int().nullable(), exitCode: z.number().int().nullable(), code: z.string() }),
  requestId: z.string().nullable(),
  stream: z.string(),
  revision: z.string(),
});

export const AuditLogPage = z.object({
  items: z.array(AuditLogEntryView),
  nextCursor: z.string().nullable().meta({ description: 'Pass back as `before` for the next (older) page; null at the end.' }),
});
