import { policyDecider, versionInForce } from '../../src/legal/policy.decide';
import { PolicyEvent } from '../../src/legal/policy.events';
import { given } from '../support/decider-spec';

const at = '2027-01-01T00:00:00.000Z';
const published = (version: string, effectiveAt: string): PolicyEvent => ({
  type: 'PolicyVersionPublished',
  data: { kind: 'terms', version, effectiveAt, url: 'https://example.com/t', summary: 's', publishedAt: at },
});
const publish = (version: string, effectiveAt: string, noticeDays = 30) => ({
  type: 'PublishPolicyVersion' as const,
  kind: 'terms' as const,
  version,
  effectiveAt,
  url: 'https://example.com/t',
  summary: 's',
  noticeDays,
  at,
});

describe('policy versions decider', () => {
  it('publishes a version effective at least POLICY_NOTICE_DAYS ahead', () => {
    given(policyDecider, [])
      .when(publish('2027-01', '2027-01-31T00:00:00.000Z'))
      .then([published('2027-01', '2027-01-31T00:00:00.000Z')]);
  });
  it('refuses an effective date less than the notice period ahead (one millisecond short)', () => {
    given(policyDecider, []).when(publish('2027-01', '2027-01-30T23:59:59.999Z')).thenRefuses('effective_too_soon');
  });
  it('refuses a version string twice, and an effective date not after the previous one', () => {
    const first = published('v1', '2027-03-01T00:00:00.000Z');
    given(policyDecider, [first]).when(publish('v1', '2027-04-01T00:00:00.000Z')).thenRefuses('policy_version_exists');
    given(policyDecider, [first]).when(publish('v2', '2027-03-01T00:00:00.000Z')).thenRefuses('effective_before_previous');
    given(policyDecider, [first]).when(publish('bad version!', '2027-04-01T00:00:00.000Z')).thenRefuses('invalid_version');
  });
  it('the version in force is the last whose effective date has come', () => {
    const state = [published('v1', '2027-02-01T00:00:00.000Z'), published('v2', '2027-03-01T00:00:00.000Z')].reduce(policyDecider.evolve, policyDecider.initialState());
    expect(versionInForce(state, '2027-01-31T23:59:59.999Z')).toBeNull();
    expect(versionInForce(state, '2027-02-01T00:00:00.000Z')?.version).toBe('v1');
    expect(versionInForce(state, '2027-03-01T00:00:00.000Z')?.version).toBe('v2');
  });
});
