import fs from 'node:fs';
import path from 'node:path';

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }>;
  startTime: number;
  endTime: number;
  samples?: number[];
}

export interface HotSpot {
  where: string;
  selfPercent: number;
}

/** The functions with the most self time in a V8 `.cpuprofile`, by share of the busy samples. */
export function hotSpots(file: string, top = 15): HotSpot[] {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const hits = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const count = node.hitCount ?? 0;
    // Shares of the time the thread was busy: idle time says nothing about where work goes.
    if (count === 0 || node.callFrame.functionName === '(idle)') continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = `${functionName || '(anonymous)'} ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ''}`.trim();
    hits.set(where, (hits.get(where) ?? 0) + count);
    total += count;
  }
  return [...hits]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([where, count]) => ({ where, selfPercent: Math.round((count / total) * 1000) / 10 }));
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf('node_modules/');
  if (modules !== -1) return url.slice(modules + 'node_modules/'.length);
  const src = url.indexOf('/src/');
  return src === -1 ? path.basename(url) : url.slice(src + 1);
}

/**
 * The busiest thread's `.cpuprofile` of those Node wrote into `dir` (one per thread: the main
 * thread, tsx's loader, the worker's workflow thread), by samples that were not idle.
 */
export function busiestProfile(dir: string): string | undefined {
  if (!fs.existsSync(dir)) return undefined;
  const busy = (file: string) => {
    const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
    return profile.nodes.filter((n) => n.callFrame.functionName !== '(idle)').reduce((sum, n) => sum + (n.hitCount ?? 0), 0);
  };
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(dir, f));
  return files.map((file) => ({ file, busy: busy(file) })).sort((a, b) => b.busy - a.busy)[0]?.file;
}
