import { randomUUID } from 'node:crypto';
import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { EVENT_STORE, EventStore } from '../../src/platform/event-store/event-store.port';
import { LIFECYCLE, Lifecycle } from '../../src/platform/health/lifecycle';
import { MetricsListener } from '../../src/platform/observability/metrics-listener';
import { PROJECTION_RUNNER } from '../../src/platform/projection-runtime/projection-runtime.module';
import { ProjectionRunner } from '../../src/platform/projection-runtime/projection-runner';
import { startTestApp } from '../support/app';
import { createTestDatabase, TestDatabase } from '../support/database';

describe('the application (npm start, role "all")', () => {
  let database: TestDatabase;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    database = await createTestDatabase('app');
    ({ app, url } = await startTestApp(database.url));
  });
  afterAll(async () => {
    await app?.close();
    await database.drop();
  });

  it('is live and ready when PostgreSQL, Redis and the event store answer', async () => {
    await request(url).get('/health/live').expect(200, { status: 'ok' });
    const ready = await request(url).get('/health/ready').expect(200);
    expect(ready.body).toEqual({ status: 'ok', checks: { postgres: { status: 'up' }, redis: { status: 'up' }, eventStore: { status: 'up' } } });
  });

  it('projects appended events into the read models in the same process', async () => {
    const store = app.get<EventStore>(EVENT_STORE);
    // A malformed event of a known type must not stall the read models: it is skipped.
    await store.append('apikey-k1', [{ id: randomUUID(), type: 'ApiKeyIssued', data: { name: 'ci' } }], 'no_stream');
    await store.append('account-x', [{ id: randomUUID(), type: 'AccountRegistered', data: {} }], 'no_stream');
    await app.get<ProjectionRunner>(PROJECTION_RUNNER).waitUntilCaughtUp();
    const row = await database.db.selectFrom('stream_index').selectAll().where('stream', '=', 'apikey-k1').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ category: 'apikey', event_count: '1', last_event_type: 'ApiKeyIssued' });
    expect(await database.db.selectFrom('api_keys').selectAll().execute()).toEqual([]);
    expect(app.get<ProjectionRunner>(PROJECTION_RUNNER).status().retries).toBe(0);
  });

  it('serves Prometheus metrics on the internal listener only, including projection lag; the public port refuses /metrics', async () => {
    const publicAnswer = await request(url).get('/metrics');
    const withToken = await request(url).get('/metrics').set('authorization', 'Bearer anything');
    const internal = app.get(MetricsListener).address()!;
    console.log(`/metrics: public port ${publicAnswer.status} (with a bearer token ${withToken.status}); internal listener ${internal.host}:${internal.port}`);
    expect(publicAnswer.status).toBe(404);
    expect(publicAnswer.text).not.toContain('tollgate_');
    expect(withToken.status).toBe(404);
    expect(internal.host).toBe('127.0.0.1');
    expect((await request(`http://127.0.0.1:${internal.port}`).get('/other')).status).toBe(404);
    const res = await request(`http://127.0.0.1:${internal.port}`).get('/metrics').expect(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.text).toMatch(/^tollgate_projection_lag_seconds 0$/m);
    expect(res.text).toContain('tollgate_http_request_duration_seconds_bucket');
    expect(res.text).toContain('tollgate_process_cpu_seconds_total');
  });

  it('serves OpenAPI docs', async () => {
    await request(url).get('/docs').expect(200);
    const spec = await request(url).get('/docs/openapi.json').expect(200);
    expect(Object.keys(spec.body.paths)).toEqual(expect.arrayContaining(['/health/live', '/health/ready']));
  });

  it('answers unknown routes and oversized bodies with problem details, never a 500', async () => {
    const missing = await request(url).get('/no-such-thing').expect(404);
    expect(missing.headers['content-type']).toContain('application/problem+json');
    expect(missing.body).toMatchObject({ status: 404, code: 'not_found', title: 'Not Found' });
    const big = await request(url)
      .post('/health/live')
      .set('content-type', 'application/json')
      .send(`{"x":"${'a'.repeat(1_100_000)}"}`);
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ status: 413 });
    const broken = await request(url).post('/health/live').set('content-type', 'application/json').send('{"x":');
    expect(broken.status).toBe(400);
  });

  it('echoes a safe x-request-id and makes one up otherwise', async () => {
    const res = await request(url).get('/health/live').set('x-request-id', 'req-123');
    expect(res.headers['x-request-id']).toBe('req-123');
    const evil = await request(url).get('/health/live').set('x-request-id', 'a b\tc<script>');
    expect(evil.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('turns not-ready while draining for shutdown', async () => {
    const lifecycle = app.get<Lifecycle>(LIFECYCLE);
    lifecycle.draining = true;
    try {
      const res = await request(url).get('/health/ready').expect(503);
      expect(res.body.status).toBe('draining');
    } finally {
      lifecycle.draining = false;
    }
  });
});

describe('readiness with a dependency down', () => {
  let database: TestDatabase;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    database = await createTestDatabase('app_down');
    ({ app, url } = await startTestApp(database.url, { redisUrl: 'redis://127.0.0.1:1' }, 'api'));
  });
  afterAll(async () => {
    await app?.close();
    await database.drop();
  });

  it('is live but not ready when Redis is unreachable, and says which check failed', async () => {
    await request(url).get('/health/live').expect(200);
    const res = await request(url).get('/health/ready').expect(503);
    expect(res.body.checks.redis.status).toBe('down');
    expect(res.body.checks.postgres.status).toBe('up');
  });

  it('runs no projection runner in the api role', () => {
    expect(() => app.get(PROJECTION_RUNNER)).toThrow();
  });
});
