import { seededRandom } from '../../samples';

/**
 * The demo's csv3 lines (the csv3 job): `name,temp,status` as the csv3 job's Kinesis generator makes
 * them (a temperature from 10 to 550, a status of OK, FAIL or WARN), for four sensors named after
 * the run, then the rule's edge: 100 (not above 100) and 101 (above). Pure and deterministic but
 * for the run's tag in the names.
 */

export interface Csv3Lines {
  names: string[];
  lines: string[];
  /** The lines whose temp is above `above`: exactly what data_anomaly must hold. */
  anomalous: string[];
}

const GENERATED = 40;
const statuses = ['OK', 'FAIL', 'WARN'] as const;

export function csv3Lines(tag: string, above: number | null): Csv3Lines {
  const names = ['Ada', 'Bo', 'Cy', 'Di'].map((name) => `demo-csv3-${tag}-${name}`);
  const random = seededRandom(4);
  const lines = Array.from({ length: GENERATED }, (_, i) => `${names[i % names.length]},${10 + Math.floor(random() * 541)},${statuses[Math.floor(random() * statuses.length)]}`);
  lines.push(`${names[0]},100,OK`, `${names[1]},101,WARN`);
  return { names, lines, anomalous: above === null ? [] : lines.filter((line) => tempOf(line) > above) };
}

export const tempOf = (line: string) => Number(line.split(',')[1]);
