// The app's shell: the router (History API paths, so a reload or a link
// from an email lands on the same page; the daemon answers every such path
// with index.html), the navigation, the live-stream status and the fire
// toast. Each page is a module exporting render(main, params, query) that
// may return a cleanup function, called when the user leaves the page.
import * as api from './api.js';
import * as stream from './stream.js';
import { h, fill, toast } from './dom.js';

const publicRoutes = [
  [/^\/login$/, () => import('./pages/login.js'), 'login'],
  [/^\/register$/, () => import('./pages/login.js'), 'register'],
  [/^\/forgot-password$/, () => import('./pages/login.js'), 'forgot'],
  [/^\/reset-password$/, () => import('./pages/login.js'), 'reset'],
  [/^\/verify-email$/, () => import('./pages/login.js'), 'verify'],
];
const privateRoutes = [
  [/^\/$/, () => import('./pages/coins.js'), 'coins'],
  [/^\/coins\/([A-Z0-9]{2,20})$/, () => import('./pages/chart.js'), 'chart'],
  [/^\/alerts$/, () => import('./pages/alerts.js'), 'list'],
  [/^\/alerts\/new$/, () => import('./pages/alert_form.js'), 'new'],
  [/^\/alerts\/(\d+)$/, () => import('./pages/alert_form.js'), 'edit'],
  [/^\/settings$/, () => import('./pages/settings.js'), 'settings'],
  [/^\/admin$/, () => import('./pages/admin.js'), 'admin'],
];

const main = document.getElementById('main');
let cleanup = null;

export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  route();
}

function renderNav() {
  const nav = document.getElementById('nav');
  const here = location.pathname;
  const link = (href, text) =>
    h('a', { href, 'data-link': '', 'aria-current': here === href ? 'page' : undefined }, text);
  if (!api.signedIn()) {
    fill(nav, link('/login', 'Sign in'), link('/register', 'Register'));
    return;
  }
  fill(
    nav,
    link('/', 'Coins'),
    link('/alerts', 'Alerts'),
    link('/alerts/new', 'New alert'),
    link('/settings', 'Settings'),
    api.isAdmin() && link('/admin', 'Admin'),
    h('button', { type: 'button', id: 'logout', onclick: onLogout }, 'Sign out'),
  );
}

async function onLogout() {
  await api.logout().catch(() => {});
  navigate('/login');
}

async function route() {
  if (cleanup) {
    try {
      cleanup();
    } catch (e) {
      console.error(e);
    }
    cleanup = null;
  }
  const path = location.pathname.replace(/\/+$/, '') || '/';
  const query = new URLSearchParams(location.search);
  renderNav();
  for (const [re, load, name] of publicRoutes) {
    const m = path.match(re);
    if (m) return show(load, name, m.slice(1), query);
  }
  if (!api.signedIn()) {
    const back = path === '/' ? '' : `?next=${encodeURIComponent(path + location.search)}`;
    return navigate(`/login${back}`, { replace: true });
  }
  for (const [re, load, name] of privateRoutes) {
    const m = path.match(re);
    if (m) return show(load, name, m.slice(1), query);
  }
  fill(main, h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '/', 'data-link': '' }, 'Back to the coins')));
}

async function show(load, name, params, query) {
  const page = await load();
  const token = {};
  show.current = token;
  fill(main);
  const done = await page.render(main, { name, params, query, navigate });
  if (show.current !== token) {
    if (typeof done === 'function') done();
    return;
  }
  cleanup = typeof done === 'function' ? done : null;
  document.title = `${main.querySelector('h1')?.textContent || 'kryptod'} · kryptod`;
}

// Links marked data-link change the page without a reload.
document.addEventListener('click', (e) => {
  const a = e.target.closest?.('a[data-link]');
  if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
  e.preventDefault();
  navigate(a.getAttribute('href'));
});
window.addEventListener('popstate', route);

const live = document.getElementById('live');
stream.on('state', (on) => {
  live.dataset.on = String(on);
  live.textContent = on ? 'live' : '';
});
stream.on('alert', ({ alert, event }) => {
  if (event?.type !== 'triggered') return;
  const what = alert.kind === 'move'
    ? `${alert.symbol} moved ${alert.direction} ${alert.percent}%`
    : `${alert.symbol} ${alert.direction} ${alert.target_price}`;
  const t = toast(`Alert fired: ${what} at ${event.price ?? alert.trigger_price}`, 'fire');
  if (alert.name) t.append(h('div', {}, alert.name));
});

api.onAuthChange((on) => {
  if (on) stream.start();
  else stream.stop();
  renderNav();
});

window.addEventListener('error', (e) => toast(`Error: ${e.message}`, 'error'));
// A blocked resource means the page and the daemon's policy disagree: say so.
document.addEventListener('securitypolicyviolation', (e) =>
  console.error(`Content Security Policy blocked ${e.blockedURI || 'inline code'} (${e.violatedDirective})`));
window.addEventListener('unhandledrejection', (e) => {
  if (!(e.reason instanceof api.ApiError)) return;
  e.preventDefault(); // shown as a toast; not a programming error
  toast(e.reason.message, 'error');
});

// The page's module loads while the session resumes, not after it.
for (const [re, load] of [...publicRoutes, ...privateRoutes]) {
  if (re.test(location.pathname.replace(/\/+$/, '') || '/')) {
    load();
    break;
  }
}
await api.resume();
route();
