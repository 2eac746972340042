import { priceDecider } from '../../src/pricing/price.decide';
import { PriceEvent } from '../../src/pricing/price.events';
import { formatMicroUsd, parseUsdToMicro } from '../../src/pricing/usd';
import { given } from '../support/decider-spec';

const at = '2026-11-22T10:00:00.000Z';
const set = {
  type: 'SetModelPrice' as const,
  model: 'meta-llama/Llama-3.1-8B-Instruct',
  inputMicroUsdPerMTok: 150_000n,
  outputMicroUsdPerMTok: 600_000n,
  perImageMicroUsd: null,
  effectiveAt: at,
  at,
};
const v1: PriceEvent = {
  type: 'ModelPriceSet',
  data: { model: set.model, version: 1, inputMicroUsdPerMTok: '150000', outputMicroUsdPerMTok: '600000', perImageMicroUsd: null, effectiveAt: at, setAt: at },
};

describe('price decider', () => {
  it('sets version 1, then version 2; amounts as strings of micro-USD', () => {
    given(priceDecider, []).when(set).then([v1]);
    given(priceDecider, [v1])
      .when({ ...set, perImageMicroUsd: 40_000n, effectiveAt: '2026-12-01T00:00:00Z' })
      .then([{ type: 'ModelPriceSet', data: { ...v1.data, version: 2, perImageMicroUsd: '40000', effectiveAt: '2026-12-01T00:00:00.000Z' } }]);
  });

  it('refuses retroactive prices, negative or absurd amounts and bad model ids', () => {
    given(priceDecider, [])
      .when({ ...set, effectiveAt: '2026-11-22T09:59:59.999Z' })
      .thenRefuses('invalid_effective_time');
    given(priceDecider, [])
      .when({ ...set, effectiveAt: 'soon' })
      .thenRefuses('invalid_effective_time');
    given(priceDecider, [])
      .when({ ...set, inputMicroUsdPerMTok: -1n })
      .thenRefuses('invalid_price');
    given(priceDecider, [])
      .when({ ...set, outputMicroUsdPerMTok: 10n ** 13n })
      .thenRefuses('invalid_price');
    given(priceDecider, [])
      .when({ ...set, model: 'no spaces' })
      .thenRefuses('invalid_model');
  });

  it('parses USD decimals exactly into micro-USD (never through a float)', () => {
    expect(parseUsdToMicro('0.15')).toBe(150_000n);
    expect(parseUsdToMicro('2')).toBe(2_000_000n);
    expect(parseUsdToMicro('0.000001')).toBe(1n);
    expect(parseUsdToMicro('123456789012.999999')).toBe(123_456_789_012_999_999n);
    expect(parseUsdToMicro('0.1')! + parseUsdToMicro('0.2')!).toBe(300_000n);
    for (const bad of ['0.0000001', '-1', '1e3', '.5', '1.', 'abc', '', '0x10']) expect(parseUsdToMicro(bad)).toBeNull();
    expect(formatMicroUsd(150_000n)).toBe('0.15');
    expect(formatMicroUsd(2_000_000n)).toBe('2');
  });
});
