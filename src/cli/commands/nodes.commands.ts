import { ProviderInvitesService } from '../../nodes/invites/provider-invites.service';
import { NodesService } from '../../nodes/nodes.service';
import { NodeReviewsService } from '../../nodes/trust/reputation/node-reviews.service';
import { PricesService } from '../../pricing/prices.service';
import { CliContext } from '../context';
import { parseModels, usd } from '../node-flags';
import { accountIdByEmail, accountsService, cliContext } from './accounts.commands';

/** Prints the invite token alone on stdout (shown this once); its metadata on stderr. */
export async function inviteProvider(ctx: CliContext, flags: Record<string, string>): Promise<number> {
  const invites = (await ctx.services()).get(ProviderInvitesService);
  const { inviteId, token, expiresAt } = await invites.issue(flags.email, cliContext());
  ctx.out(token);
  ctx.err(
    JSON.stringify({
      inviteId,
      expiresAt,
      accept: 'POST /me/provider-invite/accept {"token": "…", "providerTermsVersion": "<GET /legal/provider-terms>"} signed in as the invited email',
    }),
  );
  return 0;
}

/** Prints the node token alone on stdout (shown this once); the node's metadata on stderr. */
export async function registerNode(ctx: CliContext, flags: Record<string, string>): Promise<number> {
  const providerId = await accountIdByEmail(await accountsService(ctx), flags['provider-email']);
  const nodes = (await ctx.services()).get(NodesService);
  const { nodeId, token } = await nodes.register(
    providerId,
    {
      name: flags.name,
      endpointUrl: flags.endpoint,
      models: parseModels(flags.models),
      hardware: { gpuModel: flags['gpu-model'] ?? null, gpuMemoryGb: flags['gpu-memory-gb'] ? Number(flags['gpu-memory-gb']) : null, region: flags.region ?? null },
    },
    cliContext(),
  );
  ctx.out(token);
  ctx.err(JSON.stringify({ nodeId, providerId, status: 'pending' }));
  return 0;
}

export async function approveNode(ctx: CliContext, flags: Record<string, string>): Promise<number> {
  await (await ctx.services()).get(NodesService).approve(flags.node, cliContext());
  ctx.out(JSON.stringify({ nodeId: flags.node, status: 'approved' }));
  return 0;
}

export async function suspendNode(ctx: CliContext, flags: Record<string, string>): Promise<number> {
  await (await ctx.services()).get(NodesService).suspend(flags.node, flags.reason, cliContext());
  ctx.out(JSON.stringify({ nodeId: flags.node, status: 'suspended' }));
  return 0;
}

export async function setPrice(ctx: CliContext, flags: Record<string, string>): Promise<number> {
  const prices = (await ctx.services()).get(PricesService);
  const version = await prices.set(
    {
      model: flags.model,
      inputMicroUsdPerMTok: usd(flags, 'input-usd-per-mtok'),
      outputMicroUsdPerMTok: usd(flags, 'output-usd-per-mtok'),
      perImageMicroUsd: flags['per-image-usd'] === undefined ? null : usd(flags, 'per-image-usd'),
      effectiveAt: flags['effective-at'] ?? null,
    },
    cliContext(),
  );
  ctx.out(JSON.stringify(version));
  return 0;
}

export async function listReviews(ctx: CliContext, flags: Record<string, string>): Promise<number> {
  ctx.out(JSON.stringify(await (await ctx.services()).get(NodeReviewsService).list(flags.status)));
  return 0;
}

export async function releaseReview(ctx: CliContext, flags: Record<string, string>): Promise<number> {
  ctx.out(JSON.stringify(await (await ctx.services()).get(NodeReviewsService).decide(flags.review, 'release', flags.reason, cliContext())));
  return 0;
}

export async function clawBackReview(ctx: CliContext, flags: Record<string, string>): Promise<number> {
  ctx.out(JSON.stringify(await (await ctx.services()).get(NodeReviewsService).decide(flags.review, 'claw_back', flags.reason, cliContext())));
  return 0;
}
