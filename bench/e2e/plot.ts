/**
 * Draws the benchmark's timeline as a PNG: Chart.js (the board's charting library) rendered in
 * headless Chromium, the browser the board's test already uses.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { chromiumArgs, ensureChromium } from '../../src/services/chromium';

export interface TimelinePoint {
  /** Seconds since the producer started. */
  t: number;
  producedPerSecond: number;
  acceptedPerSecond: number;
  appliedPerSecond: number;
  /** Latency of the anomalies published in this interval, milliseconds; null when none were. */
  p50Ms: number | null;
  p99Ms: number | null;
}

export interface TimelineMarks {
  measureFrom: number;
  measureTo: number;
  killAt?: number;
}

const chartJs = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');

function pageHtml(title: string, points: TimelinePoint[], marks: TimelineMarks): string {
  const series = (pick: (p: TimelinePoint) => number | null) => JSON.stringify(points.map((p) => ({ x: p.t, y: pick(p) })));
  const markLines = JSON.stringify([
    { at: marks.measureFrom, label: 'measure' },
    { at: marks.measureTo, label: 'end' },
    ...(marks.killAt === undefined ? [] : [{ at: marks.killAt, label: 'kill -9 worker' }]),
  ]);
  return `<!doctype html><html><body style="margin:0;background:#fff;font-family:sans-serif">
<div id="plot" style="width:1100px;padding:12px">
  <h3 style="margin:4px 0">${title.replace(/</g, '&lt;')}</h3>
  <canvas id="rate" width="1100" height="320"></canvas>
  <canvas id="latency" width="1100" height="320"></canvas>
</div>
<script>${fs.readFileSync(chartJs, 'utf8')}</script>
<script>
const marks = ${markLines};
const markPlugin = { id: 'marks', afterDraw(chart) {
  const { ctx, chartArea, scales } = chart;
  ctx.save(); ctx.strokeStyle = '#888'; ctx.setLineDash([4, 4]); ctx.fillStyle = '#555'; ctx.font = '12px sans-serif';
  for (const m of marks) { const x = scales.x.getPixelForValue(m.at); ctx.beginPath(); ctx.moveTo(x, chartArea.top); ctx.lineTo(x, chartArea.bottom); ctx.stroke(); ctx.fillText(m.label, x + 4, chartArea.top + 12); }
  ctx.restore(); } };
const common = (y) => ({ animation: false, responsive: false, parsing: false, plugins: { legend: { position: 'top' } },
  scales: { x: { type: 'linear', title: { display: true, text: 'seconds since the producer started' } }, y: { beginAtZero: true, title: { display: true, text: y } } } });
new Chart(document.getElementById('rate'), { type: 'line', plugins: [markPlugin], options: common('readings per second'), data: { datasets: [
  { label: 'produced', data: ${series((p) => p.producedPerSecond)}, borderColor: '#999', pointRadius: 0 },
  { label: 'accepted by Temporal (ingest commits)', data: ${series((p) => p.acceptedPerSecond)}, borderColor: '#1f77b4', pointRadius: 0 },
  { label: 'applied by the device workflows', data: ${series((p) => p.appliedPerSecond)}, borderColor: '#ff7f0e', pointRadius: 0 } ] } });
new Chart(document.getElementById('latency'), { type: 'line', plugins: [markPlugin], options: common('append → anomaly published (ms)'), data: { datasets: [
  { label: 'p50', data: ${series((p) => p.p50Ms)}, borderColor: '#2ca02c', pointRadius: 0, spanGaps: true },
  { label: 'p99', data: ${series((p) => p.p99Ms)}, borderColor: '#d62728', pointRadius: 0, spanGaps: true } ] } });
</script></body></html>`;
}

export async function plotTimeline(file: string, title: string, points: TimelinePoint[], marks: TimelineMarks, chromiumPath: string | undefined): Promise<void> {
  const browser = await chromium.launch({ executablePath: ensureChromium(chromiumPath), args: chromiumArgs });
  try {
    const page = await browser.newPage({ viewport: { width: 1130, height: 760 } });
    await page.setContent(pageHtml(title, points, marks));
    await page.locator('#plot').screenshot({ path: file });
  } finally {
    await browser.close();
  }
}
