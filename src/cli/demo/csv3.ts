import { replayFile } from '../replay';
import { type DemoContext, type PartOutcome, rowsOf, waitUntil, WAIT_MS, writeSample } from './context';
import { csv3Lines, tempOf } from './csv3-lines';
import { workflowUiUrl } from './links';

export const csv3Title = 'csv3 lines, the csv3 job: name,temp,status lines, every one kept, temp above 100 flagged';

interface TableRow {
  id: string;
  current_temp: number;
  status: string;
}

const asLine = (row: TableRow) => `${row.id},${row.current_temp},${row.status}`;
const sorted = (lines: readonly string[]) => [...lines].sort();
const sameLines = (a: readonly string[], b: readonly string[]) => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));

/**
 * The csv3 job: `name,temp,status` lines; the sink keeps every one in `data_dump` and, by the csv3
 * format's own rule (temp above 100), exactly those above 100 in `data_anomaly`.
 */
export async function demoCsv3(ctx: DemoContext): Promise<PartOutcome> {
  const { config, say } = ctx;
  const problems: string[] = [];
  const above = config.formats.csv3.tempAbove;
  const sample = csv3Lines(ctx.tag, above);
  const devices = new Set(sample.names);
  // Not `.csv`: replay reads those with a header row, and csv3 lines have none.
  const file = writeSample(config, 'demo-csv3.txt', `${sample.lines.join('\n')}\n`);
  const topic = config.kafka.inputs.find((input) => input.format === 'csv3')?.topic ?? '?';
  say(`${file}: ${sample.lines.length} lines name,temp,status for ${sample.names.length} sensors (temp 10 to 550, as the csv3 job's generator; the last two 100 and 101)`);
  say(`Sending them into ${topic}; the format's rule flags temp above ${above ?? '(none: VIGIL_CSV3_TEMP_ABOVE=none)'}`);
  const replayed = await replayFile(config, file, { format: 'csv3' });
  if (replayed.invalid.length > 0) problems.push(`csv3: ${replayed.invalid.length} lines were invalid`);

  const out: string[] = [];
  if (config.dropIn.outputs.includes('csv3')) {
    const rows = (table: 'data_dump' | 'data_anomaly') => rowsOf<TableRow>(ctx, `SELECT id, current_temp, status FROM ${table} WHERE id = ANY($1)`, [[...devices]]);
    let dump: TableRow[] = [];
    let anomalous: TableRow[] = [];
    const exact = await waitUntil(async () => {
      [dump, anomalous] = await Promise.all([rows('data_dump'), rows('data_anomaly')]);
      return sameLines(dump.map(asLine), sample.lines) && sameLines(anomalous.map(asLine), sample.anomalous);
    }, WAIT_MS, 500);
    const hottest = anomalous.map(asLine).sort((a, b) => tempOf(b) - tempOf(a))[0];
    say(`data_dump: ${dump.length} rows (${sample.lines.length} lines sent)`);
    say(`data_anomaly: ${anomalous.length} rows (${sample.anomalous.length} lines above ${above}${hottest ? `; the hottest ${hottest}` : ''})${exact ? ': exactly those lines' : ''}`);
    say(`  psql … -c "SELECT * FROM data_anomaly WHERE id LIKE 'demo-csv3-${ctx.tag}-%' ORDER BY current_temp DESC"`);
    out.push(`${dump.length} data_dump rows`, `${anomalous.length} data_anomaly rows`);
    if (!exact) problems.push(`csv3: data_dump ${dump.length} of ${sample.lines.length} and data_anomaly ${anomalous.length} of ${sample.anomalous.length} lines after ${WAIT_MS / 1000} s, or not the same lines`);
  } else {
    say('The drop-in data_dump and data_anomaly are switched off (VIGIL_COMPAT_OUTPUTS)');
  }
  const steps = ctx.outputs.anomaliesOf(devices).filter((e) => e.detector === 'threshold' && e.status !== 'resolved').length;
  out.push(`${steps} anomalous readings`);
  return {
    row: {
      system: 'csv3',
      in: [`${replayed.sent} name,temp,status lines`, `→ ${topic}`],
      out,
      where: ['tables data_dump, data_anomaly', `topic ${config.kafka.topics.anomalies}`, workflowUiUrl(config, sample.names[0] ?? '')],
    },
    problems,
  };
}
