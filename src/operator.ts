import os from 'node:os';
import { Client, Connection, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Config } from './config';
import { stdev } from './detectors/welford';
import { type DeviceState, thresholdFor, zscoreRuleFor } from './device-state';
import { workflowIdFor } from './reading';
import {
  anomalyCountAttribute,
  configureZScoreUpdate,
  connectionStatusAttribute,
  deviceIdAttribute,
  lastReadingAtAttribute,
  type ModelPush,
  pushModelUpdate,
  resetModelUpdate,
  stateQuery,
  type ZScoreChange,
} from './workflows/definitions';

/** Who is making a change, for the audit trail: `user@host` unless `--by` says otherwise. */
export function defaultAuthor(): string {
  return `${os.userInfo().username}@${os.hostname()}`;
}

/** Visibility query for the running device workflows of this deployment (its task queue). */
export function runningDevicesQuery(config: Config, ...conditions: string[]): string {
  return [`WorkflowType = 'deviceWorkflow'`, `ExecutionStatus = 'Running'`, `TaskQueue = '${config.temporal.taskQueue}'`, ...conditions].join(' AND ');
}

export async function connectClient(config: Config): Promise<Client> {
  const connection = await Connection.connect({ address: config.temporal.address });
  return new Client({ connection, namespace: config.temporal.namespace });
}

/** The reason a rejected Update gives, rather than the SDK's wrapper message. */
export function updateFailure(error: unknown): string {
  if (error instanceof WorkflowUpdateFailedError) return error.cause?.message ?? error.message;
  return error instanceof Error ? error.message : String(error);
}

/** Runs an Update; a rejection becomes an Error that says why. */
async function update<T>(run: Promise<T>): Promise<T> {
  try {
    return await run;
  } catch (error) {
    throw new Error(updateFailure(error));
  }
}

export interface DeviceRow {
  deviceId: string;
  status: string;
  anomalies: number;
  lastReadingAt: string;
}

/** Running device workflows from visibility (no worker needed), optionally by connection status. */
export async function listDevices(client: Client, config: Config, status?: string): Promise<DeviceRow[]> {
  const query = status ? runningDevicesQuery(config, `ConnectionStatus = '${status.replace(/'/g, '')}'`) : runningDevicesQuery(config);
  const rows: DeviceRow[] = [];
  for await (const run of client.workflow.list({ query })) {
    const attrs = run.typedSearchAttributes;
    rows.push({
      deviceId: attrs.get(deviceIdAttribute) ?? run.workflowId.replace(/^device:/, ''),
      status: attrs.get(connectionStatusAttribute) ?? '?',
      anomalies: attrs.get(anomalyCountAttribute) ?? 0,
      lastReadingAt: attrs.get(lastReadingAtAttribute)?.toISOString() ?? '',
    });
  }
  return rows.sort((a, b) => a.deviceId.localeCompare(b.deviceId));
}

export function deviceHandle(client: Client, deviceId: string) {
  return client.workflow.getHandle(workflowIdFor(deviceId));
}

export async function deviceState(client: Client, deviceId: string): Promise<DeviceState> {
  return deviceHandle(client, deviceId).query(stateQuery);
}

export async function configureZScore(client: Client, deviceId: string, change: ZScoreChange) {
  return update(deviceHandle(client, deviceId).executeUpdate(configureZScoreUpdate, { args: [change] }));
}

export async function resetModel(client: Client, deviceId: string, field: string | undefined, by: string, reason?: string) {
  return update(deviceHandle(client, deviceId).executeUpdate(resetModelUpdate, { args: [{ field, by, reason }] }));
}

export async function pushModel(client: Client, deviceId: string, push: ModelPush) {
  return update(deviceHandle(client, deviceId).executeUpdate(pushModelUpdate, { args: [push] }));
}

const fmt = (x: number | null | undefined, digits = 3) => (x === null || x === undefined ? '' : String(Math.round(x * 10 ** digits) / 10 ** digits));

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

/** `vigil device show`: the `state` query, for a person. */
export function describeDevice(state: DeviceState, now = Date.now()): string {
  const { connection } = state;
  const seen = connection.lastSeenAt === null ? 'never' : `${new Date(connection.lastSeenAt).toISOString()} (${Math.round((now - connection.lastSeenAt) / 1000)} s ago)`;
  const fields = [...new Set([...Object.keys(state.models), ...Object.keys(state.lastValues), ...Object.keys(state.thresholds.own), ...Object.keys(state.thresholds.defaults)])].sort();
  const rows = fields.map((field) => {
    const model = state.models[field];
    const rule = zscoreRuleFor(state.zscore, field);
    const threshold = thresholdFor(state.thresholds, field);
    const layer = state.thresholds.own[field] ? 'own' : '*';
    return [
      field,
      String(model?.n ?? 0),
      fmt(model?.mean),
      fmt(model ? stdev(model) : undefined),
      fmt(state.lastValues[field]),
      `k ${rule.k} ${rule.direction}, min ${rule.minSamples}, ${rule.learnAnomalies ? 'learns' : 'gates'} anomalies`,
      threshold
        ? `${threshold.low ?? '−∞'} … ${threshold.high ?? '∞'} ${threshold.rule}${threshold.rule === 'each' || threshold.rule === 'latest-in-window' ? '' : ` n=${threshold.n}`}` +
          `${threshold.rule.includes('window') ? ` ${threshold.windowMs / 1000}s` : ''}` +
          `${threshold.clearBelow !== undefined ? ` clear≤${threshold.clearBelow}` : ''}${threshold.clearAbove !== undefined ? ` clear≥${threshold.clearAbove}` : ''} (${layer})`
        : '',
    ];
  });
  const open = Object.entries(state.incidents).map(
    ([key, incident]) => `  ${key}: ${incident.anomalyId}, raised at ${new Date(incident.raisedTs).toISOString()}, ${incident.updates} updates, peak ${incident.peak}`,
  );
  return [
    `Device ${state.deviceId}: ${connection.status}, last seen ${seen}`,
    `  ${state.readingsApplied} readings, ${state.controlsApplied} control messages, ${state.duplicatesSkipped} re-deliveries skipped, ${state.anomalyCount} anomalies raised`,
    `  last reading at ${state.lastReadingTs === null ? 'never' : new Date(state.lastReadingTs).toISOString()}`,
    '',
    ...table(['field', 'n', 'mean', 'stdev', 'last', 'z-score rule', 'threshold'], rows),
    '',
    open.length > 0 ? 'Open anomalies:' : 'No open anomalies.',
    ...open,
  ].join('\n');
}

export function describeDevices(rows: DeviceRow[]): string {
  return table(
    ['device', 'status', 'anomalies', 'last reading'],
    rows.map((r) => [r.deviceId, r.status, String(r.anomalies), r.lastReadingAt]),
  ).join('\n');
}
