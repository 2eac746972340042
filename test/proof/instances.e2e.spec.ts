import { formatFigures } from './figures';
import { ProofFigures, runInstancesProof, SMALL } from './instances-proof';

/**
 * Issue 19, item 4: the money rules hold across processes — three API instances (`main.js api`) and a
 * worker behind a round-robin balancer, one instance SIGKILLed mid-load. The same proof as
 * `npm run proof:instances`, at the SMALL size; prints its figures.
 */
describe('the money rules across three API instances and a worker (test/proof)', () => {
  let f: ProofFigures;

  beforeAll(async () => {
    const started = Date.now();
    f = await runInstancesProof(SMALL, () => undefined);
    console.log(`${formatFigures(f)}\nwhole proof: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 180_000);

  it('1. no wallet is overspent beyond one reservation: the balance is drained and nothing more is charged', () => {
    expect(f.overspend.completed).toBeGreaterThan(0);
    expect(f.overspend.refused402).toBeGreaterThan(0);
    expect(f.overspend.chargedMicroUsd).toBeLessThanOrEqual(f.overspend.balanceMicroUsd + f.overspend.reservationMicroUsd);
    // Drained: what is left is less than one more request's reservation.
    expect(f.overspend.remainingMicroUsd).toBeLessThan(f.overspend.reservationMicroUsd);
  });

  it('2. a key revoked through the API is refused by every instance within 1 s', () => {
    expect(f.revocation.refusedAfterMs).toHaveLength(SMALL.apiInstances);
    for (const r of f.revocation.refusedAfterMs) expect(r.ms).toBeLessThan(1_000);
  });

  it("3. the per-key rate limit is shared by the instances (exact within one window; two windows' worth at most)", () => {
    const l = f.rateLimit;
    expect(l.other).toBe(0);
    if (l.oneWindow) expect(l.allowed).toBe(l.limitPerMinute);
    else expect(l.allowed).toBeLessThanOrEqual(2 * l.limitPerMinute);
    expect(l.refused429).toBe(l.sent - l.allowed);
  });

  it('4. a node behind NAT serves 1,000 streams over three instances, its tunnel cut twice: no charge lost, none doubled', () => {
    const t = f.tunnel;
    expect(t.completed).toBeGreaterThanOrEqual(SMALL.tunnelTarget);
    expect(t.reconnects).toBeGreaterThanOrEqual(2);
    for (const p of t.tunnelsPerInstance) expect(p.sent).toBeGreaterThan(0); // every instance took requests: the other two relayed
    expect(t.completedChargedOnce).toBe(t.completed);
    expect(t.cutChargedOnce).toBe(t.cut); // the instances stayed up: a cut stream is charged for what it delivered
    expect(t.cutAboveReservation).toBe(0);
    expect(t.failedCharged).toBe(0);
    expect(t.unseenCharges).toBe(0);
  });

  it('5. every completed response is charged exactly once, with one instance SIGKILLed mid-load; cut requests at most once', () => {
    const k = f.kill;
    expect(k.respondingOnKilledAtKill).toBeGreaterThan(0);
    expect(k.cut).toBeGreaterThan(0); // the kill did cut streams midway
    expect(k.completed).toBeGreaterThan(0);
    expect(k.completedChargedOnce).toBe(k.completed);
    expect(k.cutDuplicated).toBe(0);
    expect(k.cutAboveReservation).toBe(0);
    expect(k.duplicateEventsOverall).toBe(0);
  });

  it('6. the trial balance nets to zero and projections:verify is clean', () => {
    expect(f.books.netMicroUsd).toBe('0');
    expect(f.books.verifyOk).toBe(true);
    expect(f.books.verifyExitCode).toBe(0);
  });

  it('no process crashed (only the SIGKILLed instance went away)', () => {
    expect(f.crashes).toEqual([]);
  });
});
