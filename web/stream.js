// The one owner of the live stream, GET /api/stream (Server-Sent Events).
//
// EventSource cannot send an Authorization header and tokens never go in a
// URL, so the stream is read with fetch() and parsed here. After a drop it
// reconnects (1 s, doubling to 30 s) sending Last-Event-ID, the id of the
// last alert event seen, and the daemon replays what was missed. Each
// connection takes the current access token, so a refreshed token is used
// from the next reconnect on.
import { accessToken, refresh } from './api.js';

const handlers = { alert: new Set(), price: new Set(), state: new Set() };
let lastEventId = null;
let controller = null;
let wanted = false;
let retryDelay = 1000;
let retryTimer = null;
let connected = false;

// fn(data) for every `alert` or `price` event; fn(connected) for `state`.
export function on(type, fn) {
  handlers[type].add(fn);
  return () => handlers[type].delete(fn);
}

export function isConnected() {
  return connected;
}

function emit(type, data) {
  for (const fn of handlers[type]) {
    try {
      fn(data);
    } catch (e) {
      console.error(e);
    }
  }
}

function setConnected(value) {
  if (connected === value) return;
  connected = value;
  emit('state', value);
}

export function start() {
  if (wanted) return;
  wanted = true;
  connect();
}

export function stop() {
  wanted = false;
  clearTimeout(retryTimer);
  controller?.abort();
  controller = null;
  lastEventId = null;
  setConnected(false);
}

async function connect() {
  if (!wanted) return;
  controller = new AbortController();
  const headers = { Accept: 'text/event-stream', Authorization: `Bearer ${accessToken()}` };
  if (lastEventId !== null) headers['Last-Event-ID'] = lastEventId;
  try {
    const res = await fetch('/api/stream', { headers, signal: controller.signal, cache: 'no-store' });
    if (res.status === 401) {
      await refresh();
      return retry(0);
    }
    if (!res.ok || !res.body) return retry();
    setConnected(true);
    retryDelay = 1000;
    await read(res.body);
  } catch (e) {
    if (e.name === 'AbortError' && !wanted) return;
  }
  setConnected(false);
  retry();
}

function retry(delay = retryDelay) {
  if (!wanted) return;
  clearTimeout(retryTimer);
  retryTimer = setTimeout(connect, delay);
  retryDelay = Math.min(retryDelay * 2, 30_000);
}

// Parses the event stream (lines `event:`, `data:`, `id:`; a blank line
// ends an event; a line starting with ':' is a comment) as it arrives.
async function read(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let event = { type: 'message', data: [], id: null };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let nl;
    while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
      if (line === '') {
        dispatch(event);
        event = { type: 'message', data: [], id: null };
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const name = colon < 0 ? line : line.slice(0, colon);
      let val = colon < 0 ? '' : line.slice(colon + 1);
      if (val.startsWith(' ')) val = val.slice(1);
      if (name === 'event') event.type = val;
      else if (name === 'data') event.data.push(val);
      else if (name === 'id') event.id = val;
    }
  }
}

function dispatch(event) {
  if (event.id !== null) lastEventId = event.id;
  if (!event.data.length || !(event.type in handlers) || event.type === 'state') return;
  let data;
  try {
    data = JSON.parse(event.data.join('\n'));
  } catch {
    return;
  }
  emit(event.type, data);
}
