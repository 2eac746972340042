import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ALL_CATEGORIES } from '../mail/mail-categories';

/** OpenAPI shapes only: bodies are read and checked by readChange (preferences.controller.ts). */
export class CategoryViewDto {
  @ApiProperty({ enum: ALL_CATEGORIES }) category!: string;
  @ApiProperty({ description: 'Essential mails cannot be turned off.' }) essential!: boolean;
  @ApiProperty() enabled!: boolean;
  @ApiProperty() description!: string;
}

export class MarketingViewDto {
  @ApiProperty() consented!: boolean;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) consentedAt!: string | null;
}

export class LowBalanceViewDto {
  @ApiProperty({ nullable: true, type: String, example: '5.00' }) thresholdUsd!: string | null;
  @ApiProperty({ nullable: true, type: String, example: '5000000' }) thresholdMicroUsd!: string | null;
}

export class PreferencesViewDto {
  @ApiProperty({ type: CategoryViewDto, isArray: true }) categories!: CategoryViewDto[];
  @ApiProperty({ type: MarketingViewDto }) marketing!: MarketingViewDto;
  @ApiProperty({ type: LowBalanceViewDto }) lowBalance!: LowBalanceViewDto;
}

export class ChangePreferencesBody {
  @ApiPropertyOptional({ description: 'Category → on/off; only optional categories may be off.', example: { 'low-balance': true, product: false, marketing: true } })
  categories?: Record<string, boolean>;
  @ApiPropertyOptional({ nullable: true, type: String, example: '5.00', description: 'Mail once when the balance falls below this (USD, up to 6 decimals); null for none.' })
  lowBalanceThresholdUsd?: string | null;
}
