import { z } from 'zod';
import { POLICY_VERSION } from '../../legal/policy.events';
import { coded, Time } from '../../platform/http/schema/fields';
import { CONTEXT_LENGTH_MAX, ENDPOINT_URL_MAX, GPU_MEMORY_GB_MAX, GPU_MODEL_MAX, MODELS_PER_NODE_MAX, NODE_NAME_MAX, REGION_MAX, SUSPEND_REASON_MAX } from '../node.decide';
import { ServedModel } from '../node.events';

/** Lengths here; the node's rules (id shape, duplicates, URL shape) are the decider's and keep their codes (invalid_models, …). */
const MODEL_ID_MAX = 128;
const modelId = z.string().min(1).max(MODEL_ID_MAX);

/** A served model as sent: its id alone, or { id, contextLength? }; read as { id, contextLength } (null when not stated). */
const ServedModelInput = z.union(
  [
    modelId.meta({ examples: ['llama-3.1-8b-instruct'] }),
    z.strictObject({ id: modelId, contextLength: z.number().int().min(1).max(CONTEXT_LENGTH_MAX).nullable().optional().describe('Tokens of context') }),
  ],
  // zod's union message ("Invalid input") would not say what a model is.
  { error: `must be a model id (1..${MODEL_ID_MAX} characters) or { id, contextLength? }` },
);

const ServedModels = z
  .array(ServedModelInput)
  .min(1)
  .max(MODELS_PER_NODE_MAX)
  .transform((models): ServedModel[] => models.map((m) => (typeof m === 'string' ? { id: m, contextLength: null } : { id: m.id, contextLength: m.contextLength ?? null })));

/** POST /provider/nodes. */
export const RegisterNodeBody = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(NODE_NAME_MAX)
    .meta({ examples: ['rig-1'] }),
  endpointUrl: z
    .string()
    .min(1)
    .max(ENDPOINT_URL_MAX)
    .meta({
      description: "The node agent's public http(s) URL (never an internal address), or `tunnel:` for a node behind NAT whose agent runs with --tunnel.",
      examples: ['https://gpu1.example.net:8443', 'tunnel:'],
    }),
  models: ServedModels,
  gpuModel: z
    .string()
    .min(1)
    .max(GPU_MODEL_MAX)
    .nullable()
    .optional()
    .meta({ examples: ['RTX 4090'] }),
  gpuMemoryGb: z.number().int().min(1).max(GPU_MEMORY_GB_MAX).nullable().optional(),
  region: z
    .string()
    .min(1)
    .max(REGION_MAX)
    .nullable()
    .optional()
    .meta({ examples: ['eu-west'] }),
});

/** PUT /provider/nodes/:id/models. */
export const UpdateNodeModelsBody = z.strictObject({ models: ServedModels });

/** POST /admin/nodes/:id/suspend. */
export const SuspendNodeBody = z.strictObject({ reason: z.string().min(1).max(SUSPEND_REASON_MAX) });

export const HEARTBEAT_COUNT_MAX = 1_000_000;
const heartbeatCount = z.number().int().min(0).max(HEARTBEAT_COUNT_MAX).nullable().optional();

/** POST /nodes/heartbeat: what an agent reports (models ready on its engine, requests in flight, requests queued). */
export const HeartbeatBody = z.strictObject({
  models: z
    .array(modelId)
    .max(MODELS_PER_NODE_MAX * 4)
    .describe('Model ids ready on the engine now'),
  inFlight: heartbeatCount.describe('0 when absent'),
  queueDepth: heartbeatCount.describe('0 when absent'),
});

const NodeStatus = z.enum(['pending', 'approved', 'suspended', 'retired']);

export const HeartbeatAnswer = z.object({
  nodeId: z.string(),
  status: NodeStatus,
  proxySecret: z.string().meta({ description: 'What the gateway presents to the agent (Bearer) on every request it forwards.' }),
  heartbeatIntervalMs: z.number().int(),
  heartbeatTtlMs: z.number().int(),
});

/** A node as its provider (or staff) sees it: never its token or the token's hash. */
export const NodeView = z.object({
  id: z.string(),
  providerId: z.string(),
  name: z.string(),
  status: NodeStatus,
  suspendedReason: z.string().nullable(),
  endpointUrl: z.string(),
  models: z.array(z.object({ id: z.string(), contextLength: z.number().int().nullable() })),
  gpuModel: z.string().nullable(),
  gpuMemoryGb: z.number().int().nullable(),
  region: z.string().nullable(),
  registeredAt: Time,
  approvedAt: Time.nullable(),
  online: z.boolean().meta({ description: 'A heartbeat younger than the TTL.' }),
  lastHeartbeatAt: Time.nullable(),
  modelsReady: z.array(z.string()).meta({ description: 'As the agent last reported them.' }),
  inFlight: z.number().int(),
  queueDepth: z.number().int(),
  requestsServed: z.number().int(),
  errors: z.number().int(),
});
export const NodeList = z.array(NodeView);

export const RegisteredNode = z.object({
  nodeId: z.string(),
  token: z.string().meta({ description: 'The node token (tg_node_…), for the node agent: shown this once.' }),
});

/** POST /admin/provider-invites. */
export const InviteProviderBody = z.strictObject({
  email: z
    .string()
    .min(3)
    .max(320)
    .meta({ examples: ['gpu-owner@example.com'] }),
});

export const ProviderInvite = z.object({
  inviteId: z.string(),
  token: z.string().meta({ description: 'The invite token (tg_inv_…): shown this once; pass it to the invited person.' }),
  expiresAt: Time,
});

/**
 * POST /me/provider-invite/accept. `providerTermsVersion` passes any shape: a missing or malformed
 * one is `provider_terms_required`, which tells the client what to send (not a bare invalid_body).
 */
export const AcceptInviteBody = z
  .strictObject({
    token: z.string().min(1).max(100),
    providerTermsVersion: z
      .unknown()
      .optional()
      .meta({ type: 'string', examples: ['1'], description: 'The version of the provider terms accepted: the one in force (GET /legal/provider-terms)' }),
  })
  .transform(({ token, providerTermsVersion }, ctx) => {
    if (typeof providerTermsVersion === 'string' && POLICY_VERSION.test(providerTermsVersion)) return { token, providerTermsVersion };
    coded(
      ctx,
      'provider_terms_required',
      'providerTermsVersion is missing: accepting an invite accepts the provider terms; send the version in force (GET /legal/provider-terms).',
    );
    return z.NEVER;
  });

export const AcceptedInvite = z.object({ inviteId: z.string(), roles: z.array(z.string()).meta({ description: "The account's roles now (provider among them)." }) });

/** GET /v1/models: OpenAI's model list shape, with the context length the nodes declared. */
export const ModelList = z.object({
  object: z.literal('list'),
  data: z.array(z.object({ id: z.string(), object: z.literal('model'), created: z.number().int(), owned_by: z.string(), context_length: z.number().int().nullable() })),
});
