import { signInStream, SignInEvent } from '../../src/auth/sign-in.events';
import { AuthTestApp, newBrowser, register, startAuthApp } from '../auth/auth-app';
import { DAY_MS, readAll, services, verify } from './retention-support';
import { signIn } from '../support/sign-in';

jest.setTimeout(120_000);

const PASSWORD = 'correct horse battery staple';
const AGENT = 'Mozilla/5.0 (P16 test) RetentionProbe/9.9';

describe('P16: sign-in records are kept for a limited time, encrypted', () => {
  let t: AuthTestApp;
  beforeAll(async () => {
    t = await startAuthApp('p16');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('stores IP and user agent sealed, and removes sign-ins older than SIGNIN_RETENTION_DAYS, keeping younger ones', async () => {
    const email = 'p16@example.com';
    const accountId = await register(newBrowser(AGENT), t.url, email, PASSWORD);
    await signIn(t.url, email, { password: PASSWORD, userAgent: AGENT });
    await t.caughtUp();
    const { store, sweep } = services(t.app);
    const stream = signInStream(accountId);
    const first = await readAll(store, stream);
    const signIns = first.filter((e) => e.type === 'SignedIn');
    expect(signIns.length).toBeGreaterThanOrEqual(1);
    // Sealed: neither the user agent nor the forwarded IP is in the event as text.
    for (const e of signIns) {
      const raw = JSON.stringify(e.data);
      expect(raw).not.toContain('RetentionProbe');
      expect(raw).not.toMatch(/198\.51\.100\.\d+/);
      expect((e.data as SignInEvent['data']).userAgent).toEqual(expect.any(String));
    }

    const days = t.config.retention.signInDays;
    const inside = await sweep.sweep(new Date(Date.now() + (days - 1) * DAY_MS));
    expect(inside.signInsRemoved).toBe(0);
    expect((await readAll(store, stream)).map((e) => e.id)).toEqual(first.map((e) => e.id));

    const past = await sweep.sweep(new Date(Date.now() + (days + 1) * DAY_MS));
    expect(past.signInsRemoved).toBe(signIns.length);
    const left = await readAll(store, stream);
    expect(left.map((e) => e.type)).toEqual(['SignInRecordsRemoved']);
    expect(JSON.stringify(left[0].data)).not.toContain('RetentionProbe');

    // A later sign-in is kept while young, and removed once it is old too.
    await signIn(t.url, email, { password: PASSWORD, userAgent: AGENT });
    await t.caughtUp();
    expect((await sweep.sweep(new Date(Date.now() + 10 * DAY_MS))).signInsRemoved).toBe(0);
    expect((await readAll(store, stream)).filter((e) => e.type === 'SignedIn')).toHaveLength(1);
    await t.caughtUp();
    expect((await sweep.sweep(new Date(Date.now() + (days + 1) * DAY_MS))).signInsRemoved).toBe(1);
    expect((await readAll(store, stream)).filter((e) => e.type === 'SignedIn')).toHaveLength(0);
    await t.caughtUp();
    expect((await verify(t.app)).ok).toBe(true);
  });
});
