// The alert list: status, symbol and kind filters (kept in the URL's query,
// so a reload or the back button keeps them), paging, and per row pause,
// re-arm and delete. Rows update live from the stream's `alert` events.
import * as api from '../api.js';
import * as stream from '../stream.js';
import { h, fill, field, formatTime, toast } from '../dom.js';

const pageSize = 20;

export function describe(a) {
  return a.kind === 'move'
    ? `${a.direction} ${a.percent}% in ${a.window_seconds}s`
    : `${a.direction} ${a.target_price}`;
}

function select(options, value) {
  return h('select', {}, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
}

export async function render(main, { query, navigate }) {
  const state = {
    status: query.get('status') || '',
    symbol: query.get('symbol') || '',
    kind: query.get('kind') || '',
    offset: Math.max(0, Number(query.get('offset')) || 0),
  };
  // A daemon whose list does not take `kind` (422 naming it) gets the
  // filter applied here, over its first 1000 alerts.
  let kindInPage = false;
  async function fetchPage(params) {
    if (!kindInPage || !params.kind) {
      try {
        return await api.api('GET', `/api/alerts${api.query({ ...params, limit: pageSize, offset: state.offset })}`);
      } catch (e) {
        if (!params.kind || e.status !== 422 || !(e.problem.errors || []).some((x) => x.field === 'kind')) throw e;
        kindInPage = true;
      }
    }
    const all = await api.api('GET', `/api/alerts${api.query({ status: params.status, symbol: params.symbol, limit: 1000 })}`);
    const items = all.items.filter((a) => (a.kind || 'price') === params.kind);
    return { items: items.slice(state.offset, state.offset + pageSize), total: items.length };
  }

  // The coins (for the filter) and the first page load together.
  const firstPage = fetchPage({ status: state.status, symbol: state.symbol, kind: state.kind }).catch((e) => e);
  const coins = (await api.publicApi('GET', '/api/coins')).items.map((c) => c.symbol);
  const status = select([['', 'Any (not deleted)'], ['active', 'Active'], ['triggered', 'Triggered'], ['disabled', 'Paused'], ['expired', 'Expired'], ['deleted', 'Deleted']], state.status);
  const symbol = select([['', 'Any'], ...coins.map((c) => [c, c])], state.symbol);
  const kind = select([['', 'Any'], ['price', 'Price'], ['move', 'Move']], state.kind);
  const body = h('tbody', { id: 'alert-rows' });
  const pager = h('div.row', { id: 'pager' });
  const error = h('p.form-error', { role: 'alert' });
  main.append(
    h('h1', {}, 'Alerts'),
    h('div.filters', {}, field('Status', status, 'status'), field('Coin', symbol, 'symbol'), field('Kind', kind, 'kind'),
      h('a.button.primary', { href: '/alerts/new', 'data-link': '' }, 'New alert')),
    error,
    h('div.table-scroll', {}, h('table', { 'aria-label': 'Your alerts' },
      h('thead', {}, h('tr', {}, ['Status', 'Coin', 'Alert', 'Name', 'Fired', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
      body)),
    pager,
  );
  for (const [el, key] of [[status, 'status'], [symbol, 'symbol'], [kind, 'kind']]) {
    el.addEventListener('change', () => {
      state[key] = el.value;
      state.offset = 0;
      load(true);
    });
  }

  const rows = new Map();
  function row(a) {
    const actions = h('div.row');
    const act = async (fn, done) => {
      try {
        const updated = await fn();
        if (updated) replace(updated);
        if (done) toast(done);
      } catch (e) {
        if (!(e instanceof api.ApiError)) throw e;
        toast(e.message, 'error');
      }
    };
    if (a.status === 'active') actions.append(h('button', { type: 'button', onclick: () => act(() => api.api('PATCH', `/api/alerts/${a.id}`, { status: 'disabled' }), 'Paused') }, 'Pause'));
    if (a.status === 'triggered' || a.status === 'disabled')
      actions.append(h('button', { type: 'button', onclick: () => act(() => api.api('PATCH', `/api/alerts/${a.id}`, { status: 'active' }), 'Re-armed') }, 'Re-arm'));
    if (a.status !== 'deleted') {
      actions.append(h('a.button', { href: `/alerts/${a.id}`, 'data-link': '' }, 'Edit'));
      const del = h('button.danger', { type: 'button' }, 'Delete');
      del.addEventListener('click', () => {
        if (del.dataset.confirm !== 'true') {
          del.dataset.confirm = 'true';
          del.textContent = 'Really delete?';
          return;
        }
        act(async () => {
          await api.api('DELETE', `/api/alerts/${a.id}`);
          rows.get(a.id)?.remove();
          rows.delete(a.id);
        }, 'Deleted');
      });
      actions.append(del);
    }
    const tr = h('tr', { dataset: { alert: a.id, status: a.status } },
      h('td', {}, h('span.status', { dataset: { status: a.status } }, a.status)),
      h('td', {}, h('a', { href: `/coins/${a.symbol}`, 'data-link': '' }, a.symbol)),
      h('td', {}, describe(a)),
      h('td.alert-name', {}, a.name ?? ''),
      h('td', {}, a.triggered_at ? `${formatTime(a.triggered_at)} at ${a.trigger_price}` : ''),
      h('td', {}, actions));
    return tr;
  }
  function replace(a) {
    const old = rows.get(a.id);
    if (!old) return;
    const tr = row(a);
    old.replaceWith(tr);
    rows.set(a.id, tr);
  }

  let first = firstPage;
  async function load(push) {
    const params = { status: state.status, symbol: state.symbol, kind: state.kind, offset: state.offset || '' };
    const url = `/alerts${api.query(params)}`;
    if (push) history.replaceState(null, '', url);
    error.textContent = '';
    let page;
    try {
      page = first ? await first : await fetchPage(params);
      first = null;
      if (page instanceof Error) throw page;
    } catch (e) {
      if (!(e instanceof api.ApiError)) throw e;
      error.textContent = e.problem.errors?.map((x) => `${x.field}: ${x.message}`).join('; ') || e.message;
      fill(body);
      fill(pager);
      return;
    }
    rows.clear();
    fill(body, page.items.map((a) => {
      const tr = row(a);
      rows.set(a.id, tr);
      return tr;
    }));
    if (!page.items.length) fill(body, h('tr', {}, h('td', { colspan: 6 }, 'No alerts here.')));
    const from = page.total ? state.offset + 1 : 0;
    const last = state.offset + page.items.length;
    const prev = h('button', { type: 'button', disabled: state.offset === 0, onclick: () => { state.offset = Math.max(0, state.offset - pageSize); load(true); } }, 'Previous');
    const next = h('button', { type: 'button', disabled: last >= page.total, onclick: () => { state.offset += pageSize; load(true); } }, 'Next');
    fill(pager, prev, h('span', { role: 'status' }, `${from}–${last} of ${page.total}`), next);
    body.dataset.ready = 'true';
    performance.mark('kryptod:alerts-ready'); // for the first-load benchmark
  }
  await load(false);

  return stream.on('alert', ({ alert, event }) => {
    if (rows.has(alert.id)) replace(alert);
    else if (event?.type === 'created' && state.offset === 0) load(false);
  });
}
