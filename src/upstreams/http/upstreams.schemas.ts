import { z } from 'zod';
import { MicroUsd, Time } from '../../platform/http/schema/fields';
import { UPSTREAM_MODELS_MAX, UPSTREAM_NAME_MAX } from '../upstream.decide';
import { BASE_URL_MAX, UPSTREAM_KEY_MAX } from '../upstreams.service';

/**
 * Lengths and shapes here; the service's rules keep their codes: invalid_base_url (http(s), no
 * credentials), invalid_api_key (8+ printable characters), invalid_models (at least one, id
 * shape, no duplicates).
 */
const modelId = z.string().min(1).max(128);
const apiKey = z.string().min(1).max(UPSTREAM_KEY_MAX).meta({ description: "The vendor's API key: sealed at once, never shown again." });

const UpstreamModels = z
  .array(
    z.strictObject({
      id: modelId.describe('Our model id (what clients ask for)'),
      vendorModel: modelId.nullable().optional().describe("The vendor's name for it; the same as id when absent"),
    }),
  )
  .max(UPSTREAM_MODELS_MAX)
  .meta({ description: `1..${UPSTREAM_MODELS_MAX} models` });

/** POST /admin/upstreams. */
export const RegisterUpstreamBody = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(UPSTREAM_NAME_MAX)
    .meta({ examples: ['Vendor A'] }),
  baseUrl: z
    .string()
    .min(1)
    .max(BASE_URL_MAX)
    .meta({ examples: ['https://api.vendor.example/v1'] }),
  apiKey,
  models: UpstreamModels,
});

/** POST /admin/upstreams/:id/key. */
export const RotateUpstreamKeyBody = z.strictObject({ apiKey });

/** PUT /admin/upstreams/:id/models. */
export const UpdateUpstreamModelsBody = z.strictObject({ models: UpstreamModels });

/** What staff see of an upstream: never its key (not even a part of it), only which version is in use. */
export const UpstreamView = z.object({
  id: z.string().meta({ examples: ['up_4f8K2m9QxZ1a'] }),
  name: z.string(),
  baseUrl: z.string(),
  status: z.enum(['active', 'retired']),
  models: z.array(z.object({ id: z.string(), vendorModel: z.string().nullable() })),
  keyVersion: z.number().int(),
  registeredAt: Time,
  updatedAt: Time,
  costs: z.array(
    z.object({
      model: z.string(),
      version: z.number().int(),
      inputMicroUsdPerMTok: MicroUsd,
      outputMicroUsdPerMTok: MicroUsd,
      perImageMicroUsd: MicroUsd.nullable(),
      effectiveAt: Time,
    }),
  ),
});
export const UpstreamList = z.array(UpstreamView);
