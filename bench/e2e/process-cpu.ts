import fs from 'node:fs';

/** Linux reports process times in clock ticks; USER_HZ is 100 on every mainstream kernel. */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system, all threads) a process has used so far; undefined once it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields are counted after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds of a process and every living descendant: PostgreSQL does its work in one process
 * per connection, whose time the postmaster's own counters never see. Descendants in `apart`
 * (measured on their own, such as the benchmark's children) are left out, with theirs.
 */
export function treeCpuSeconds(pid: number, apart: ReadonlySet<number> = new Set()): number | undefined {
  const own = cpuSeconds(pid);
  if (own === undefined) return undefined;
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    const child = Number(entry);
    if (!Number.isInteger(child)) continue;
    const parent = parentOf(child);
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), child]);
  }
  let total = 0;
  for (const queue = [pid]; queue.length > 0; ) {
    const next = queue.pop() as number;
    if (next !== pid && apart.has(next)) continue;
    total += cpuSeconds(next) ?? 0;
    queue.push(...(children.get(next) ?? []));
  }
  return total;
}

/** Cores each named process (with its descendants) used between `start()` and `stop()`. */
export class CpuMeter {
  private startedAt = 0;
  private readonly first = new Map<string, number>();

  private readonly measured: Set<number>;

  constructor(private readonly pids: Map<string, number>) {
    this.measured = new Set(pids.values());
  }

  start(): void {
    this.startedAt = Date.now();
    for (const [name, pid] of this.pids) {
      const used = treeCpuSeconds(pid, this.measured);
      if (used !== undefined) this.first.set(name, used);
    }
  }

  stop(): Record<string, number> {
    const seconds = (Date.now() - this.startedAt) / 1000;
    const cores: Record<string, number> = {};
    for (const [name, pid] of this.pids) {
      const before = this.first.get(name);
      const after = treeCpuSeconds(pid, this.measured);
      if (before !== undefined && after !== undefined) cores[name] = Math.round(((after - before) / seconds) * 100) / 100;
    }
    return cores;
  }
}
