import { Client, WithStartWorkflowOperation } from '@temporalio/client';
import { parse } from 'csv-parse/sync';
import type { Config } from './config';
import { deviceStartInput } from './device-settings';
import { type ThresholdChange, thresholdChangeSchema } from './control';
import { runningDevicesQuery, updateFailure } from './operator';
import { deviceIdSchema, workflowIdFor } from './reading';
import {
  fleetWorkflowId,
  parseOrReject,
  setDefaultThresholdsUpdate,
  setThresholdsUpdate,
} from './workflows/definitions';
import type { deviceWorkflow } from './workflows/device';
import type { fleetWorkflow } from './workflows/fleet';

/** Seed 001's columns, then Vigil's optional ones; a file may also name them in a header row. */
export const thresholdColumns = ['host', 'field', 'low', 'high', 'rule', 'n', 'windowSeconds', 'clearBelow', 'clearAbove', 'clearAfter'] as const;

export interface ThresholdRow {
  line: number;
  /** A device id, or `*` for every device. */
  device: string;
  change: ThresholdChange;
}

const number = (text: string | undefined) => (text === undefined || text.trim() === '' ? undefined : Number(text));

/** One row (`host,field,low,high,…`) to a validated change; an empty bound is unbounded. */
export function thresholdRowFrom(cells: Partial<Record<(typeof thresholdColumns)[number], string>>, line: number): ThresholdRow {
  const device = (cells.host ?? '').trim();
  if (device !== '*') parseOrReject(deviceIdSchema, device, `host on line ${line}`);
  const windowSeconds = number(cells.windowSeconds);
  const change = parseOrReject(
    thresholdChangeSchema,
    {
      field: (cells.field ?? '').trim(),
      rule: Object.fromEntries(
        Object.entries({
          low: number(cells.low) ?? null,
          high: number(cells.high) ?? null,
          rule: cells.rule?.trim() || undefined,
          n: number(cells.n),
          windowMs: windowSeconds === undefined ? undefined : windowSeconds * 1000,
          clearBelow: number(cells.clearBelow),
          clearAbove: number(cells.clearAbove),
          clearAfter: number(cells.clearAfter),
        }).filter(([, v]) => v !== undefined),
      ),
    },
    `threshold on line ${line}`,
  );
  return { line, device, change };
}

/** Parses a thresholds file (seed 001: no header, `host,field,low,high`); every bad row is reported. */
export function parseThresholdsCsv(text: string): { rows: ThresholdRow[]; errors: Array<{ line: number; reason: string }> } {
  const records = parse(text, { relax_column_count: true, skip_empty_lines: true, trim: true, comment: '#', info: true }) as unknown as Array<{
    record: string[];
    info: { lines: number };
  }>;
  const header = records[0]?.record[0] === 'host' ? records.shift()?.record : undefined;
  const columns = (header ?? thresholdColumns) as readonly string[];
  const rows: ThresholdRow[] = [];
  const errors: Array<{ line: number; reason: string }> = [];
  for (const { record, info } of records) {
    try {
      if (record.length < 4) throw new Error(`line ${info.lines}: expected at least host,field,low,high`);
      const unknown = columns.filter((c) => !(thresholdColumns as readonly string[]).includes(c));
      if (unknown.length > 0) throw new Error(`unknown column(s) ${unknown.join(', ')}`);
      rows.push(thresholdRowFrom(Object.fromEntries(columns.map((c, i) => [c, record[i]])), info.lines));
    } catch (error) {
      errors.push({ line: info.lines, reason: (error as Error).message });
    }
  }
  return { rows, errors };
}

export interface ApplyOutcome {
  device: string;
  applied: boolean;
  message: string;
}

/**
 * Applies threshold rows as validated Updates. A named device gets its own rows, started if it
 * has not reported yet (update-with-start). `*` rows become the fleet defaults that new devices
 * start with, and are pushed to every running device as its `defaults` layer.
 */
export async function applyThresholdRows(client: Client, config: Config, rows: ThresholdRow[], by: string, reason?: string): Promise<ApplyOutcome[]> {
  const byDevice = new Map<string, ThresholdChange[]>();
  for (const { device, change } of rows) byDevice.set(device, [...(byDevice.get(device) ?? []), change]);
  const outcomes: ApplyOutcome[] = [];
  const attempt = async (device: string, run: () => Promise<unknown>) => {
    try {
      await run();
      outcomes.push({ device, applied: true, message: 'applied' });
    } catch (error) {
      outcomes.push({ device, applied: false, message: updateFailure(error) });
    }
  };
  const startDevice = (deviceId: string) =>
    new WithStartWorkflowOperation<typeof deviceWorkflow>('deviceWorkflow', {
      workflowId: workflowIdFor(deviceId),
      taskQueue: config.temporal.taskQueue,
      workflowIdConflictPolicy: 'USE_EXISTING',
      args: [deviceStartInput(config, deviceId)],
      staticSummary: `Device ${deviceId}`,
    });

  const defaults = byDevice.get('*');
  if (defaults) {
    await attempt('*', () =>
      client.workflow.executeUpdateWithStart(setDefaultThresholdsUpdate, {
        args: [{ changes: defaults, by, reason }],
        startWorkflowOperation: new WithStartWorkflowOperation<typeof fleetWorkflow>('fleetWorkflow', {
          workflowId: fleetWorkflowId(config.temporal.taskQueue),
          taskQueue: config.temporal.taskQueue,
          workflowIdConflictPolicy: 'USE_EXISTING',
          args: [{}],
          staticSummary: 'Fleet defaults (the * device)',
        }),
      }),
    );
    const running = client.workflow.list({ query: runningDevicesQuery(config) });
    for await (const run of running) {
      await attempt(`${run.workflowId.replace(/^device:/, '')} (*)`, () =>
        client.workflow.getHandle(run.workflowId).executeUpdate(setThresholdsUpdate, { args: [{ layer: 'defaults', changes: defaults, by, reason }] }),
      );
    }
  }
  for (const [device, changes] of byDevice) {
    if (device === '*') continue;
    await attempt(device, () =>
      client.workflow.executeUpdateWithStart(setThresholdsUpdate, {
        args: [{ layer: 'own', changes, by, reason }],
        startWorkflowOperation: startDevice(device),
      }),
    );
  }
  return outcomes;
}
