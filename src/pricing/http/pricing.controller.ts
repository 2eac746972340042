import { Controller, Get, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod';
import { commandContext } from '../../platform/access/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../platform/access/principal';
import { RoleRoutes } from '../../platform/access/role-routes.decorator';
import { CreatedResponse, OkResponse } from '../../platform/http/schema/responses';
import { ValidBody } from '../../platform/http/schema/valid';
import { ModelPrice, PriceBook } from '../price-book';
import { PricesService } from '../prices.service';
import { PriceVersionBody, priceVersionOf } from '../price.schemas';
import { formatMicroUsd } from '../usd';
import { PriceList, PriceVersionView, PriceView } from './pricing.schemas';

function view(p: ModelPrice): z.infer<typeof PriceView> {
  return {
    model: p.model,
    version: p.version,
    effectiveAt: p.effectiveAt,
    inputMicroUsdPerMTok: p.inputMicroUsdPerMTok.toString(),
    outputMicroUsdPerMTok: p.outputMicroUsdPerMTok.toString(),
    perImageMicroUsd: p.perImageMicroUsd?.toString() ?? null,
    // For people; the micro-USD strings are the exact values.
    inputUsdPerMTok: formatMicroUsd(p.inputMicroUsdPerMTok),
    outputUsdPerMTok: formatMicroUsd(p.outputMicroUsdPerMTok),
    perImageUsd: p.perImageMicroUsd === null ? null : formatMicroUsd(p.perImageMicroUsd),
  };
}

/** Public: what each model costs now, and the changes already scheduled. */
@ApiTags('pricing')
@Controller('pricing')
export class PricingController {
  constructor(private readonly book: PriceBook) {}

  @Get()
  @ApiOperation({ summary: 'Current prices per model (micro-USD per million input/output tokens, per image) and scheduled changes.' })
  @OkResponse(PriceList)
  async list(): Promise<z.infer<typeof PriceList>> {
    const table = await this.book.table(new Date());
    return { data: table.map((row) => ({ ...view(row.current), scheduled: row.scheduled.map(view) })) };
  }
}

@ApiTags('pricing')
@RoleRoutes(['admin'])
@Controller('admin/prices')
export class AdminPricesController {
  constructor(private readonly prices: PricesService) {}

  @Post()
  @ApiOperation({ summary: 'Set a model price { model, inputMicroUsdPerMTok, outputMicroUsdPerMTok, perImageMicroUsd?, effectiveAt? } as a new version.' })
  @CreatedResponse(PriceVersionView, 'The version recorded.')
  @ApiResponse({
    status: 400,
    description: 'A malformed body (invalid_body), model id (invalid_model), price (invalid_price) or start (invalid_effective_time: in the past); too_many_versions.',
  })
  set(
    @CurrentPrincipal() principal: SessionPrincipal,
    @ValidBody(PriceVersionBody) body: z.infer<typeof PriceVersionBody>,
    @Req() req: Request,
  ): Promise<z.infer<typeof PriceVersionView>> {
    return this.prices.set(priceVersionOf(body), commandContext(principal.accountId, req));
  }
}
