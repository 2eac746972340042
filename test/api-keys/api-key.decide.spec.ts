import { apiKeyDecider } from '../../src/api-keys/api-key.decide';
import { ApiKeyEvent } from '../../src/api-keys/api-key.events';
import { given } from '../support/decider-spec';

const at = '2026-11-22T10:00:00.000Z';
const issue = {
  type: 'IssueApiKey' as const,
  keyId: 'AbCdEfGhIjKl',
  accountId: 'a1',
  name: ' ci ',
  prefix: 'tg_live_AbCdEfGhIjKl',
  keyHash: 'hash',
  expiresAt: null,
  limits: { requestsPerMinute: 60, tokensPerMinute: null },
  rotatedFrom: null,
  at,
};
const issued: ApiKeyEvent = {
  type: 'ApiKeyIssued',
  data: {
    keyId: 'AbCdEfGhIjKl',
    accountId: 'a1',
    name: 'ci',
    prefix: 'tg_live_AbCdEfGhIjKl',
    keyHash: 'hash',
    expiresAt: null,
    requestsPerMinute: 60,
    tokensPerMinute: null,
    rotatedFrom: null,
    issuedAt: at,
  },
};

describe('API key decider', () => {
  it('issues a key with a trimmed name and its limits', () => given(apiKeyDecider, []).when(issue).then([issued]));
  it('refuses bad names, past expiries and silly limits', () => {
    given(apiKeyDecider, [])
      .when({ ...issue, name: '   ' })
      .thenRefuses('invalid_name');
    given(apiKeyDecider, [])
      .when({ ...issue, expiresAt: '2026-11-21T00:00:00.000Z' })
      .thenRefuses('invalid_expiry');
    given(apiKeyDecider, [])
      .when({ ...issue, limits: { requestsPerMinute: 0, tokensPerMinute: null } })
      .thenRefuses('invalid_limit');
    given(apiKeyDecider, [])
      .when({ ...issue, limits: { requestsPerMinute: 1.5, tokensPerMinute: null } })
      .thenRefuses('invalid_limit');
    given(apiKeyDecider, [issued]).when(issue).thenRefuses('api_key_exists');
  });
  it('revokes once', () => {
    const revoked: ApiKeyEvent = { type: 'ApiKeyRevoked', data: { keyId: 'AbCdEfGhIjKl', accountId: 'a1', reason: 'revoked', replacedBy: null, revokedAt: at } };
    given(apiKeyDecider, [issued]).when({ type: 'RevokeApiKey', reason: 'revoked', replacedBy: null, at }).then([revoked]);
    given(apiKeyDecider, [issued, revoked]).when({ type: 'RevokeApiKey', reason: 'revoked', replacedBy: null, at }).then([]);
    given(apiKeyDecider, []).when({ type: 'RevokeApiKey', reason: 'revoked', replacedBy: null, at }).thenRefuses('api_key_not_found');
  });
});
