import { FormEvent, useState } from 'react';
import { answer, api } from '../api';
import { AutoTable } from '../components/AutoTable';
import { Card, Empty, ErrorNote, Loading, messageOf, Stat, useLoad } from '../components/ui';
import { payWithCheckout } from '../checkout';
import { usd } from '../format';
import { ConsoleSettings } from '../types';

/** How long the page waits for Razorpay's webhook before saying the credits will come later. */
const CONFIRM_WAIT_MS = 90_000;
const CONFIRM_POLL_MS = 750;

const loadOrders = async () => answer(api.GET('/me/payments/orders'));
const loadDashboard = async () => answer(api.GET('/me/dashboard'));
type Dashboard = Awaited<ReturnType<typeof loadDashboard>>;

type Step =
  | { kind: 'idle' }
  | { kind: 'checkout' }
  | { kind: 'confirming'; amountUsd: string }
  | { kind: 'done'; amountUsd: string; availableMicroUsd: string }
  | { kind: 'late'; amountUsd: string };

/**
 * Top-up: an order from our payments route, Razorpay Checkout for the payment, then the
 * signed response sent back for verification. Credits are added only when Razorpay's webhook
 * (or the sweep) confirms the capture, so the page polls until the balance moves — no reload.
 */
export function TopUp({ settings }: { settings: ConsoleSettings | null | undefined }) {
  const dashboard = useLoad(loadDashboard, []);
  const enabled = settings?.payments === true && settings.checkoutScriptUrl !== null;
  const orders = useLoad(async () => (enabled ? loadOrders() : []), [enabled]);
  const [amount, setAmount] = useState('10.00');
  const [step, setStep] = useState<Step>({ kind: 'idle' });
  const [error, setError] = useState<string | null>(null);
  const busy = step.kind === 'checkout' || step.kind === 'confirming';

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!enabled || busy) return;
    setError(null);
    setStep({ kind: 'checkout' });
    try {
      const before = (await loadDashboard()).balance.balanceMicroUsd;
      const order = await answer(api.POST('/me/payments/orders', { body: { amountUsd: amount.trim() } }));
      const outcome = await payWithCheckout(settings!.checkoutScriptUrl!, order);
      if ('dismissed' in outcome) {
        setStep({ kind: 'idle' });
        setError('Checkout was closed before paying. Nothing was charged.');
        return;
      }
      setStep({ kind: 'confirming', amountUsd: order.amountUsd });
      await answer(api.POST('/me/payments/orders/{orderId}/checkout', { params: { path: { orderId: order.orderId } }, body: outcome.paid }));
      const landed = await waitForCredits(order.orderId, before);
      setStep(landed ? { kind: 'done', amountUsd: order.amountUsd, availableMicroUsd: landed.balance.availableMicroUsd } : { kind: 'late', amountUsd: order.amountUsd });
      dashboard.reload();
      // The orders list is a read model that may trail the credit by a moment.
      void orders.reloadUntil((rows) => !landed || rows.some((o) => o.orderId === order.orderId && o.status === 'credited'));
    } catch (err) {
      setStep({ kind: 'idle' });
      setError(messageOf(err));
      orders.reload();
    }
  }

  return (
    <>
      <h1>Top up</h1>
      <Card title="Credits">
        <ErrorNote error={dashboard.error} />
        {dashboard.loading && !dashboard.data ? <Loading what="your balance" /> : null}
        {dashboard.data ? (
          <div className="stats">
            <Stat label="Balance" value={usd(dashboard.data.balance.balanceMicroUsd)} />
            <Stat label="Available" value={usd(dashboard.data.balance.availableMicroUsd)} />
          </div>
        ) : null}
      </Card>
      <Card title="Add credits">
        {settings === undefined ? (
          <Loading what="the payment settings" />
        ) : !enabled ? (
          <Empty>Payments are not set up on this server, so credits cannot be bought here. Ask the operator for credits.</Empty>
        ) : (
          <form className="grid-form" onSubmit={submit}>
            <label>
              Amount (USD)
              <input required inputMode="decimal" pattern="\d+(\.\d{1,2})?" value={amount} disabled={busy} onChange={(e) => setAmount(e.target.value)} />
            </label>
            <p className="muted small">You pay in Razorpay’s own window; card details never reach Tollgate.</p>
            <ErrorNote error={error} />
            <Progress step={step} />
            <button className="primary" type="submit" disabled={busy}>
              {step.kind === 'checkout' ? 'Paying in Razorpay…' : step.kind === 'confirming' ? 'Confirming…' : 'Pay with Razorpay'}
            </button>
          </form>
        )}
      </Card>
      {enabled ? (
        <Card title="Your top-ups">
          <ErrorNote error={orders.error} />
          {orders.loading && !orders.data ? <Loading what="your top-ups" /> : null}
          {orders.data && orders.data.length === 0 ? <Empty>No top-ups yet.</Empty> : null}
          {orders.data && orders.data.length > 0 ? <AutoTable label="Top-ups table" rows={orders.data} columns={['createdAt', 'amountMicroUsd', 'status', 'orderId']} /> : null}
        </Card>
      ) : null}
    </>
  );
}

function Progress({ step }: { step: Step }) {
  const text =
    step.kind === 'checkout'
      ? 'Waiting for you to pay in Razorpay’s window…'
      : step.kind === 'confirming'
        ? `Payment of $${step.amountUsd} received. Waiting for Razorpay to confirm it — usually a few seconds…`
        : step.kind === 'done'
          ? `Added $${step.amountUsd}. Available now: ${usd(step.availableMicroUsd)}.`
          : step.kind === 'late'
            ? `Razorpay has not confirmed your $${step.amountUsd} payment yet. The credits appear here as soon as it does; you can leave this page.`
            : '';
  return (
    <p role="status" aria-live="polite" data-testid="top-up-progress" className={step.kind === 'done' ? 'ok' : 'muted'}>
      {text}
    </p>
  );
}

/** Polls the order until it is credited and the dashboard shows a new balance; null when it takes too long. */
async function waitForCredits(orderId: string, balanceBefore: string): Promise<Dashboard | null> {
  const deadline = Date.now() + CONFIRM_WAIT_MS;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, CONFIRM_POLL_MS));
    try {
      const order = await answer(api.GET('/me/payments/orders/{orderId}', { params: { path: { orderId } } }));
      if (order.status === 'credited') {
        const dashboard = await loadDashboard();
        if (dashboard.balance.balanceMicroUsd !== balanceBefore) return dashboard;
      }
    } catch {
      // a blip while polling: keep waiting until the deadline
    }
  }
  return null;
}
