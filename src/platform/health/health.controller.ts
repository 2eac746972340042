import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import Redis from 'ioredis';
import { Pool } from 'pg';
import { z } from 'zod';
import { PG_POOL } from '../database/database.module';
import { EVENT_STORE, EventStore } from '../event-store/event-store.port';
import { openApiSchema } from '../http/schema/json-schema';
import { OkResponse } from '../http/schema/responses';
import { REDIS } from '../redis/redis.module';
import { LiveView, ReadyView } from './health.schemas';
import { LIFECYCLE, Lifecycle } from './lifecycle';

const CHECK_TIMEOUT_MS = 2_000;

type CheckResult = { status: 'up' } | { status: 'down'; error: string };

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(LIFECYCLE) private readonly lifecycle: Lifecycle,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'The process is up (no dependency is checked).' })
  @OkResponse(LiveView)
  live(): z.infer<typeof LiveView> {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'PostgreSQL, Redis and the event store are reachable and the instance is not draining.' })
  @OkResponse(ReadyView, 'Ready: every check is up.')
  // Not problem details: a load balancer and an operator read which check failed from the same shape as the 200.
  @ApiServiceUnavailableResponse({ description: 'Not ready: draining for shutdown, or a check is down.', schema: openApiSchema(ReadyView, 'output') })
  async ready(@Res({ passthrough: true }) res: Response): Promise<z.infer<typeof ReadyView>> {
    const [postgres, redis, eventStore] = await Promise.all([check(() => this.pool.query('SELECT 1')), check(() => this.redis.ping()), check(() => this.store.ping())]);
    const checks = { postgres, redis, eventStore };
    const up = Object.values(checks).every((c) => c.status === 'up') && !this.lifecycle.draining;
    res.status(up ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return { status: up ? 'ok' : this.lifecycle.draining ? 'draining' : 'unavailable', checks };
  }
}

async function check(probe: () => Promise<unknown>): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([probe(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS)))]);
    return { status: 'up' };
  } catch (err) {
    return { status: 'down', error: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}
