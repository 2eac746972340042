import { lazy, ReactElement, Suspense, useCallback, useEffect, useState } from 'react';
import { answer, api, ApiError, whenSignedOut } from './api';
import { Loading } from './components/ui';
import { Keys } from './pages/Keys';
import { Overview } from './pages/Overview';
import { Statement } from './pages/Statement';
import { EligibilityStep } from './pages/EligibilityStep';
import { SignIn } from './pages/SignIn';
import { Sessions } from './pages/Sessions';
import { Settings } from './pages/Settings';
import { TopUp } from './pages/TopUp';
import { Usage } from './pages/Usage';
import { ProviderEarnings } from './pages/provider/Earnings';
import { ProviderNodes } from './pages/provider/Nodes';
import { ProviderPayouts } from './pages/provider/Payouts';
import { AdminAccountsPage } from './pages/staff/Accounts';
import { AdminNodesPage, AuditLogPage } from './pages/staff/Admin';
import { NetworkPage } from './pages/staff/Network';
import { JournalPage, TrialBalancePage } from './pages/staff/Finance';
import { FinancePayoutsPage } from './pages/staff/Payouts';
import { PricesPage } from './pages/staff/Prices';
import { ReconciliationPage, RefundsDisputesPage } from './pages/staff/Reconciliation';
import { AdminRefundsPage } from './pages/staff/Refunds';
import { NodeReviewsPage } from './pages/staff/NodeReviews';
import { StatementPage } from './pages/staff/Statement';
import { SupportPage } from './pages/staff/Support';
import { navigate, usePath } from './router';
import { ConsoleSettings } from './types';

type Account = Awaited<ReturnType<typeof loadMe>>;
type Role = Account['roles'][number];

const loadMe = async () => answer(api.GET('/me'));
const signOut = async () => answer(api.POST('/auth/logout'));

// The playground brings the OpenAI SDK: loaded when first opened, not with the console.
const Playground = lazy(() => import('./pages/Playground'));

/** Set by App: pages that end the session (account deletion) return to the sign-in form through it. */
let signedOut: () => void = () => {};

interface PageDef {
  path: string;
  label: string;
  /** settings: undefined while /console/settings.json loads, null if it could not be read. */
  view: (settings: ConsoleSettings | null | undefined) => ReactElement;
}

/** Pages by role: every account is a developer; the other sections appear with their role. */
const SECTIONS: { title: string; roles: Role[] | null; pages: PageDef[] }[] = [
  {
    title: 'Developer',
    roles: null,
    pages: [
      { path: '/', label: 'Overview', view: () => <Overview /> },
      { path: '/keys', label: 'API keys', view: () => <Keys /> },
      { path: '/playground', label: 'Playground', view: () => <Playground /> },
      { path: '/top-up', label: 'Top up', view: (settings) => <TopUp settings={settings} /> },
      { path: '/usage', label: 'Usage', view: () => <Usage /> },
      { path: '/statement', label: 'Statement', view: () => <Statement /> },
      { path: '/sessions', label: 'Sessions', view: () => <Sessions onSignedOut={signedOut} /> },
      { path: '/settings', label: 'Settings', view: () => <Settings onSignedOut={signedOut} /> },
    ],
  },
  {
    title: 'Provider',
    roles: ['provider'],
    pages: [
      { path: '/provider/nodes', label: 'My nodes', view: () => <ProviderNodes /> },
      { path: '/provider/earnings', label: 'Earnings', view: () => <ProviderEarnings /> },
      { path: '/provider/payouts', label: 'Payouts', view: () => <ProviderPayouts /> },
    ],
  },
  {
    title: 'Finance',
    roles: ['finance', 'admin'],
    pages: [
      { path: '/finance/trial-balance', label: 'Trial balance', view: () => <TrialBalancePage /> },
      { path: '/finance/journal', label: 'Journal', view: () => <JournalPage /> },
      { path: '/finance/statement', label: 'Account statement', view: () => <StatementPage /> },
      { path: '/finance/payouts', label: 'Payouts', view: () => <FinancePayoutsPage /> },
      { path: '/finance/reconciliation', label: 'Reconciliation', view: () => <ReconciliationPage /> },
      { path: '/finance/refunds', label: 'Refunds and disputes', view: () => <RefundsDisputesPage /> },
    ],
  },
  { title: 'Support', roles: ['support', 'admin'], pages: [{ path: '/support', label: 'Account replay', view: () => <SupportPage /> }] },
  {
    title: 'Admin',
    roles: ['admin'],
    pages: [
      { path: '/admin/accounts', label: 'Accounts', view: () => <AdminAccountsPage /> },
      { path: '/admin/nodes', label: 'All nodes', view: () => <AdminNodesPage /> },
      { path: '/admin/prices', label: 'Prices', view: () => <PricesPage /> },
      { path: '/admin/refunds', label: 'Refunds', view: () => <AdminRefundsPage /> },
      { path: '/admin/node-reviews', label: 'Node reviews', view: () => <NodeReviewsPage /> },
      { path: '/admin/audit-log', label: 'Audit log', view: () => <AuditLogPage /> },
      { path: '/admin/network', label: 'Network', view: () => <NetworkPage /> },
    ],
  },
];

export function App() {
  const path = usePath();
  // 'pending': signed in, but the eligibility step (age, terms) is still to do.
  const [account, setAccount] = useState<Account | null | undefined | 'pending'>(undefined);
  const [settings, setSettings] = useState<ConsoleSettings | null | undefined>(undefined);
  const [menuOpen, setMenuOpen] = useState(false);

  const loadAccount = useCallback(() => {
    loadMe().then(setAccount, (err: unknown) => setAccount(err instanceof ApiError && err.code === 'eligibility_pending' ? 'pending' : null));
  }, []);

  useEffect(() => {
    whenSignedOut(() => setAccount(null));
    signedOut = () => setAccount(null);
    loadAccount();
    // The page's own settings (what sign-in offers, where Checkout's script is): a static file, not an API route.
    fetch('/console/settings.json')
      .then((r) => (r.ok ? (r.json() as Promise<ConsoleSettings>) : null))
      .then(setSettings, () => setSettings(null));
  }, [loadAccount]);

  useEffect(() => setMenuOpen(false), [path]);

  if (account === undefined) return <Loading what="the console" />;
  if (account === null) return <SignIn settings={settings ?? null} onSignedIn={loadAccount} />;
  if (account === 'pending')
    return (
      <EligibilityStep
        onConfirmed={loadAccount}
        onSignOut={() =>
          void signOut()
            .catch(() => undefined)
            .then(() => setAccount(null))
        }
      />
    );

  const sections = SECTIONS.filter((s) => s.roles === null || s.roles.some((r) => account.roles.includes(r)));
  const pages = sections.flatMap((s) => s.pages);
  const page = pages.find((p) => p.path === path) ?? pages[0];
  return (
    <div className="shell">
      <header className="topbar">
        <a
          className="brand"
          href="/console/"
          onClick={(e) => {
            e.preventDefault();
            navigate('/');
          }}
        >
          Tollgate
        </a>
        <button type="button" className="menu-toggle secondary" aria-expanded={menuOpen} aria-controls="nav" onClick={() => setMenuOpen(!menuOpen)}>
          Menu
        </button>
        <nav id="nav" className={menuOpen ? 'open' : ''} aria-label="Console">
          {sections.map((s) => (
            <div className="nav-section" key={s.title}>
              {sections.length > 1 ? <span className="nav-title">{s.title}</span> : null}
              {s.pages.map((p) => (
                <a
                  key={p.path}
                  href={`/console${p.path}`}
                  aria-current={p === page ? 'page' : undefined}
                  onClick={(e) => {
                    e.preventDefault();
                    navigate(p.path);
                  }}
                >
                  {p.label}
                </a>
              ))}
            </div>
          ))}
        </nav>
        <div className="who">
          <span className="muted small" data-testid="signed-in-as">
            {account.email ?? account.displayName ?? 'Signed in'}
          </span>
          <button
            type="button"
            className="secondary"
            onClick={async () => {
              await signOut().catch(() => undefined);
              setAccount(null);
              navigate('/');
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <main className="content">
        <Suspense fallback={<Loading what="the page" />}>{page.view(settings)}</Suspense>
      </main>
    </div>
  );
}
