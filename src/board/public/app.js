// The Anomaly Board's page. Every piece of data reaches the DOM through textContent or an
// encoded URL, never as HTML: device ids are whatever the devices say they are.
'use strict';

const colours = { ok: '#34a853', recent: '#f29900', open: '#d93025', offline: '#9aa0a6' };
let config = { temporalUiUrl: '', namespace: 'default' };
let summaries = [];
let bubbleChart;
let seriesChart;
let scoresChart;
let detailTimer;

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function temporalLink(deviceId) {
  const a = el('a', 'workflow');
  a.href = `${config.temporalUiUrl}/namespaces/${encodeURIComponent(config.namespace)}/workflows/${encodeURIComponent(`device:${deviceId}`)}`;
  a.target = '_blank';
  a.rel = 'noopener';
  return a;
}

function time(ts) {
  return ts === null || ts === undefined ? '' : new Date(ts).toISOString().replace('T', ' ').replace('.000Z', 'Z');
}

function renderBubbles() {
  const data = summaries.map((d, i) => ({ x: i, y: d.maxLastMinute ?? 0, r: 4 + 4 * Math.sqrt(d.anomaliesLastMinute), device: d }));
  const dataset = { data, backgroundColor: data.map((p) => `${colours[p.device.severity]}cc`), borderColor: data.map((p) => colours[p.device.severity]) };
  if (!bubbleChart) {
    bubbleChart = new Chart(document.getElementById('bubbles'), {
      type: 'bubble',
      data: { datasets: [dataset] },
      options: {
        animation: false,
        maintainAspectRatio: false,
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: (ctx) => `${ctx.raw.device.deviceId}: max ${ctx.raw.device.field ?? ''} ${ctx.raw.y}, ${ctx.raw.device.anomaliesLastMinute} anomalies` } },
        },
        scales: {
          x: { title: { display: true, text: 'device' }, ticks: { callback: (i) => summaries[i]?.deviceId ?? '' } },
          y: { title: { display: true, text: 'max value, last minute' } },
        },
        onClick: (_, elements) => {
          const point = elements[0] && data[elements[0].index];
          if (point) location.hash = `device=${encodeURIComponent(point.device.deviceId)}`;
        },
      },
    });
  } else {
    bubbleChart.data.datasets[0] = dataset;
    bubbleChart.update('none');
  }
}

function renderTable() {
  const tbody = document.querySelector('#devices tbody');
  const rows = summaries.map((d) => {
    const tr = el('tr', undefined, d.severity);
    tr.dataset.device = d.deviceId;
    const name = el('td');
    const link = el('a', d.deviceId);
    link.href = `#device=${encodeURIComponent(d.deviceId)}`;
    link.dataset.testid = 'device-link';
    name.append(link);
    const status = el('td');
    status.append(el('span', d.status, `status ${d.status}`));
    const temporal = el('td');
    temporal.append(temporalLink(d.deviceId));
    tr.append(name, status, el('td', time(d.lastReadingTs)), el('td', d.anomaliesLastMinute, 'num anomalies-minute'), el('td', d.openAnomalies, 'num'), el('td', d.anomaliesTotal, 'num anomalies-total'), temporal);
    return tr;
  });
  tbody.replaceChildren(...rows);
  const anomalies = summaries.reduce((n, d) => n + d.anomaliesTotal, 0);
  const offline = summaries.filter((d) => d.severity === 'offline').length;
  document.getElementById('totals').textContent = `${summaries.length} devices · ${anomalies} anomalies · ${offline} disconnected`;
}

async function renderDevice(deviceId) {
  const response = await fetch(`/api/devices/${encodeURIComponent(deviceId)}`);
  if (!response.ok) {
    document.getElementById('device-title').textContent = `${deviceId} (no data yet)`;
    return;
  }
  const d = await response.json();
  document.getElementById('device-title').textContent = d.deviceId;
  const facts = document.getElementById('device-facts');
  facts.replaceChildren(el('span', `${d.status} · ${d.readings} readings · last ${time(d.lastReadingTs)} · ${d.anomaliesTotal} anomalies, ${d.openAnomalies} open · `), temporalLink(d.deviceId));

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
  const options = { animation: false, maintainAspectRatio: false, parsing: false, scales: { x: { type: 'linear', ticks: { callback: (v) => new Date(v).toISOString().slice(11, 19) } } } };
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
      tr.append(el('td', a.field), el('td', windowName(a.windowMs)), el('td', time(a.windowStart)), el('td', a.count, 'num'), el('td', a.avg === null ? '—' : Math.round(a.avg * 1000) / 1000, 'num'), el('td', a.max ?? '—', 'num'), el('td', a.kind === 'last-minute' ? `sliding, ${a.anomalies} anomalies` : a.final ? 'final' : 'open'));
      return tr;
    }),
  );
  const list = document.getElementById('anomalies');
  list.replaceChildren(...d.anomalies.slice().reverse().map((a) => el('li', `${time(a.ts)} ${a.status} ${a.detector} ${a.field} = ${a.value}`)));
}

function route() {
  clearInterval(detailTimer);
  const match = /^#device=(.+)$/.exec(location.hash);
  document.getElementById('board-view').hidden = Boolean(match);
  document.getElementById('device-view').hidden = !match;
  if (match) {
    const deviceId = decodeURIComponent(match[1]);
    renderDevice(deviceId);
    detailTimer = setInterval(() => renderDevice(deviceId), 1000);
  }
}

async function start() {
  config = await (await fetch('/api/config')).json();
  const events = new EventSource('/events');
  events.addEventListener('snapshot', (event) => {
    summaries = JSON.parse(event.data);
    renderTable();
    renderBubbles();
  });
  window.addEventListener('hashchange', route);
  route();
}

start();
