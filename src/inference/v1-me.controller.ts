import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { AuthenticatedKey } from '../api-keys/api-key-authenticator';
import { CurrentApiKey, RequireApiKey } from '../api-keys/api-key.guard';

export interface V1KeyView {
  object: 'api_key';
  id: string;
  account_id: string;
  limits: { requests_per_minute: number | null; tokens_per_minute: number | null };
}

/** Which key is calling: the smallest /v1 endpoint, to try a key (never returns a secret or a hash). */
@ApiTags('v1')
@ApiBearerAuth()
@Controller('v1')
@RequireApiKey()
export class V1MeController {
  @Get('me')
  @ApiOkResponse({ description: 'The calling API key: id, account and limits.' })
  me(@CurrentApiKey() key: AuthenticatedKey): V1KeyView {
    return {
      object: 'api_key',
      id: key.keyId,
      account_id: key.accountId,
      limits: { requests_per_minute: key.limits.requestsPerMinute, tokens_per_minute: key.limits.tokensPerMinute },
    };
  }
}
