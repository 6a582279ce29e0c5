// The coins with their last price (live from the stream's `price` events)
// and the 24-hour change from /api/coins.
import * as api from '../api.js';
import * as stream from '../stream.js';
import { h, fill, formatTime } from '../dom.js';

export function changeCell(change) {
  const td = h('td.num', {}, change === null || change === undefined ? '–' : `${change.startsWith('-') ? '' : '+'}${change}%`);
  if (change) td.classList.add(change.startsWith('-') ? 'down' : 'up');
  return td;
}

export async function render(main) {
  main.append(h('h1', {}, 'Coins'));
  const body = h('tbody');
  main.append(
    h('div.table-scroll', {},
      h('table', {},
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Coin'), h('th.num', { scope: 'col' }, 'Price'),
          h('th.num', { scope: 'col' }, '24 h'), h('th.hide-narrow', { scope: 'col' }, 'Time'))),
        body)),
  );
  const { items } = await api.publicApi('GET', '/api/coins');
  const cells = new Map();
  for (const c of items) {
    const price = h('td.num', { dataset: { price: c.symbol } }, c.price ?? '–');
    const time = h('td.hide-narrow', {}, formatTime(c.time));
    cells.set(c.symbol, { price, time });
    body.append(h('tr', {}, h('td', {}, h('a', { href: `/coins/${c.symbol}`, 'data-link': '' }, c.symbol)), price, changeCell(c.change_24h), time));
  }
  if (!items.length) fill(body, h('tr', {}, h('td', { colspan: 4 }, 'No coins are listed yet.')));
  return stream.on('price', (p) => {
    const c = cells.get(p.symbol);
    if (!c) return;
    c.price.textContent = p.price;
    c.time.textContent = formatTime(p.time);
  });
}
