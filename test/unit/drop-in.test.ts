import { describe, expect, it } from 'vitest';
import { anomalyEvent, anomalyIdFor } from '../../src/contracts/anomalies';
import {
  dropInAnomalyMessages,
  dropInEnrichedMessages,
  type DropInSettings,
  meterAnomaliesContract,
  monitoringRecordsContract,
  sensorAnomalyReportsContract,
} from '../../src/drop-in';
import type { EnrichedReading } from '../../src/contracts/enriched';
import type { DetectorName, Explanation } from '../../src/detectors/registry';
import { dropInSettingsOf, loadConfig } from '../../src/config';
import { decodeMessage, formats } from '../../src/formats';

const settings: DropInSettings = {
  outputs: ['sensor', 'usage', 'epa', 'csv3'],
  topics: { sensorAnomalies: 'anomalyTopic', sensorAnomalyWindows: 'anomalyMemReport', meterAnomalies: 'anomaly', monitoringRecords: 'monitoringEnriched2' },
  usageTimeZone: 'America/New_York',
  formatOfTopic: new Map([['sensor-raw', 'sensor'], ['readings', 'reading'], ['usage', 'usage'], ['epa-raw', 'epa']]),
};

const zscore: Explanation = { kind: 'zscore', n: 85, mean: 21, stdev: 0.6, z: 26.5, k: 4, direction: 'both', lower: 18.6, upper: 23.4 };
const forest: Explanation = { kind: 'seasonal-iforest', score: 0.64, slot: 'Tue 10:30', comparables: 4, comparablesMin: 440, comparablesMax: 493, comparablesMean: 466, historyDays: 28 };

let offset = 0;
function step(status: 'raised' | 'updated' | 'resolved', detector: DetectorName, topic: string, field: string, ts: number, value: number, explanation: Explanation = zscore) {
  const source = { topic, partition: 0, offset: offset++ };
  return anomalyEvent({ anomalyId: anomalyIdFor(detector, 'd1', field, source), status, deviceId: 'd1', detector, field, ts, value, explanation, source });
}

const values = (messages: ReturnType<typeof dropInAnomalyMessages>) => messages.map((t) => [t.topic, t.messages.map((m) => [m.key, m.value])]);

describe("the sensor format's anomalyTopic", () => {
  it('gives every z-score step on temp that raised or updated an anomaly as exactly {id, ts, temp}, keyed by device', () => {
    const events = [
      step('raised', 'zscore', 'sensor-raw', 'temp', 1_790_000_000_123, 36.9),
      step('updated', 'zscore', 'sensor-raw', 'temp', 1_790_000_001_123, 37.5),
      step('resolved', 'zscore', 'sensor-raw', 'temp', 1_790_000_002_123, 21),
      step('raised', 'zscore', 'sensor-raw', 'hum', 1_790_000_000_123, 99), // another field
      step('raised', 'flatline', 'sensor-raw', 'temp', 1_790_000_000_123, 21), // another detector
      step('raised', 'zscore', 'readings', 'temp', 1_790_000_000_123, 40), // another format's reading
    ];
    expect(values(dropInAnomalyMessages(events, settings))).toEqual([
      ['anomalyTopic', [['d1', '{"id":"d1","ts":1790000000123,"temp":36.9}'], ['d1', '{"id":"d1","ts":1790000001123,"temp":37.5}']]],
    ]);
    expect(sensorAnomalyReportsContract.decode('{"id":"d1","ts":1,"temp":2}')).toEqual({ id: 'd1', ts: 1, temp: 2 });
    expect(() => sensorAnomalyReportsContract.decode('{"id":"d1","ts":1,"temp":2,"hum":3}')).toThrow(/invalid record for anomalyTopic/);
  });

  it('gives nothing when the output is switched off', () => {
    const events = [step('raised', 'zscore', 'sensor-raw', 'temp', 1, 36.9)];
    expect(dropInAnomalyMessages(events, { ...settings, outputs: ['usage', 'epa', 'csv3'] })).toEqual([]);
  });
});

describe("the usage format's anomaly topic", () => {
  it('gives each flagged reading as {ts, usage} with the wall time its row had, in winter, summer and the repeated autumn hour, in json.dumps bytes', () => {
    const asInt = { ...step('raised', 'seasonal-iforest', 'usage', 'usage', Date.UTC(2024, 0, 30, 16, 0), 412, forest), attrs: { valueIsInt: 'true' } };
    const events = [
      step('raised', 'seasonal-iforest', 'usage', 'usage', Date.UTC(2024, 0, 30, 15, 30), 1340.73, forest), // 10:30 EST
      step('raised', 'seasonal-iforest', 'usage', 'usage', Date.UTC(2024, 6, 4, 14, 5), 512.5, forest), // 10:05 EDT
      step('raised', 'seasonal-iforest', 'usage', 'usage', Date.UTC(2024, 10, 3, 5, 30), 90, forest), // 01:30 EDT, the first of two
      step('resolved', 'seasonal-iforest', 'usage', 'usage', Date.UTC(2024, 0, 30, 15, 35), 450, forest),
      step('raised', 'seasonal-iforest', 'usage', 'usage', Date.UTC(2024, 10, 3, 6, 30), 91.5, forest), // 01:30 EST, the second
      asInt, // the message wrote `412`: Python read an int, and writes one
    ];
    expect(values(dropInAnomalyMessages(events, settings))).toEqual([
      ['anomaly', [
        ['d1', '{"ts": "2024-01-30 10:30:00", "usage": 1340.73}'],
        ['d1', '{"ts": "2024-07-04 10:05:00", "usage": 512.5}'],
        ['d1', '{"ts": "2024-11-03 01:30:00", "usage": 90.0}'],
        ['d1', '{"ts": "2024-11-03 01:30:00", "usage": 91.5}'],
        ['d1', '{"ts": "2024-01-30 11:00:00", "usage": 412}'],
      ]],
    ]);
    // The usage format reads the text back to the instant the anomaly has.
    const read = decodeMessage(formats.usage, Buffer.from('{"ts":"2024-01-30 10:30:00","value":1340.73}'), { key: 'd1', timestamp: 0 }, 4096);
    expect(read.ts).toBe(Date.UTC(2024, 0, 30, 15, 30));
    expect(() => meterAnomaliesContract.encode({ ts: '2024-01-30 10:30:00', usage: 1 })).toThrow(/does not name its key/);
  });
});

describe("the EPA format's monitoringEnriched2", () => {
  const aqs =
    '"06","037","1103","44201",1,34.06659,-118.22688,"WGS84","Ozone","2017-01-01","00:00","2017-01-01","08:00",0.0230,"Parts per million",0.005,,"","FEM","087","INSTRUMENTAL - ULTRA VIOLET ABSORPTION","California","Los Angeles","2017-04-28"';
  const reading = decodeMessage(formats.epa, Buffer.from(aqs), { key: '06-037-1103-44201-1', timestamp: 0 }, 4096);
  const enriched = (prediction: number | null): EnrichedReading => ({
    deviceId: reading.deviceId, field: 'sampleMeasurement', ts: reading.ts, value: 0.023, prediction, error: prediction === null ? null : 0.023 - prediction,
    anomaly: prediction === null ? null : 0.25, likelihood: 0.5, logLikelihood: 0.1, predictionNext: prediction === null ? null : 0.021, spatialAnomaly: false, score: 0.1,
    source: { topic: 'epa-raw', partition: 3, offset: 7 },
  });

  it('gives the input MonitoringRecord back whole, every column as text, with prediction, |prediction − actual|, anomaly and predictionNext', () => {
    const [topic] = dropInEnrichedMessages([{ record: enriched(0.026), attrs: reading.attrs }], settings);
    expect(topic?.topic).toBe('monitoringEnriched2');
    expect(topic?.messages.map((m) => m.key)).toEqual(['06-037-1103-44201-1']);
    expect(monitoringRecordsContract.decode(topic?.messages[0]?.value)).toStrictEqual({
      stateCode: '06', countyCode: '037', siteNum: '1103', parameterCode: '44201', poc: '1', latitude: '34.06659', longitude: '-118.22688',
      datum: 'WGS84', parameterName: 'Ozone', dateLocal: '2017-01-01', timeLocal: '00:00', dateGMT: '2017-01-01', timeGMT: '08:00',
      sampleMeasurement: '0.0230', unitsOfMeasure: 'Parts per million', mdl: '0.005', uncertainty: '', qualifier: '', methodType: 'FEM', methodCode: '087',
      methodName: 'INSTRUMENTAL - ULTRA VIOLET ABSORPTION', stateName: 'California', countyName: 'Los Angeles', dateOfLastChange: '2017-04-28',
      prediction: 0.026, error: Math.abs(0.026 - 0.023), anomaly: 0.25, predictionNext: 0.021,
    });
  });

  it('gives 0 while the model has no prediction (the class\u2019s doubles never set), null when so configured, and nothing for other formats or when switched off', () => {
    const [topic] = dropInEnrichedMessages([{ record: enriched(null), attrs: reading.attrs }], settings);
    expect(monitoringRecordsContract.decode(topic?.messages[0]?.value)).toMatchObject({ prediction: 0, error: 0, anomaly: 0, predictionNext: 0 });
    const [nulls] = dropInEnrichedMessages([{ record: enriched(null), attrs: reading.attrs }], { ...settings, monitoringUnknown: 'null' });
    expect(monitoringRecordsContract.decode(nulls?.messages[0]?.value)).toMatchObject({ prediction: null, error: null, anomaly: null, predictionNext: null });
    const elsewhere = { ...enriched(0.026), source: { topic: 'readings', partition: 0, offset: 1 } };
    expect(dropInEnrichedMessages([{ record: elsewhere, attrs: undefined }], settings)).toEqual([]);
    expect(dropInEnrichedMessages([{ record: enriched(0.026), attrs: reading.attrs }], { ...settings, outputs: [] })).toEqual([]);
  });
});

describe('the drop-in settings', () => {
  it('are all on by default with their users\' topic names, under the topic prefix', () => {
    const config = loadConfig({ VIGIL_TOPIC_PREFIX: 'p.' });
    expect(config.dropIn).toEqual({ outputs: ['sensor', 'usage', 'epa', 'csv3'], topics: { sensorAnomalies: 'p.anomalyTopic', sensorAnomalyWindows: 'p.anomalyMemReport', meterAnomalies: 'p.anomaly', monitoringRecords: 'p.monitoringEnriched2' }, monitoringUnknown: 'zero' });
    expect(dropInSettingsOf(config).formatOfTopic.get('p.monitoring20')).toBe('epa');
  });

  it('switch off all at once or some, take other names, and refuse an unknown output', () => {
    expect(loadConfig({ VIGIL_COMPAT_OUTPUTS: 'false' }).dropIn.outputs).toEqual([]);
    expect(loadConfig({ VIGIL_COMPAT_OUTPUTS: 'sensor, csv3' }).dropIn.outputs).toEqual(['sensor', 'csv3']);
    expect(() => loadConfig({ VIGIL_COMPAT_OUTPUTS: 'sensor,kinesis' })).toThrow(/dropIn\.outputs/);
    const renamed = loadConfig({ VIGIL_EPA_TOPIC: 'monitoring20', VIGIL_MONITORING_ENRICHED_TOPIC: 'monitoringEnriched2', VIGIL_SENSOR_ANOMALY_TOPIC: 'alerts' });
    expect(renamed.kafka.inputs.find((i) => i.format === 'epa')?.topic).toBe('monitoring20');
    expect(renamed.dropIn.topics).toMatchObject({ monitoringRecords: 'monitoringEnriched2', sensorAnomalies: 'alerts' });
    expect(loadConfig({ VIGIL_ENRICHED_TOPIC: 'enriched' }).kafka.topics.enriched).toBe('enriched');
  });

  it("give csv3 devices temp above 100 unless configured otherwise", () => {
    expect(loadConfig({}).formats.csv3.tempAbove).toBe(100);
    expect(loadConfig({ VIGIL_CSV3_TEMP_ABOVE: '80' }).formats.csv3.tempAbove).toBe(80);
    expect(loadConfig({ VIGIL_CSV3_TEMP_ABOVE: 'none' }).formats.csv3.tempAbove).toBeNull();
    expect(() => loadConfig({ VIGIL_CSV3_TEMP_ABOVE: 'hot' })).toThrow(/tempAbove/);
  });
});
