// The Anomaly Board's page. Every piece of data reaches the DOM through textContent or an
// encoded URL, never as HTML: device ids are whatever the devices say they are.
//
// The server does the fleet-sized work: the page asks for one view (search, status, sort, page)
// in its address and gets, over server-sent events, the fleet's totals, the chart's top devices
// and that one page of rows.
'use strict';

const colours = { ok: '#34a853', recent: '#f29900', open: '#d93025', offline: '#9aa0a6' };
const boardParams = ['q', 'status', 'sort', 'page', 'size', 'top'];
let config = { temporalUiUrl: '', namespace: 'default', actions: false };
let view;
let events;
let eventsQuery;
let bubbleChart;
let seriesChart;
let scoresChart;
let detailTimer;
let searchTimer;
let painted = false;

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

const count = (n) => Number(n).toLocaleString('en-US');
const devices = (n) => `${count(n)} device${n === 1 ? '' : 's'}`;

function temporalLink(deviceId) {
  const a = el('a', 'workflow');
  a.href = `${config.temporalUiUrl}/namespaces/${encodeURIComponent(config.namespace)}/workflows/${encodeURIComponent(`device:${deviceId}`)}`;
  a.target = '_blank';
  a.rel = 'noopener';
  return a;
}

function time(ts) {
  if (ts === null || ts === undefined) return '';
  const date = new Date(ts);
  // An event time beyond what a Date holds is shown as the number it is.
  return Number.isNaN(date.getTime()) ? String(ts) : date.toISOString().replace('T', ' ').replace('.000Z', 'Z');
}

/* ----- the address: #device=<id>, or the board's query (#q=…&status=…&sort=…&page=…) ----- */

function hashParams() {
  return new URLSearchParams(location.hash.replace(/^#/, ''));
}

/** The board's query from the address, only the parameters the server knows, in a fixed order. */
function boardQuery() {
  const params = hashParams();
  const query = new URLSearchParams();
  for (const name of boardParams) {
    const value = params.get(name);
    if (value) query.set(name, value);
  }
  return query;
}

function setQuery(changes) {
  const query = boardQuery();
  for (const [name, value] of Object.entries(changes)) {
    if (value === '' || value === undefined || value === null) query.delete(name);
    else query.set(name, String(value));
  }
  location.hash = query.toString();
}

/* ----- the fleet ----- */

function renderTotals() {
  const t = view.totals;
  const s = t.byStatus;
  document.getElementById('totals').textContent =
    `${devices(t.devices)} · ${count(s.CONNECTED)} connected · ${count(s.DISCONNECTED)} disconnected · ${count(s.RETIRED)} retired` +
    ` · ${count(t.anomaliesTotal)} anomalies · ${count(t.openAnomalies)} open` +
    ` · ${count(t.anomaliesLastMinute)} anomalous readings in the last minute on ${devices(t.devicesAnomalousLastMinute)}`;
  document.getElementById('history').hidden = view.ready;
}

function renderBubbles() {
  const top = view.top;
  const largest = Math.max(1, ...top.map((d) => d.anomaliesLastMinute));
  const data = top.map((d) => ({ x: d.deviceId, y: d.maxLastMinute ?? 0, r: 4 + 16 * Math.sqrt(d.anomaliesLastMinute / largest), count: d.anomaliesLastMinute, device: d }));
  const dataset = { data, backgroundColor: data.map((p) => `${colours[p.device.severity]}cc`), borderColor: data.map((p) => colours[p.device.severity]) };
  const labels = top.map((d) => d.deviceId);
  document.getElementById('chart-empty').hidden = top.length > 0;
  if (!bubbleChart) {
    bubbleChart = new Chart(document.getElementById('bubbles'), {
      type: 'bubble',
      data: { labels, datasets: [dataset] },
      options: {
        animation: false,
        maintainAspectRatio: false,
        layout: { padding: { top: 24, right: 24 } },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: (ctx) => `${ctx.raw.device.deviceId}: ${ctx.raw.count} anomalous readings, max ${ctx.raw.device.field ?? ''} ${ctx.raw.device.maxLastMinute}`,
            },
          },
        },
        scales: {
          x: { type: 'category', offset: true, title: { display: true, text: 'device (most anomalous readings in its last minute first)' }, ticks: { autoSkip: false, maxRotation: 60 } },
          y: { title: { display: true, text: 'max anomalous value, last minute' }, grace: '10%' },
        },
        onClick: (_, elements) => {
          const point = elements[0] && bubbleChart.data.datasets[0].data[elements[0].index];
          if (point) location.hash = `device=${encodeURIComponent(point.device.deviceId)}`;
        },
      },
    });
  } else {
    bubbleChart.data.labels = labels;
    bubbleChart.data.datasets[0] = dataset;
    bubbleChart.update('none');
  }
}

function renderTable() {
  const rows = view.rows.map((d) => {
    const tr = el('tr', undefined, d.severity);
    tr.dataset.device = d.deviceId;
    const name = el('td');
    const link = el('a', d.deviceId);
    link.href = `#device=${encodeURIComponent(d.deviceId)}`;
    link.dataset.testid = 'device-link';
    name.append(link);
    const status = el('td');
    status.append(el('span', d.status, `status ${d.status}`));
    // Snoozed or in maintenance: its anomalies are recorded, not routed, until then.
    if (d.silencedUntil !== null && d.silencedUntil > Date.now()) status.append(el('span', ` silenced until ${time(d.silencedUntil)}`, 'silenced'));
    const temporal = el('td');
    temporal.append(temporalLink(d.deviceId));
    const max = d.maxLastMinute === null ? '' : `${d.maxLastMinute} ${d.field}`;
    tr.append(
      name, status, el('td', time(d.lastReadingTs), 'last-reading'), el('td', d.anomaliesLastMinute, 'num anomalies-minute'), el('td', max, 'num max-minute'),
      el('td', d.openAnomalies, 'num open'), el('td', d.anomaliesTotal, 'num anomalies-total'), temporal,
    );
    return tr;
  });
  document.querySelector('#devices tbody').replaceChildren(...rows);
  const { page } = view.query;
  document.getElementById('pager').textContent = `page ${count(page)} of ${count(view.pages)} · ${devices(view.matching)}`;
  document.getElementById('prev').disabled = page <= 1;
  document.getElementById('next').disabled = page >= view.pages;
}

/** The controls say what the address says (the search box not while it is being typed in). */
function showQuery() {
  const query = boardQuery();
  const search = document.getElementById('search');
  if (document.activeElement !== search) search.value = query.get('q') ?? '';
  document.getElementById('status').value = query.get('status') ?? 'all';
  document.getElementById('sort').value = query.get('sort') ?? 'device';
}

function onView(event) {
  view = JSON.parse(event.data);
  renderTotals();
  renderTable();
  renderBubbles();
  if (!painted) {
    painted = true;
    // The first view is on screen at the paint after this task: the board test reports it.
    performance.mark('vigil:first-view');
    requestAnimationFrame(() => setTimeout(() => performance.mark('vigil:first-paint'), 0));
  }
}

/** One event stream for the board's query; a new query replaces it. */
function follow(query) {
  const wanted = query.toString();
  if (events && eventsQuery === wanted) return;
  if (events) events.close();
  eventsQuery = wanted;
  events = new EventSource(`/events${wanted ? `?${wanted}` : ''}`);
  events.addEventListener('board', onView);
}

/* ----- one device ----- */

async function renderDevice(deviceId) {
  const response = await fetch(`/api/devices/${encodeURIComponent(deviceId)}`);
  if (!response.ok) {
    document.getElementById('device-title').textContent = `${deviceId} (no data yet)`;
    return;
  }
  const d = await response.json();
  document.getElementById('device-title').textContent = d.deviceId;
  const facts = document.getElementById('device-facts');
  facts.replaceChildren(
    el('span', `${d.status} · last reading ${time(d.lastReadingTs) || 'unknown'} · ${d.anomaliesLastMinute} anomalous readings in its last minute · ${d.anomaliesTotal} anomalies, ${d.openAnomalies} open · `),
    temporalLink(d.deviceId),
  );

  const palette = ['#1a73e8', '#12b5cb', '#9334e6', '#e52592', '#188038'];
  const datasets = Object.entries(d.series).map(([field, points], i) => ({
    type: 'line', label: field, data: points.map(([x, y]) => ({ x, y })), borderColor: palette[i % palette.length], pointRadius: 0, borderWidth: 1.5,
  }));
  const flagged = d.anomalies.filter((a) => a.status !== 'resolved');
  datasets.push({ type: 'scatter', label: 'anomalies', data: flagged.map((a) => ({ x: a.ts, y: a.value })), backgroundColor: '#d93025', pointRadius: 5 });
  for (const [field, t] of Object.entries(d.thresholds ?? {})) {
    const xs = (d.series[field] ?? []).map(([x]) => x);
    if (xs.length === 0) continue;
    for (const [bound, value] of [['high', t.high], ['low', t.low]]) {
      if (value === null || value === undefined) continue;
      datasets.push({ type: 'line', label: `${field} ${bound}`, data: [{ x: xs[0], y: value }, { x: xs[xs.length - 1], y: value }], borderColor: '#d93025', borderDash: [6, 4], pointRadius: 0, borderWidth: 1 });
    }
  }
  const options = { animation: false, maintainAspectRatio: false, parsing: false, scales: { x: { type: 'linear', ticks: { callback: (v) => time(v).slice(11, 19) } } } };
  if (seriesChart) seriesChart.destroy();
  seriesChart = new Chart(document.getElementById('series'), { data: { datasets }, options });

  const scoresBox = document.getElementById('scores-box');
  scoresBox.hidden = d.scores.length === 0;
  if (scoresChart) scoresChart.destroy();
  scoresChart = undefined;
  if (d.scores.length > 0) {
    scoresChart = new Chart(document.getElementById('scores'), {
      data: {
        datasets: [
          { type: 'line', label: 'HTM anomaly score', data: d.scores.map((s) => ({ x: s.ts, y: s.anomaly })), borderColor: '#9334e6', pointRadius: 0 },
          { type: 'line', label: 'likelihood', data: d.scores.map((s) => ({ x: s.ts, y: s.likelihood })), borderColor: '#f29900', pointRadius: 0 },
        ],
      },
      options,
    });
  }

  const thresholds = document.getElementById('thresholds');
  const rules = Object.entries(d.thresholds ?? {}).filter(([, t]) => t.rule);
  thresholds.replaceChildren(...(rules.length > 0 ? rules.map(([field, t]) => el('li', `${field}: ${t.low ?? '−∞'} … ${t.high ?? '∞'} (${t.rule})`)) : [el('li', 'none')]));
  const windowName = (ms) => (ms % 3600000 === 0 ? `${ms / 3600000} h` : ms % 60000 === 0 ? `${ms / 60000} min` : `${ms / 1000} s`);
  document.querySelector('#aggregates tbody').replaceChildren(
    ...d.aggregates.map((a) => {
      const tr = el('tr');
      tr.append(el('td', a.field), el('td', windowName(a.windowMs)), el('td', time(a.windowStart)), el('td', a.count, 'num'), el('td', a.avg === null ? '—' : Math.round(a.avg * 1000) / 1000, 'num'), el('td', a.max ?? '—', 'num'), el('td', a.kind === 'last-minute' ? `sliding, ${a.anomalousReadings} anomalous` : a.final ? 'final' : 'open'));
      return tr;
    }),
  );
  renderAttention(d);
}

/** Snoozes and maintenance windows with their ends; each anomaly step, with its acknowledgement, and the operator's actions. */
function renderAttention(d) {
  const attention = d.attention ?? { snoozes: [], maintenance: [], acknowledged: {}, falseAlarms: [] };
  const now = Date.now();
  const silences = [
    ...attention.snoozes.filter((s) => s.until > now).map((s) => `snoozed${s.field === null ? '' : ` ${s.field}`} until ${time(s.until)} by ${s.by}${s.reason ? `: ${s.reason}` : ''}`),
    ...attention.maintenance.filter((w) => w.end > now).map((w) => `maintenance ${w.id} (${w.devices}) ${time(w.start)} until ${time(w.end)} by ${w.by}${w.reason ? `: ${w.reason}` : ''}`),
  ];
  document.getElementById('silences').replaceChildren(...(silences.length > 0 ? silences.map((text) => el('li', text)) : [el('li', 'none')]));
  const last = new Map();
  for (const a of d.anomalies) last.set(a.anomalyId, a);
  const marked = new Set(attention.falseAlarms.map((f) => f.anomalyId));
  document.getElementById('operator-box').hidden = !config.actions;
  const list = document.getElementById('anomalies');
  list.replaceChildren(
    ...d.anomalies.slice().reverse().map((a) => {
      const ack = attention.acknowledged[a.anomalyId];
      const notes = [a.suppressed ? 'suppressed' : '', ack && a.status !== 'resolved' ? `acknowledged by ${ack.by}` : '', marked.has(a.anomalyId) && a.status === 'raised' ? 'false alarm' : ''].filter(Boolean);
      const li = el('li', `${time(a.ts)} ${a.status} ${a.detector} ${a.field} = ${a.value}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`);
      li.dataset.anomaly = a.anomalyId;
      if (config.actions && a.status === 'raised') {
        const open = last.get(a.anomalyId)?.status !== 'resolved' && !a.suppressed;
        if (open && !ack) li.append(' ', actionButton('acknowledge', d.deviceId, a.anomalyId));
        if (!marked.has(a.anomalyId)) li.append(' ', actionButton('false alarm', d.deviceId, a.anomalyId));
      }
      return li;
    }),
  );
}

function actionButton(label, deviceId, anomalyId) {
  const button = el('button', label, 'action');
  button.type = 'button';
  button.dataset.action = label === 'acknowledge' ? 'acknowledge' : 'false-alarm';
  button.addEventListener('click', async () => {
    button.disabled = true;
    const by = document.getElementById('operator').value.trim() || 'board';
    const note = document.getElementById('note').value.trim();
    const response = await fetch(`/api/devices/${encodeURIComponent(deviceId)}/${button.dataset.action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ anomalyId, by, ...(note ? { note } : {}) }),
    });
    const answer = await response.json();
    document.getElementById('action-result').textContent = response.ok
      ? button.dataset.action === 'acknowledge'
        ? `${anomalyId} acknowledged by ${answer.by}`
        : `${anomalyId} marked as a false alarm (${answer.lesson === 'model' ? 'the model learnt the value' : answer.suggestion ? `a ${answer.suggestion.side} bound of ${answer.suggestion.bound} would have kept it quiet` : 'recorded for evaluation'})`
      : `refused: ${answer.error}`;
    renderDevice(deviceId);
  });
  return button;
}

/* ----- wiring ----- */

function route() {
  clearInterval(detailTimer);
  const match = /^#device=(.+)$/.exec(location.hash);
  document.getElementById('board-view').hidden = Boolean(match);
  document.getElementById('device-view').hidden = !match;
  if (match) {
    const deviceId = decodeURIComponent(match[1]);
    renderDevice(deviceId);
    detailTimer = setInterval(() => renderDevice(deviceId), 1000);
    // The header's totals stay live over the board's stream as it is.
    if (!events) follow(new URLSearchParams());
    return;
  }
  showQuery();
  follow(boardQuery());
}

function wireControls() {
  document.getElementById('controls').addEventListener('submit', (event) => event.preventDefault());
  document.getElementById('search').addEventListener('input', (event) => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => setQuery({ q: event.target.value.trim(), page: '' }), 200);
  });
  document.getElementById('status').addEventListener('change', (event) => setQuery({ status: event.target.value === 'all' ? '' : event.target.value, page: '' }));
  document.getElementById('sort').addEventListener('change', (event) => setQuery({ sort: event.target.value === 'device' ? '' : event.target.value, page: '' }));
  document.getElementById('prev').addEventListener('click', () => setQuery({ page: Math.max(1, (view?.query.page ?? 1) - 1) }));
  document.getElementById('next').addEventListener('click', () => setQuery({ page: (view?.query.page ?? 1) + 1 }));
}

async function start() {
  config = await (await fetch('/api/config')).json();
  wireControls();
  window.addEventListener('hashchange', route);
  route();
}

start();
