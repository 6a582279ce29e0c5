// The user's channels (webhook with its secret shown once, Telegram link
// with a QR code, Discord, Slack, ntfy) and alert import and export.
import * as api from '../api.js';
import { h, fill, field, showErrors, toast } from '../dom.js';
import qrcode from '../vendor/qrcode-generator-2.0.4.mjs';

// A form that PATCHes /api/auth/me with what `body()` returns.
function meForm(id, title, fields, body, after) {
  const f = h('form.stack.panel', { novalidate: true, id, 'aria-label': title },
    h('h2', {}, title), ...fields, h('p.form-error', { role: 'alert' }),
    h('div.row', {}, h('button.primary', { type: 'submit' }, 'Save'),
      h('button', { type: 'button', onclick: () => save(true) }, 'Remove')));
  async function save(remove) {
    try {
      showErrors(f, null);
      const me = await api.api('PATCH', '/api/auth/me', body(remove));
      toast(remove ? `${title}: removed` : `${title}: saved`);
      after?.(me, remove);
    } catch (err) {
      if (!(err instanceof api.ApiError)) throw err;
      showErrors(f, err.problem);
    }
  }
  f.addEventListener('submit', (e) => {
    e.preventDefault();
    save(false);
  });
  return f;
}

// Draws `text` as a QR code on a canvas (no image URL, so no data: source).
export function qrCanvas(text) {
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount();
  const canvas = h('canvas.qr', { width: n, height: n, role: 'img', 'aria-label': 'QR code of the Telegram link' });
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, n, n);
  ctx.fillStyle = '#000';
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (qr.isDark(r, c)) ctx.fillRect(c, r, 1, 1);
  return canvas;
}

function download(name, blob) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export async function render(main) {
  const me = await api.api('GET', '/api/auth/me');
  main.append(h('h1', {}, 'Settings'), h('p', {}, 'Signed in as ', h('strong', { id: 'me-email' }, me.email), me.role === 'admin' ? ' (admin)' : ''));

  const secret = h('div', { id: 'webhook-secret' });
  const webhook = h('input', { type: 'url', autocomplete: 'off', value: me.webhook_url ?? '', placeholder: 'https://example.com/hook' });
  main.append(meForm('webhook-form', 'Webhook', [field('Webhook URL', webhook, 'webhook_url'), secret],
    (remove) => ({ webhook_url: remove ? null : webhook.value.trim() }),
    (res, remove) => {
      if (remove) webhook.value = '';
      fill(secret, res.webhook_secret
        ? [h('p', {}, 'Signing secret, shown only now; keep it to check X-Kryptod-Signature:'), h('p.secret', {}, res.webhook_secret)]
        : []);
    }));

  const telegramOut = h('div', { id: 'telegram-link' });
  const telegram = h('section.panel', { 'aria-label': 'Telegram' }, h('h2', {}, 'Telegram'),
    h('p', {}, me.telegram_linked || me.telegram_chat_id ? 'A Telegram chat is linked.' : 'Link a Telegram chat: open the link (or scan the code) and press Start.'),
    h('div.row', {},
      h('button.primary', { type: 'button', onclick: linkTelegram }, 'Link Telegram'),
      h('button', { type: 'button', onclick: unlinkTelegram }, 'Unlink')),
    telegramOut);
  async function linkTelegram() {
    try {
      const { link } = await api.api('POST', '/api/auth/me/telegram');
      fill(telegramOut, h('p', {}, h('a.button', { href: link, rel: 'noreferrer', target: '_blank' }, 'Open Telegram')), qrCanvas(link),
        h('p.muted', {}, 'The link works once, for 15 minutes.'));
    } catch (err) {
      if (!(err instanceof api.ApiError)) throw err;
      fill(telegramOut, h('p.form-error', { role: 'alert' }, err.message));
    }
  }
  async function unlinkTelegram() {
    try {
      await api.api('DELETE', '/api/auth/me/telegram');
      fill(telegramOut, h('p', {}, 'Unlinked.'));
    } catch (err) {
      if (!(err instanceof api.ApiError)) throw err;
      fill(telegramOut, h('p.form-error', { role: 'alert' }, err.message));
    }
  }
  main.append(telegram);

  const discord = h('input', { type: 'url', autocomplete: 'off', value: me.discord_webhook_url ?? '' });
  main.append(meForm('discord-form', 'Discord', [field('Discord webhook URL', discord, 'discord_webhook_url')],
    (remove) => ({ discord_webhook_url: remove ? null : discord.value.trim() }), (_, r) => { if (r) discord.value = ''; }));
  const slack = h('input', { type: 'url', autocomplete: 'off', value: me.slack_webhook_url ?? '' });
  main.append(meForm('slack-form', 'Slack', [field('Slack webhook URL', slack, 'slack_webhook_url')],
    (remove) => ({ slack_webhook_url: remove ? null : slack.value.trim() }), (_, r) => { if (r) slack.value = ''; }));
  const ntfy = h('input', { type: 'url', autocomplete: 'off', value: me.ntfy_url ?? '', placeholder: 'https://ntfy.sh/your-topic' });
  const ntfyToken = h('input', { type: 'password', autocomplete: 'off', placeholder: me.ntfy_url ? '(unchanged)' : '' });
  main.append(meForm('ntfy-form', 'ntfy', [field('ntfy topic URL', ntfy, 'ntfy_url'), field('Access token (optional, never shown again)', ntfyToken, 'ntfy_token')],
    (remove) => {
      if (remove) return { ntfy_url: null };
      const body = { ntfy_url: ntfy.value.trim() };
      if (ntfyToken.value) body.ntfy_token = ntfyToken.value;
      return body;
    }, (_, r) => { ntfyToken.value = ''; if (r) ntfy.value = ''; }));

  // Import and export (JSON or CSV, as the daemon takes and gives them).
  const file = h('input', { type: 'file', accept: '.json,.csv,application/json,text/csv' });
  const importOut = h('div', { id: 'import-result', role: 'status' });
  const importForm = h('form.stack.panel', { id: 'import-form', 'aria-label': 'Import alerts' },
    h('h2', {}, 'Import and export'),
    h('div.row', {},
      h('button', { type: 'button', id: 'export-json', onclick: () => exportAs('json') }, 'Export JSON'),
      h('button', { type: 'button', id: 'export-csv', onclick: () => exportAs('csv') }, 'Export CSV')),
    field('Alerts file to import (JSON or CSV)', file, 'file'),
    h('div.row', {}, h('button.primary', { type: 'submit' }, 'Import')), importOut);
  async function exportAs(kind) {
    const csv = kind === 'csv';
    const data = await api.api('GET', '/api/alerts/export', undefined, { Accept: csv ? 'text/csv' : 'application/json' });
    download(`kryptod-alerts.${kind}`, new Blob([csv ? data : JSON.stringify(data, null, 2)], { type: csv ? 'text/csv' : 'application/json' }));
  }
  importForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const chosen = file.files[0];
    if (!chosen) return fill(importOut, h('p.form-error', {}, 'Choose a file first.'));
    const text = await chosen.text();
    const csv = chosen.name.endsWith('.csv') || chosen.type === 'text/csv';
    try {
      const res = await api.api('POST', '/api/alerts/import', text, { 'Content-Type': csv ? 'text/csv' : 'application/json' });
      fill(importOut, h('p', {}, `Imported ${res.created} alerts.`));
    } catch (err) {
      if (!(err instanceof api.ApiError)) throw err;
      const rows = err.problem.errors || [];
      fill(importOut, h('p.form-error', {}, `Nothing imported: ${err.message}`),
        rows.length ? h('ul.import-errors', {}, rows.map((r) => h('li', {}, `${r.field}: ${r.message}`))) : null);
    }
  });
  main.append(importForm);
}
