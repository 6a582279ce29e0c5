// For admins: the users (create, change role, disable) and the coins (add,
// remove). The daemon checks the role on every call; this page only hides
// what a non-admin could not do anyway.
import * as api from '../api.js';
import { h, fill, field, showErrors, toast } from '../dom.js';

const pageSize = 50;

export async function render(main) {
  main.append(h('h1', {}, 'Admin'));
  const users = h('tbody', { id: 'user-rows' });
  const pager = h('div.row');
  let offset = 0;
  async function loadUsers() {
    const page = await api.api('GET', `/api/users?limit=${pageSize}&offset=${offset}`);
    fill(users, page.items.map((u) => {
      const role = h('select', { 'aria-label': `Role of ${u.email}` }, ['user', 'admin'].map((r) => h('option', { value: r, selected: r === u.role }, r)));
      role.addEventListener('change', () => patch(u, { role: role.value }));
      const disable = h('button', { type: 'button', onclick: () => patch(u, { disabled: !u.disabled }) }, u.disabled ? 'Enable' : 'Disable');
      return h('tr', {}, h('td', {}, u.email), h('td', {}, role), h('td', {}, u.disabled ? 'disabled' : 'enabled'), h('td', {}, disable));
    }));
    fill(pager,
      h('button', { type: 'button', disabled: offset === 0, onclick: () => { offset -= pageSize; loadUsers(); } }, 'Previous'),
      h('span', {}, `${page.total ? offset + 1 : 0}–${offset + page.items.length} of ${page.total}`),
      h('button', { type: 'button', disabled: offset + page.items.length >= page.total, onclick: () => { offset += pageSize; loadUsers(); } }, 'Next'));
  }
  async function patch(u, body) {
    try {
      await api.api('PATCH', `/api/users/${u.id}`, body);
      toast(`${u.email} updated`);
    } catch (err) {
      if (!(err instanceof api.ApiError)) throw err;
      toast(err.message, 'error');
    }
    loadUsers();
  }
  const email = h('input', { type: 'email', autocomplete: 'off' });
  const password = h('input', { type: 'password', autocomplete: 'new-password' });
  const role = h('select', {}, h('option', { value: 'user' }, 'user'), h('option', { value: 'admin' }, 'admin'));
  const userForm = h('form.stack.panel', { novalidate: true, 'aria-label': 'New user' }, h('strong', {}, 'New user'),
    field('Email', email, 'email'), field('Password', password, 'password'), field('Role', role, 'role'),
    h('p.form-error', { role: 'alert' }), h('div.row', {}, h('button.primary', { type: 'submit' }, 'Create user')));
  userForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      showErrors(userForm, null);
      await api.api('POST', '/api/users', { email: email.value.trim(), password: password.value, role: role.value });
      userForm.reset();
      toast('User created');
      loadUsers();
    } catch (err) {
      if (!(err instanceof api.ApiError)) throw err;
      showErrors(userForm, err.problem);
    }
  });
  main.append(h('h2', {}, 'Users'), userForm,
    h('div.table-scroll', {}, h('table', { 'aria-label': 'Users' }, h('thead', {}, h('tr', {}, ['Email', 'Role', 'State', ''].map((t) => h('th', { scope: 'col' }, t)))), users)), pager);

  const coins = h('ul', { id: 'coin-list' });
  async function loadCoins() {
    const { items } = await api.publicApi('GET', '/api/coins');
    fill(coins, items.map((c) => h('li.row', {}, h('span', {}, c.symbol),
      h('button.danger', { type: 'button', 'aria-label': `Remove ${c.symbol}`, onclick: () => removeCoin(c.symbol) }, 'Remove'))));
  }
  async function removeCoin(symbol) {
    try {
      await api.api('DELETE', `/api/coins/${symbol}`);
      toast(`${symbol} removed`);
    } catch (err) {
      if (!(err instanceof api.ApiError)) throw err;
      toast(err.message, 'error');
    }
    loadCoins();
  }
  const symbol = h('input', { autocomplete: 'off', placeholder: 'ETHUSDT' });
  const coinForm = h('form.stack.panel', { novalidate: true, 'aria-label': 'Add a coin' }, field('Symbol', symbol, 'symbol'),
    h('p.form-error', { role: 'alert' }), h('div.row', {}, h('button.primary', { type: 'submit' }, 'Add coin')));
  coinForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      showErrors(coinForm, null);
      await api.api('POST', '/api/coins', { symbol: symbol.value.trim().toUpperCase() });
      symbol.value = '';
      loadCoins();
    } catch (err) {
      if (!(err instanceof api.ApiError)) throw err;
      showErrors(coinForm, err.problem);
    }
  });
  main.append(h('h2', {}, 'Coins'), coinForm, coins);
  await Promise.all([loadUsers(), loadCoins()]);
}
