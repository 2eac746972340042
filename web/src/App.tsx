import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { get, post, whenSignedOut } from './api';
import { Loading } from './components/ui';
import { Keys } from './pages/Keys';
import { Overview } from './pages/Overview';
import { SignIn } from './pages/SignIn';
import { Usage } from './pages/Usage';
import { navigate, usePath } from './router';
import { Account, ConsoleSettings } from './types';

// The playground brings the OpenAI SDK: loaded when first opened, not with the console.
const Playground = lazy(() => import('./pages/Playground'));

const PAGES = [
  { path: '/', label: 'Overview', view: () => <Overview /> },
  { path: '/keys', label: 'API keys', view: () => <Keys /> },
  { path: '/playground', label: 'Playground', view: () => <Playground /> },
  { path: '/usage', label: 'Usage', view: () => <Usage /> },
];

export function App() {
  const path = usePath();
  const [account, setAccount] = useState<Account | null | undefined>(undefined);
  const [settings, setSettings] = useState<ConsoleSettings | null>(null);
  const [menuOpen, setMenuOpen] = useState(false);

  const loadAccount = useCallback(() => {
    get<Account>('/me').then(setAccount, () => setAccount(null));
  }, []);

  useEffect(() => {
    whenSignedOut(() => setAccount(null));
    loadAccount();
    get<ConsoleSettings>('/console/settings.json').then(setSettings, () => setSettings(null));
  }, [loadAccount]);

  useEffect(() => setMenuOpen(false), [path]);

  if (account === undefined) return <Loading what="the console" />;
  if (account === null) return <SignIn settings={settings} onSignedIn={loadAccount} />;

  const page = PAGES.find((p) => p.path === path) ?? PAGES[0];
  return (
    <div className="shell">
      <header className="topbar">
        <a className="brand" href="/console/" onClick={(e) => { e.preventDefault(); navigate('/'); }}>
          Tollgate
        </a>
        <button type="button" className="menu-toggle secondary" aria-expanded={menuOpen} aria-controls="nav" onClick={() => setMenuOpen(!menuOpen)}>
          Menu
        </button>
        <nav id="nav" className={menuOpen ? 'open' : ''} aria-label="Console">
          {PAGES.map((p) => (
            <a key={p.path} href={`/console${p.path}`} aria-current={p === page ? 'page' : undefined} onClick={(e) => { e.preventDefault(); navigate(p.path); }}>
              {p.label}
            </a>
          ))}
        </nav>
        <div className="who">
          <span className="muted small" data-testid="signed-in-as">{account.email ?? account.displayName ?? 'Signed in'}</span>
          <button
            type="button"
            className="secondary"
            onClick={async () => {
              await post('/auth/logout').catch(() => undefined);
              setAccount(null);
              navigate('/');
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <main className="content">
        <Suspense fallback={<Loading what="the page" />}>{page.view()}</Suspense>
      </main>
    </div>
  );
}
