import { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AccountsService } from '../../src/accounts/accounts.service';
import { ProviderInvitesService } from '../../src/nodes/invites/provider-invites.service';
import { startTestApp } from '../support/app';
import { cli } from '../support/cli';
import { createTestDatabase, TestDatabase } from '../support/database';
import { AGREED, PROVIDER_TERMS_AGREED } from '../support/eligibility';

describe('CLI: providers:invite, nodes:register, nodes:approve, prices:set', () => {
  let database: TestDatabase;
  let app: INestApplication;
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase('nodes_cli');
    const appSecret = randomBytes(32).toString('hex');
    env = { DATABASE_URL: database.url, APP_SECRET: appSecret };
    ({ app } = await startTestApp(database.url, { appSecret }, 'api')); // the same secret: invite hashes must agree
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const streamEvents = async (prefix: string) =>
    (await database.pool.query(`SELECT stream, event_type, data, metadata FROM events WHERE stream LIKE $1 ORDER BY global_position`, [`${prefix}%`])).rows;

  it('invites a provider, registers and approves a node, and sets a price parsed exactly from USD', async () => {
    const email = 'gpu@example.com';
    // Sequential (except the usage error, which exits before loading anything): parallel children starve each other of CPU.
    const [invite, badPrice] = await Promise.all([
      cli(env, ['providers:invite', '--email', email]),
      cli(env, ['prices:set', '--model', 'llama3:8b', '--input-usd-per-mtok', '0.1234567', '--output-usd-per-mtok', '1']),
      app
        .get(AccountsService)
        .register({ email, password: 'correct horse battery staple', via: 'password', eligibility: AGREED }, { actorId: 'self', occurredAt: new Date().toISOString() }),
    ]);
    expect(badPrice.code).toBe(2);
    expect(badPrice.stderr).toContain('at most 6 decimals');
    expect(invite.code).toBe(0);
    const token = invite.stdout.trim();
    expect(token).toMatch(/^tg_inv_[0-9A-Za-z]{12}_[0-9A-Za-z]{32}$/);
    const providerId = (await app.get(AccountsService).findIdByEmail(email))!;
    await app.get(ProviderInvitesService).accept(providerId, token, { actorId: providerId, occurredAt: new Date().toISOString() }, PROVIDER_TERMS_AGREED);

    const registered = await cli(env, [
      'nodes:register',
      '--provider-email',
      email,
      '--name',
      'rig-1',
      '--endpoint',
      'https://rig1.example.com',
      '--models',
      'llama3:8b=8192,mistralai/Mistral-7B',
      '--gpu-model',
      'RTX 4090',
      '--gpu-memory-gb',
      '24',
    ]);
    expect(registered.code).toBe(0);
    const nodeToken = registered.stdout.trim();
    expect(nodeToken).toMatch(/^tg_node_[0-9A-Za-z]{12}_[0-9A-Za-z]{32}$/);
    const { nodeId } = JSON.parse(registered.stderr);

    const approved = await cli(env, ['nodes:approve', '--node', nodeId]);
    expect(approved.code).toBe(0);
    const nodeEvents = await streamEvents(`node-${nodeId}`);
    expect(nodeEvents.map((e) => [e.event_type, e.metadata.actorId])).toEqual([
      ['NodeRegistered', 'operator:cli'],
      ['NodeApproved', 'operator:cli'],
    ]);
    expect(nodeEvents[0].data).toMatchObject({
      providerId,
      models: [
        { id: 'llama3:8b', contextLength: 8192 },
        { id: 'mistralai/Mistral-7B', contextLength: null },
      ],
      gpuMemoryGb: 24,
    });
    expect(JSON.stringify(nodeEvents)).not.toContain(nodeToken);
    expect(JSON.stringify(await streamEvents('provider-invite-'))).not.toContain(token);

    const price = await cli(env, ['prices:set', '--model', 'llama3:8b', '--input-usd-per-mtok', '0.15', '--output-usd-per-mtok', '0.6', '--per-image-usd', '0.04']);
    expect(price.stderr).toBe('');
    expect(price.code).toBe(0);
    expect(JSON.parse(price.stdout)).toMatchObject({ model: 'llama3:8b', version: 1, inputMicroUsdPerMTok: '150000', outputMicroUsdPerMTok: '600000', perImageMicroUsd: '40000' });
    expect((await streamEvents('model-price-'))[0]).toMatchObject({ event_type: 'ModelPriceSet', metadata: { actorId: 'operator:cli' } });
  }, 240_000);
});
