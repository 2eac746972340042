import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import type { AuthenticatedKey } from '../api-keys/api-key-authenticator';
import { CurrentApiKey, RequireApiKey } from '../api-keys/api-key.guard';
import { OkResponse } from '../platform/http/schema/responses';
import { V1_SECURITY_SCHEME } from './v1-openapi';
import { openAiErrorContent, V1KeyView } from './v1-me.schemas';

/** Which key is calling: the smallest /v1 endpoint, to try a key (never returns a secret or a hash). */
@ApiTags('inference')
@ApiSecurity(V1_SECURITY_SCHEME)
@Controller('v1')
@RequireApiKey()
export class V1MeController {
  @Get('me')
  @ApiOperation({ summary: 'The calling API key: id, account and limits.' })
  @OkResponse(V1KeyView)
  @ApiResponse({ status: 401, description: 'No API key, or an unknown, revoked or expired one (invalid_api_key).', content: openAiErrorContent })
  @ApiResponse({ status: 403, description: 'The account is suspended or restricted.', content: openAiErrorContent })
  @ApiResponse({ status: 503, description: 'The key could not be checked right now (fail closed); retry after `Retry-After`.', content: openAiErrorContent })
  me(@CurrentApiKey() key: AuthenticatedKey): z.infer<typeof V1KeyView> {
    return {
      object: 'api_key',
      id: key.keyId,
      account_id: key.accountId,
      limits: { requests_per_minute: key.limits.requestsPerMinute, tokens_per_minute: key.limits.tokensPerMinute },
    };
  }
}
