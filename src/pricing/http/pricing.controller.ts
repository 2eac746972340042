import { Body, Controller, Get, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { commandContext } from '../../auth/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../auth/principal';
import { RoleRoutes } from '../../auth/role-routes.decorator';
import { invalid } from '../../common/domain-error';
import { JsonBody, objectBody, optionalString, requiredString } from '../../common/request-body';
import { ModelPrice, PriceBook } from '../price-book';
import { PricesService, PriceVersionView } from '../prices.service';
import { formatMicroUsd, parseMicroUsdString } from '../usd';

function view(p: ModelPrice) {
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
  async list() {
    const table = await this.book.table(new Date());
    return { data: table.map((row) => ({ ...view(row.current), scheduled: row.scheduled.map(view) })) };
  }
}

function amount(body: JsonBody, field: string, required: boolean): bigint | null {
  const value = body[field];
  if ((value === undefined || value === null) && !required) return null;
  const parsed = parseMicroUsdString(value);
  if (parsed === null) throw invalid('invalid_body', `${field} must be a string of digits (micro-USD).`);
  return parsed;
}

@ApiTags('admin')
@RoleRoutes(['admin'])
@Controller('admin/prices')
export class AdminPricesController {
  constructor(private readonly prices: PricesService) {}

  @Post()
  @ApiOperation({ summary: 'Set a model price { model, inputMicroUsdPerMTok, outputMicroUsdPerMTok, perImageMicroUsd?, effectiveAt? } as a new version.' })
  set(@CurrentPrincipal() principal: SessionPrincipal, @Body() raw: unknown, @Req() req: Request): Promise<PriceVersionView> {
    const body = objectBody(raw, ['model', 'inputMicroUsdPerMTok', 'outputMicroUsdPerMTok', 'perImageMicroUsd', 'effectiveAt']);
    return this.prices.set(
      {
        model: requiredString(body, 'model', 1, 128),
        inputMicroUsdPerMTok: amount(body, 'inputMicroUsdPerMTok', true) as bigint,
        outputMicroUsdPerMTok: amount(body, 'outputMicroUsdPerMTok', true) as bigint,
        perImageMicroUsd: amount(body, 'perImageMicroUsd', false),
        effectiveAt: optionalString(body, 'effectiveAt', 1, 40) ?? null,
      },
      commandContext(principal.accountId, req),
    );
  }
}
