import { z } from 'zod';
import { openApiSchema } from '../platform/http/schema/json-schema';
import { v1ResponseSchemas } from './v1-schemas';

/** GET /v1/me: the calling key, in the /v1 style (snake_case, an `object` tag); never a secret or a hash. */
export const V1KeyView = z.object({
  object: z.literal('api_key'),
  id: z.string().describe('The 12 characters after tg_live_'),
  account_id: z.string(),
  limits: z.object({
    requests_per_minute: z.number().int().nullable().describe('null: no limit of its own'),
    tokens_per_minute: z.number().int().nullable().describe('null: no limit of its own'),
  }),
});

/** A key refusal on /v1 is OpenAI's error shape (the key guard's filter writes it), not problem details. */
export const openAiErrorContent = { 'application/json': { schema: openApiSchema(v1ResponseSchemas.Error, 'output') } };
