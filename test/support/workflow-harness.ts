import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll } from 'vitest';
import type { createActivities } from '../../src/activities';
import { createFleetActivities } from '../../src/activities/fleet';
import type { DeviceState } from '../../src/device/state';
import type { SourcedItem } from '../../src/device/item';
import type { SourcedReading } from '../../src/reading';
import type { Aggregate } from '../../src/contracts/aggregates';
import type { AnomalyEvent } from '../../src/contracts/anomalies';
import type { DeviceEvent } from '../../src/contracts/device-events';
import type { ClosedReportWindows } from '../../src/device/anomaly-report';
import { type EnrichedReading, enrichedReadingSchema } from '../../src/contracts/enriched';
import { createHtmActivities } from '../../src/activities/htm';
import { createPublishActivities, type Publisher } from '../../src/activities/publish';
import { HtmScorer } from '../../src/htm-runtime';
import { workflowIdFor, deliverSignal, type DeliveryBatch, deliveryOf, type DeviceWorkflowInput, stateQuery } from '../../src/workflows/definitions';
import type { FormatDefaults } from '../../src/device/settings';
import type { deviceWorkflow } from '../../src/workflows/device';
import { type TestDeviceOptions, testSettings } from './reference';
import { sharedWorkflowModules, workflowsPath } from '../../src/workflow-bundle';
import { createLocalTemporal } from './temporal';

export type StartOptions = TestDeviceOptions & { continueAsNewAfterEvents?: number };

const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/**
 * A local Temporal (in memory, from the installed binary) and the workflow bundle for one test
 * file. Activities publish into arrays instead of Kafka: the end-to-end tests cover Kafka.
 */
export function useWorkflowHarness() {
  const harness = {
    env: undefined as unknown as TestWorkflowEnvironment,
    bundle: undefined as unknown as WorkflowBundleWithSourceMap,
    published: [] as AnomalyEvent[],
    /** How long each publication takes: a slow one widens the window in which signals race the task that runs it. */
    publishDelayMs: 0,
    deviceEvents: [] as DeviceEvent[],
    aggregates: [] as Aggregate[],
    enriched: [] as EnrichedReading[],
    scorer: undefined as unknown as HtmScorer,
    modelDir: fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-models-')),
    /** A worker crash as the scorer sees it: threads and live models gone, the model store kept. */
    async restartScorer(): Promise<void> {
      await harness.scorer.close();
      harness.scorer = new HtmScorer({ store: { kind: 'local-directory', dir: harness.modelDir }, threads: 1 });
    },
    lateLetters: [] as SourcedReading[],
    /** The anomaly report's closed windows, as the workflow hands them to the publisher. */
    reports: [] as ClosedReportWindows[],

    /** Outputs go into the harness's arrays; the end-to-end tests cover the Kafka publisher. */
    publisher(): Publisher {
      return {
        publish: async ({ anomalies, aggregates, deviceEvents, late, report }) => {
          if (harness.publishDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, harness.publishDelayMs));
          harness.published.push(...anomalies);
          harness.aggregates.push(...aggregates);
          harness.deviceEvents.push(...deviceEvents);
          harness.lateLetters.push(...(late?.late ?? []));
          if (report) harness.reports.push(report);
        },
        // Through the contract's schema, as a consumer of the topic would read them.
        publishEnriched: async (enriched) => void harness.enriched.push(...enriched.map(({ record }) => enrichedReadingSchema.parse(JSON.parse(JSON.stringify(record))))),
      };
    },

    /** The worker's activities with the harness's publisher; `ownQueue`: the worker's own queue, named in HTM replies. */
    activities(scorer?: HtmScorer, ownQueue?: string): ReturnType<typeof createActivities> {
      const publisher: Publisher = harness.publisher();
      return {
        ...createPublishActivities(publisher),
        // The real scorer (threads, model store).
        ...createHtmActivities(publisher, scorer ?? (harness.scorer as HtmScorer), ownQueue),
        ...createFleetActivities(harness.env.client),
      };
    },

    async withWorker<T>(taskQueue: string, run: () => Promise<T>): Promise<T> {
      const activities: ReturnType<typeof createActivities> = harness.activities();
      const worker: Worker = await Worker.create({ connection: harness.env.nativeConnection, taskQueue, workflowBundle: harness.bundle, activities });
      return worker.runUntil(run());
    },

    /** A device as the tests configure one (see testSettings), with the continue-as-new test hook. */
    startArgs(deviceId: string, { continueAsNewAfterEvents, ...options }: StartOptions = {}): [DeviceWorkflowInput] {
      return [{ deviceId, settings: testSettings(options), continueAsNewAfterEvents }];
    },

    /** Delivers items as the ingest does: signalWithStart, starting the device if need be; with their format's defaults if given. */
    deliver(taskQueue: string, deviceId: string, items: SourcedItem[], extra: StartOptions = {}, format?: FormatDefaults) {
      return harness.env.client.workflow.signalWithStart<typeof deviceWorkflow, [DeliveryBatch]>('deviceWorkflow', {
        workflowId: workflowIdFor(deviceId),
        taskQueue,
        args: harness.startArgs(deviceId, extra),
        signal: deliverSignal,
        signalArgs: [deliveryOf(items, format)],
      });
    },

    /**
     * Waits until `count` items are applied (or refused as too late) and what they caused is published: the state
     * changes in the workflow task that schedules the publishing, so both are waited for.
     */
    async waitForApplied(deviceId: string, count: number): Promise<DeviceState> {
      const handle = harness.env.client.workflow.getHandle(workflowIdFor(deviceId));
      for (let attempt = 0; attempt < 300; attempt += 1) {
        const state = await handle.query(stateQuery);
        if (state.counters.readingsApplied + state.counters.controlsApplied + state.counters.lateDropped >= count) {
          // No task in flight (its commands are recorded) and no activity left to run.
          const { raw } = await handle.describe();
          if (!raw.pendingWorkflowTask && (raw.pendingActivities ?? []).length === 0) return state;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`${deviceId} did not apply and publish ${count} items`);
    },

    eventsOf(deviceId: string) {
      return harness.published.filter((a) => a.deviceId === deviceId);
    },
  };
  beforeAll(async () => {
    harness.scorer = new HtmScorer({ store: { kind: 'local-directory', dir: harness.modelDir }, threads: 1 });
    harness.env = await createLocalTemporal();
    harness.bundle = await bundleWorkflowCode({ workflowsPath, preloadModules: sharedWorkflowModules, logger: quiet });
  });
  afterAll(async () => {
    await harness.scorer?.close();
    await harness.env?.teardown();
  });
  return harness;
}

/** Readings of one numeric field, one second apart, from `offset0` on. */
export function fieldReadings(deviceId: string, field: string, values: number[], offset0 = 0, ts0 = 1_700_000_000_000): SourcedItem[] {
  return values.map((value, i) => ({
    source: { topic: 'wf-test', partition: 0, offset: offset0 + i },
    reading: { deviceId, ts: ts0 + (offset0 + i) * 1000, values: { [field]: value } },
  }));
}
