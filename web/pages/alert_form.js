// Creating and editing an alert, price or move, with the API's errors[]
// shown beside the fields they name; an existing alert's pause, re-arm,
// delete and history (its events) on the same page.
import * as api from '../api.js';
import * as stream from '../stream.js';
import { h, fill, field, showErrors, formatTime, toast } from '../dom.js';

const channelNames = ['email', 'webhook', 'telegram', 'discord', 'slack', 'ntfy'];

function options(list, value) {
  return list.map(([v, text]) => h('option', { value: v, selected: v === value }, text));
}

// RFC 3339 (UTC) from a datetime-local value, and back.
const toRfc3339 = (local) => (local ? new Date(local).toISOString().replace(/\.\d{3}Z$/, 'Z') : null);
function toLocal(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function eventText(e) {
  const parts = [e.type];
  if (e.price) parts.push(`at ${e.price}`);
  if (e.reference_price) parts.push(`from ${e.reference_price}`);
  if (e.channel) parts.push(`via ${e.channel}`);
  if (e.attempt) parts.push(`attempt ${e.attempt}`);
  if (e.outcome) parts.push(`(${e.outcome})`);
  if (e.backfilled) parts.push('(backfilled)');
  return parts.join(' ');
}

export async function render(main, { name, params, query, navigate }) {
  const editing = name === 'edit';
  const alert = editing ? await api.api('GET', `/api/alerts/${params[0]}`) : null;
  const coins = (await api.publicApi('GET', '/api/coins')).items.map((c) => c.symbol);
  const kind = alert?.kind || (query.get('kind') === 'move' ? 'move' : 'price');

  const kindSelect = h('select', { disabled: editing }, options([['price', 'Price level'], ['move', 'Percent move']], kind));
  const symbol = h('select', { disabled: editing }, options(coins.map((c) => [c, c]), alert?.symbol || query.get('symbol') || coins[0]));
  const target = h('input', { inputmode: 'decimal', autocomplete: 'off', value: alert?.target_price ?? query.get('price') ?? '' });
  const priceDirection = h('select', {}, options([['', 'From the last price'], ['above', 'Above'], ['below', 'Below']], alert?.kind !== 'move' ? alert?.direction ?? '' : ''));
  const percent = h('input', { inputmode: 'decimal', autocomplete: 'off', value: alert?.percent ?? '' });
  const windowSeconds = h('input', { type: 'number', min: 60, max: 86400, value: alert?.window_seconds ?? 3600 });
  const moveDirection = h('select', {}, options([['up', 'Up'], ['down', 'Down']], alert?.kind === 'move' ? alert.direction : 'up'));
  const label = h('input', { maxlength: 200, autocomplete: 'off', value: alert?.name ?? '' });
  const repeat = h('select', {}, options([['once', 'Once, then wait for a re-arm'], ['every', 'Every time (after the cooldown)']], alert?.repeat ?? 'once'));
  const cooldown = h('input', { type: 'number', min: 60, max: 2592000, value: alert?.cooldown_seconds ?? 3600 });
  const expires = h('input', { type: 'datetime-local', value: toLocal(alert?.expires_at) });
  const chosen = new Set(alert?.channels ?? ['email']);
  const channelBoxes = channelNames.map((c) => h('input', { type: 'checkbox', value: c, checked: chosen.has(c), id: `ch-${c}` }));
  const channels = h('fieldset.checks', { 'aria-describedby': 'channels-error' }, h('legend', {}, 'Channels'),
    channelBoxes.map((box) => h('label', { for: box.id }, box, ` ${box.value}`)));

  const priceFields = h('div.stack', {}, field('Target price', target, 'target_price'), field('Direction', priceDirection, 'direction'));
  const moveFields = h('div.stack', {}, field('Percent', percent, 'percent'), field('Window (seconds)', windowSeconds, 'window_seconds'), field('Direction', moveDirection, 'direction'));
  const showKind = () => {
    priceFields.hidden = kindSelect.value !== 'price';
    moveFields.hidden = kindSelect.value !== 'move';
  };
  kindSelect.addEventListener('change', showKind);
  showKind();

  const submit = h('button.primary', { type: 'submit' }, editing ? 'Save changes' : 'Create alert');
  const form = h('form.stack', { novalidate: true, id: 'alert-form' },
    field('Kind', kindSelect, 'kind'), field('Coin', symbol, 'symbol'), priceFields, moveFields,
    field('Name (optional)', label, 'name'), field('Repeat', repeat, 'repeat'),
    field('Cooldown (seconds)', cooldown, 'cooldown_seconds'), field('Expires (optional)', expires, 'expires_at'),
    channels, h('span.field-error', { id: 'channels-error', dataset: { field: 'channels' } }),
    h('p.form-error', { role: 'alert' }), h('div.row', {}, submit));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {};
    if (!editing) {
      body.symbol = symbol.value;
      if (kindSelect.value === 'move') body.kind = 'move';
    }
    if (kindSelect.value === 'move') {
      body.percent = percent.value.trim();
      body.window_seconds = Number(windowSeconds.value);
      body.direction = moveDirection.value;
    } else {
      body.target_price = target.value.trim();
      if (priceDirection.value) body.direction = priceDirection.value;
    }
    body.name = label.value === '' ? null : label.value;
    body.repeat = repeat.value;
    body.cooldown_seconds = Number(cooldown.value);
    body.expires_at = toRfc3339(expires.value);
    if (!editing && body.expires_at === null) delete body.expires_at;
    body.channels = channelBoxes.filter((b) => b.checked).map((b) => b.value);
    submit.disabled = true;
    try {
      showErrors(form, null);
      const saved = editing
        ? await api.api('PATCH', `/api/alerts/${alert.id}`, body)
        : await api.api('POST', '/api/alerts', body);
      toast(editing ? 'Alert saved' : 'Alert created');
      navigate(editing ? `/alerts/${saved.id}` : '/alerts', { replace: editing });
    } catch (err) {
      if (!(err instanceof api.ApiError)) throw err;
      showErrors(form, err.problem);
    } finally {
      submit.disabled = false;
    }
  });

  main.append(h('h1', {}, editing ? `Alert ${alert.id}: ${alert.symbol}` : 'New alert'));
  if (!editing) {
    main.append(form);
    form.querySelector('select:not([disabled]), input')?.focus();
    return undefined;
  }

  const statusLine = h('p', { id: 'alert-status' });
  const actions = h('div.row');
  const events = h('ol.events', { id: 'alert-events' });
  const showStatus = (a) => {
    fill(statusLine, 'Status: ', h('span.status', { dataset: { status: a.status } }, a.status),
      a.triggered_at ? ` · last fired ${formatTime(a.triggered_at)} at ${a.trigger_price} (${a.trigger_count}×)` : '');
    const patch = (status, done) => async () => {
      try {
        showStatus(await api.api('PATCH', `/api/alerts/${a.id}`, { status }));
        toast(done);
        loadEvents();
      } catch (err) {
        if (!(err instanceof api.ApiError)) throw err;
        toast(err.message, 'error');
      }
    };
    fill(actions,
      a.status === 'active' && h('button', { type: 'button', onclick: patch('disabled', 'Paused') }, 'Pause'),
      (a.status === 'triggered' || a.status === 'disabled') && h('button', { type: 'button', onclick: patch('active', 'Re-armed') }, 'Re-arm'),
      a.status !== 'deleted' && h('button.danger', { type: 'button', id: 'delete-alert', onclick: del }, 'Delete'));
  };
  async function del(e) {
    if (e.currentTarget.dataset.confirm !== 'true') {
      e.currentTarget.dataset.confirm = 'true';
      e.currentTarget.textContent = 'Really delete?';
      return;
    }
    await api.api('DELETE', `/api/alerts/${alert.id}`);
    toast('Alert deleted');
    navigate('/alerts');
  }
  async function loadEvents() {
    const page = await api.api('GET', `/api/alerts/${alert.id}/events?limit=100`);
    fill(events, page.items.map((ev) => h('li', {}, h('time', { datetime: ev.time }, formatTime(ev.time)), ' ', eventText(ev))));
  }
  showStatus(alert);
  main.append(
    statusLine,
    actions,
    alert.name ? h('p', {}, 'Name: ', h('span.alert-name', {}, alert.name)) : null,
    h('h2', {}, 'Edit'),
    form,
    h('h2', {}, 'History'),
    events,
  );
  await loadEvents();
  return stream.on('alert', ({ alert: a }) => {
    if (a.id !== alert.id) return;
    showStatus(a);
    loadEvents();
  });
}
