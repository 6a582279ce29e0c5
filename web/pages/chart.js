// One coin: a candlestick chart from /api/prices, updated live from the
// stream's `price` events, with every alert of the user on this coin drawn
// as a horizontal line coloured by status. Clicking the chart offers an
// alert at the clicked price; dragging a line moves that alert's target
// (PATCH). Move alerts have no price level and are listed, not drawn.
import * as api from '../api.js';
import * as stream from '../stream.js';
import { h, fill, field, showErrors, toast } from '../dom.js';
import { createChart, CandlestickSeries, LineStyle } from '../vendor/lightweight-charts-5.3.0.mjs';

const intervals = { '1m': 60, '5m': 300, '15m': 900, '1h': 3600, '4h': 14400, '1d': 86400 };
const statusColours = { active: '#1d4ed8', triggered: '#c2410c', disabled: '#4b5563', expired: '#6b7280' };
const grabDistance = 6; // px between the pointer and a line that starts a drag

// Candles from the API's samples (newest first), oldest first for the chart.
function toCandles(items) {
  return items
    .map((s) => ({
      time: Math.floor(Date.parse(s.time) / 1000),
      open: Number(s.open ?? s.price),
      high: Number(s.high ?? s.price),
      low: Number(s.low ?? s.price),
      close: Number(s.price),
    }))
    .sort((a, b) => a.time - b.time);
}

// One-minute candles aggregated on UTC boundaries of `seconds`, for a
// daemon whose /api/prices does not take `interval`.
function aggregate(candles, seconds) {
  const out = [];
  for (const c of candles) {
    const t = c.time - (c.time % seconds);
    const last = out[out.length - 1];
    if (last && last.time === t) {
      last.high = Math.max(last.high, c.high);
      last.low = Math.min(last.low, c.low);
      last.close = c.close;
    } else out.push({ ...c, time: t });
  }
  return out;
}

async function loadCandles(symbol, interval) {
  const q = api.query({ symbol, interval, limit: 1000 });
  try {
    return toCandles((await api.publicApi('GET', `/api/prices${q}`)).items);
  } catch (e) {
    if (e.status !== 422 || !(e.problem.errors || []).some((x) => x.field === 'interval')) throw e;
  }
  const samples = await api.publicApi('GET', `/api/prices${api.query({ symbol, limit: 1000 })}`);
  return aggregate(toCandles(samples.items), intervals[interval]);
}

function decimalsFor(price) {
  if (price >= 1000) return 2;
  if (price >= 1) return 4;
  return 8;
}

function lineTitle(a) {
  return `${a.name ? `${a.name} · ` : ''}${a.direction} (${a.status})`;
}

export async function render(main, { params, query, navigate }) {
  const symbol = params[0];
  let interval = intervals[query.get('interval')] ? query.get('interval') : '1m';
  const select = h('select', {}, Object.keys(intervals).map((k) => h('option', { value: k, selected: k === interval }, k)));
  const chartEl = h('div.chart', { id: 'chart', role: 'img', 'aria-label': `${symbol} price chart with your alert levels` });
  const legend = h('div.legend', {}, Object.keys(statusColours).map((s) => h('span', {}, h('span.swatch', { dataset: { status: s } }), s)));
  const quick = h('div');
  const list = h('ul.events', { id: 'coin-alerts' });
  main.append(
    h('h1', {}, symbol),
    h('div.row', {}, field('Interval', select, 'interval'), h('a.button', { href: `/alerts/new?symbol=${symbol}`, 'data-link': '' }, 'New alert')),
    h('p.muted', {}, 'Click the chart to set an alert at that price; drag a line to move its target.'),
    h('div.chart-wrap', {}, chartEl),
    legend,
    quick,
    h('h2', {}, 'Your alerts on this coin'),
    list,
  );

  const chart = createChart(chartEl, {
    autoSize: true,
    layout: { attributionLogo: false, background: { color: '#ffffff' }, textColor: '#111827' },
    grid: { vertLines: { color: '#eef0f3' }, horzLines: { color: '#eef0f3' } },
    timeScale: { timeVisible: true, secondsVisible: false },
  });
  const lines = new Map(); // alert id → { alert, line }
  let drag = null; // the line being dragged
  const series = chart.addSeries(CandlestickSeries, {
    upColor: '#047857', downColor: '#b91c1c', borderVisible: false, wickUpColor: '#047857', wickDownColor: '#b91c1c',
    // The price scale spans the alert lines too, so none is off-screen.
    autoscaleInfoProvider: (original) => {
      const range = original();
      if (!range || !lines.size || drag) return range;
      const targets = [...lines.values()].map((e) => Number(e.alert.target_price));
      return { ...range, priceRange: {
        minValue: Math.min(range.priceRange.minValue, ...targets),
        maxValue: Math.max(range.priceRange.maxValue, ...targets),
      } };
    },
  });
  let candles = await loadCandles(symbol, interval);
  let decimals = decimalsFor(candles.at(-1)?.close ?? 1);
  const applyFormat = () => series.applyOptions({ priceFormat: { type: 'price', precision: decimals, minMove: 10 ** -decimals } });
  series.setData(candles);
  applyFormat();
  chart.timeScale().fitContent();
  const drawn = (a) => a.kind !== 'move' && a.status !== 'deleted' && a.target_price;
  function upsert(a) {
    const old = lines.get(a.id);
    if (!drawn(a)) {
      if (old) series.removePriceLine(old.line);
      lines.delete(a.id);
    } else {
      const opts = {
        price: Number(a.target_price), color: statusColours[a.status] || '#4b5563', lineWidth: 2,
        lineStyle: a.status === 'active' ? LineStyle.Solid : LineStyle.Dashed, axisLabelVisible: true, title: lineTitle(a),
      };
      if (old) old.line.applyOptions(opts);
      lines.set(a.id, { alert: a, line: old ? old.line : series.createPriceLine(opts) });
    }
    renderList();
  }
  function renderList() {
    const items = [...lines.values()].map(({ alert: a }) =>
      h('li', { dataset: { alert: a.id, status: a.status } },
        h('span.status', { dataset: { status: a.status } }, a.status), ' ',
        `${a.direction} ${a.target_price} `,
        a.name ? h('span.alert-name', {}, a.name) : null, ' ',
        h('a', { href: `/alerts/${a.id}`, 'data-link': '' }, 'edit')));
    fill(list, items.length ? items : h('li.muted', {}, 'None yet.'));
  }
  const mine = await api.api('GET', `/api/alerts${api.query({ symbol, limit: 1000 })}`);
  for (const a of mine.items) upsert(a);
  renderList();

  // Click: offer an alert at that price.
  let suppressClick = false;
  chart.subscribeClick((p) => {
    if (suppressClick || !p.point) return;
    const price = series.coordinateToPrice(p.point.y);
    if (price === null || price <= 0) return;
    showQuick(price.toFixed(decimals));
  });
  function showQuick(price) {
    const priceInput = h('input', { inputmode: 'decimal', value: price, autocomplete: 'off' });
    const name = h('input', { maxlength: 200, autocomplete: 'off' });
    const f = h('form.stack.panel', { id: 'quick-alert', 'aria-label': 'New alert at a price' },
      h('strong', {}, `New alert on ${symbol}`),
      field('Target price', priceInput, 'target_price'),
      field('Name (optional)', name, 'name'),
      h('p.form-error', { role: 'alert' }),
      h('div.row', {}, h('button.primary', { type: 'submit' }, 'Create alert'), h('button', { type: 'button', onclick: () => fill(quick) }, 'Cancel')));
    f.addEventListener('submit', async (e) => {
      e.preventDefault();
      const body = { symbol, target_price: priceInput.value.trim() };
      if (name.value) body.name = name.value;
      try {
        const a = await api.api('POST', '/api/alerts', body);
        upsert(a);
        fill(quick);
        toast(`Alert set: ${symbol} ${a.direction} ${a.target_price}`);
      } catch (err) {
        if (!(err instanceof api.ApiError)) throw err;
        showErrors(f, err.problem);
      }
    });
    fill(quick, f);
    priceInput.focus();
  }

  // Drag: a pointer pressed near a line moves it; released, the target is PATCHed.
  const yOf = (e) => e.clientY - chartEl.getBoundingClientRect().top;
  function nearest(y) {
    let best = null;
    for (const entry of lines.values()) {
      const ly = series.priceToCoordinate(Number(entry.alert.target_price));
      if (ly === null) continue;
      const d = Math.abs(ly - y);
      if (d <= grabDistance && (!best || d < best.d)) best = { d, entry };
    }
    return best?.entry;
  }
  const onDown = (e) => {
    const entry = nearest(yOf(e));
    if (!entry || e.button !== 0) return;
    e.preventDefault();
    e.stopPropagation();
    drag = { entry, price: Number(entry.alert.target_price), moved: false, pointer: e.pointerId };
    chartEl.setPointerCapture(e.pointerId);
    chartEl.dataset.dragging = 'true';
    chart.applyOptions({ handleScroll: false, handleScale: false });
  };
  const onMove = (e) => {
    if (!drag) {
      chartEl.style.cursor = nearest(yOf(e)) ? 'ns-resize' : '';
      return;
    }
    e.stopPropagation();
    const price = series.coordinateToPrice(yOf(e));
    if (price === null || price <= 0) return;
    drag.price = Number(price.toFixed(decimals));
    drag.moved = true;
    drag.entry.line.applyOptions({ price: drag.price });
  };
  const onUp = async (e) => {
    if (!drag) return;
    e.stopPropagation();
    const { entry, price, moved } = drag;
    drag = null;
    chartEl.releasePointerCapture?.(e.pointerId);
    chartEl.dataset.dragging = 'false';
    chart.applyOptions({ handleScroll: true, handleScale: true });
    suppressClick = true;
    setTimeout(() => { suppressClick = false; }, 0);
    if (!moved) return navigate(`/alerts/${entry.alert.id}`);
    try {
      upsert(await api.api('PATCH', `/api/alerts/${entry.alert.id}`, { target_price: price.toFixed(decimals) }));
      toast(`Target moved to ${price.toFixed(decimals)}`);
    } catch (err) {
      upsert(entry.alert); // back where it was
      if (!(err instanceof api.ApiError)) throw err;
      toast(err.message, 'error');
    }
  };
  chartEl.addEventListener('pointerdown', onDown, { capture: true });
  chartEl.addEventListener('pointermove', onMove, { capture: true });
  chartEl.addEventListener('pointerup', onUp, { capture: true });

  select.addEventListener('change', async () => {
    interval = select.value;
    history.replaceState(null, '', `${location.pathname}?interval=${interval}`);
    candles = await loadCandles(symbol, interval);
    series.setData(candles);
    chart.timeScale().fitContent();
  });

  const offPrice = stream.on('price', (p) => {
    if (p.symbol !== symbol) return;
    const seconds = intervals[interval];
    const t = Math.floor((typeof p.time === 'number' ? p.time : Date.parse(p.time)) / 1000);
    const bucket = t - (t % seconds);
    const price = Number(p.price);
    const last = candles.at(-1);
    let bar;
    if (last && last.time === bucket) bar = { ...last, high: Math.max(last.high, price), low: Math.min(last.low, price), close: price };
    else if (!last || bucket > last.time) bar = { time: bucket, open: price, high: price, low: price, close: price };
    else return;
    if (last && last.time === bucket) candles[candles.length - 1] = bar;
    else candles.push(bar);
    series.update(bar);
  });
  const offAlert = stream.on('alert', ({ alert }) => {
    if (alert.symbol === symbol) upsert(alert);
  });
  return () => {
    offPrice();
    offAlert();
    chart.remove();
  };
}
