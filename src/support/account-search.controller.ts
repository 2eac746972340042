import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { RoleRoutes } from '../platform/access/role-routes.decorator';
import { OkResponse } from '../platform/http/schema/responses';
import { ValidQuery } from '../platform/http/schema/valid';
import { AccountSearch } from './account-search';
import { AccountSearchQuery, AccountSearchResult } from './account-search.schemas';

/** Finding the account a person asks about; the staff audit interceptor records each search with its caller. */
@ApiTags('support')
@RoleRoutes(['support', 'admin'], 'Support and admins only.')
@Controller('support/accounts')
export class AccountSearchController {
  constructor(private readonly search: AccountSearch) {}

  @Get()
  @ApiOperation({ summary: "Find accounts by account id, exact sign-in email or an API key's public id; exact matches only, each with what it matched." })
  @OkResponse(AccountSearchResult)
  async find(@ValidQuery(AccountSearchQuery) query: z.infer<typeof AccountSearchQuery>): Promise<AccountSearchResult> {
    return { items: await this.search.find(query.q) };
  }
}
