import { FormEvent, useState } from 'react';
import { answer, api } from '../../api';
import { AutoTable } from '../../components/AutoTable';
import { InstantInput } from '../../components/Instant';
import { Card, Empty, ErrorNote, Loading, messageOf, useLoad } from '../../components/ui';
import { microUsdOf, usdExact } from '../../format';

const loadPrices = async () => answer(api.GET('/pricing'));
/** A price version: the one in force, or one of its scheduled changes. */
type PriceVersion = Awaited<ReturnType<typeof loadPrices>>['data'][number]['scheduled'][number];

/** Prices per model now and their scheduled changes; setting a price (now or at a future instant). */
export function PricesPage() {
  const prices = useLoad(loadPrices, []);
  const [model, setModel] = useState('');
  const [input, setInput] = useState('');
  const [output, setOutput] = useState('');
  const [image, setImage] = useState('');
  const [effectiveAt, setEffectiveAt] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const inputMicroUsd = microUsdOf(input);
    const outputMicroUsd = microUsdOf(output);
    const perImage = image.trim() ? microUsdOf(image) : null;
    if (inputMicroUsd === null || outputMicroUsd === null || (image.trim() && perImage === null)) return setError('Prices are dollar amounts such as 1.25 (at most 6 decimals).');
    setBusy(true);
    setError(null);
    try {
      const set = await answer(
        api.POST('/admin/prices', {
          body: {
            model: model.trim(),
            inputMicroUsdPerMTok: inputMicroUsd,
            outputMicroUsdPerMTok: outputMicroUsd,
            ...(perImage ? { perImageMicroUsd: perImage } : {}),
            ...(effectiveAt ? { effectiveAt } : {}),
          },
        }),
      );
      // The price table is refreshed from the events: read until the new version is in it.
      await prices.reloadUntil((p) => p.data.some((r) => r.model === set.model && (r.version === set.version || r.scheduled.some((s) => s.version === set.version))));
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  // Shown exactly (to the micro-dollar), not rounded to the cent like balances.
  const shown = (r: PriceVersion, when: string) => ({
    model: r.model,
    when,
    version: r.version,
    effectiveAt: r.effectiveAt,
    inputPerMillionTokens: usdExact(r.inputMicroUsdPerMTok),
    outputPerMillionTokens: usdExact(r.outputMicroUsdPerMTok),
    perImage: r.perImageMicroUsd === null ? null : usdExact(r.perImageMicroUsd),
  });
  const rows = (prices.data?.data ?? []).flatMap((r) => [shown(r, 'now'), ...r.scheduled.map((s) => shown(s, 'scheduled'))]);
  return (
    <>
      <h1>Prices</h1>
      <Card title="Set a price">
        <form className="grid-form" onSubmit={submit}>
          <label>
            Model
            <input required value={model} onChange={(e) => setModel(e.target.value)} />
          </label>
          <label>
            Input, USD per million tokens
            <input required inputMode="decimal" value={input} onChange={(e) => setInput(e.target.value)} />
          </label>
          <label>
            Output, USD per million tokens
            <input required inputMode="decimal" value={output} onChange={(e) => setOutput(e.target.value)} />
          </label>
          <label>
            Per image, USD (optional)
            <input inputMode="decimal" value={image} onChange={(e) => setImage(e.target.value)} />
          </label>
          <InstantInput label="Effective at (empty: now)" value={effectiveAt} onChange={setEffectiveAt} />
          <ErrorNote error={error} />
          <button className="primary" type="submit" disabled={busy}>
            {busy ? 'Saving…' : 'Set price'}
          </button>
        </form>
      </Card>
      <Card title="Prices">
        <ErrorNote error={prices.error} />
        {prices.loading && !prices.data ? <Loading what="prices" /> : null}
        {prices.data && rows.length === 0 ? <Empty>No model has a price yet.</Empty> : null}
        {rows.length > 0 ? <AutoTable label="Prices table" rows={rows} /> : null}
      </Card>
    </>
  );
}
