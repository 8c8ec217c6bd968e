import fs from 'node:fs';
import path from 'node:path';

export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }>;
  startTime: number;
  endTime: number;
  samples?: number[];
}

export interface HotSpot {
  where: string;
  selfPercent: number;
}

const readProfile = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;

/** Nodes with samples while the thread was busy: idle time says nothing about where work goes. */
const busyNodes = (profile: CpuProfile) => profile.nodes.filter((n) => (n.hitCount ?? 0) > 0 && n.callFrame.functionName !== '(idle)');

/** The functions with the most self time in a V8 `.cpuprofile`, by share of the busy samples. */
export function hotSpots(profile: CpuProfile, top = 15): HotSpot[] {
  const hits = new Map<string, number>();
  let total = 0;
  for (const node of busyNodes(profile)) {
    const count = node.hitCount ?? 0;
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
 * The busiest thread's profile, of the `.cpuprofile` files Node wrote into `dir` (one per thread: the main
 * thread, tsx's loader, the worker's workflow thread), by samples that were not idle.
 */
export function busiestProfile(dir: string): CpuProfile | undefined {
  if (!fs.existsSync(dir)) return undefined;
  const busy = (profile: CpuProfile) => busyNodes(profile).reduce((sum, n) => sum + (n.hitCount ?? 0), 0);
  const profiles = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => readProfile(path.join(dir, f)));
  return profiles.map((profile) => ({ profile, busy: busy(profile) })).sort((a, b) => b.busy - a.busy)[0]?.profile;
}
