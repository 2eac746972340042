import { conflict, invalid, notFound } from '../platform/errors/domain-error';
import { assertNever, Decider } from '../platform/event-sourcing/decider';
import { ApiKeyEvent, ApiKeyLimits, RevocationReason } from './api-key.events';

export interface ApiKeyState {
  exists: boolean;
  keyId: string | null;
  keyHash: string | null;
  accountId: string | null;
  revoked: boolean;
  name: string | null;
  expiresAt: string | null;
  limits: ApiKeyLimits;
}

export type ApiKeyCommand =
  | {
      type: 'IssueApiKey';
      keyId: string;
      accountId: string;
      name: string;
      prefix: string;
      keyHash: string;
      expiresAt: string | null;
      limits: ApiKeyLimits;
      rotatedFrom: string | null;
      at: string;
    }
  | { type: 'RevokeApiKey'; reason: RevocationReason; replacedBy: string | null; at: string };

export const API_KEY_NAME_MAX = 100;
export const LIMIT_MAX = 1_000_000;

const initialState = (): ApiKeyState => ({
  exists: false,
  keyId: null,
  keyHash: null,
  accountId: null,
  revoked: false,
  name: null,
  expiresAt: null,
  limits: { requestsPerMinute: null, tokensPerMinute: null },
});

function checkLimit(name: string, value: number | null): void {
  if (value !== null && (!Number.isInteger(value) || value < 1 || value > LIMIT_MAX)) {
    throw invalid('invalid_limit', `${name} must be an integer in 1..${LIMIT_MAX}.`);
  }
}

function decide(command: ApiKeyCommand, state: ApiKeyState): ApiKeyEvent[] {
  switch (command.type) {
    case 'IssueApiKey': {
      if (state.exists) throw conflict('api_key_exists', 'This key id is taken.');
      const name = command.name.trim();
      if (!name || name.length > API_KEY_NAME_MAX) throw invalid('invalid_name', `A key name is 1..${API_KEY_NAME_MAX} characters.`);
      if (command.expiresAt !== null && !(Date.parse(command.expiresAt) > Date.parse(command.at))) {
        throw invalid('invalid_expiry', 'The expiry must be a time in the future.');
      }
      checkLimit('requestsPerMinute', command.limits.requestsPerMinute);
      checkLimit('tokensPerMinute', command.limits.tokensPerMinute);
      return [
        {
          type: 'ApiKeyIssued',
          data: {
            keyId: command.keyId,
            accountId: command.accountId,
            name,
            prefix: command.prefix,
            keyHash: command.keyHash,
            expiresAt: command.expiresAt,
            requestsPerMinute: command.limits.requestsPerMinute,
            tokensPerMinute: command.limits.tokensPerMinute,
            rotatedFrom: command.rotatedFrom,
            issuedAt: command.at,
          },
        },
      ];
    }
    case 'RevokeApiKey':
      if (!state.exists || !state.accountId || !state.keyId) throw notFound('api_key_not_found', 'No such API key.');
      if (state.revoked) return [];
      return [{ type: 'ApiKeyRevoked', data: { keyId: state.keyId, accountId: state.accountId, reason: command.reason, replacedBy: command.replacedBy, revokedAt: command.at } }];
    default:
      return assertNever(command);
  }
}

function evolve(state: ApiKeyState, event: ApiKeyEvent): ApiKeyState {
  switch (event.type) {
    case 'ApiKeyIssued':
      return {
        exists: true,
        keyId: event.data.keyId,
        keyHash: event.data.keyHash,
        accountId: event.data.accountId,
        revoked: false,
        name: event.data.name,
        expiresAt: event.data.expiresAt,
        limits: { requestsPerMinute: event.data.requestsPerMinute, tokensPerMinute: event.data.tokensPerMinute },
      };
    case 'ApiKeyRevoked':
      return { ...state, revoked: true };
    default:
      return state;
  }
}

export const apiKeyDecider: Decider<ApiKeyState, ApiKeyCommand, ApiKeyEvent> = { initialState, decide, evolve };
