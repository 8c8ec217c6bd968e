import { describe, expect, it } from 'vitest';
import { decodeMessage, formats, parseText, Rejection, type RejectionCode, toCanonical } from '../../../src/formats';
import { epaColumns } from '../../../src/formats/epa';

const MAX = 4096;
const T = 1_700_000_000_000;
const epa = formats.epa;
const DEVICE = '06-037-1103-44201-1';

/** An AQS hourly row as the files write it: text quoted, numbers bare. */
const AQS_LINE =
  '"06","037","1103","44201",1,34.06659,-118.22688,"WGS84","Ozone","2017-01-01","00:00","2017-01-01","08:00",0.023,"Parts per million",0.005,,"","FEM","087","INSTRUMENTAL - ULTRA VIOLET ABSORPTION","California","Los Angeles","2017-04-28"';

/** Every column of the record as its text, empty ones left out: what the MonitoringRecord output gives back. */
const EXPECTED_ATTRS: Record<string, string> = {
  stateCode: '06', countyCode: '037', siteNum: '1103', parameterCode: '44201', poc: '1', latitude: '34.06659', longitude: '-118.22688',
  datum: 'WGS84', parameterName: 'Ozone', dateLocal: '2017-01-01', timeLocal: '00:00', dateGMT: '2017-01-01', timeGMT: '08:00',
  sampleMeasurement: '0.023', unitsOfMeasure: 'Parts per million', mdl: '0.005', methodType: 'FEM', methodCode: '087',
  methodName: 'INSTRUMENTAL - ULTRA VIOLET ABSORPTION', stateName: 'California', countyName: 'Los Angeles', dateOfLastChange: '2017-04-28',
};

const EXPECTED = {
  deviceId: DEVICE,
  ts: Date.UTC(2017, 0, 1, 8, 0),
  values: { sampleMeasurement: 0.023 },
  attrs: EXPECTED_ATTRS,
};

/** Seed 002's MonitoringRecord as Jackson writes it: every column a string, plus its enrichment. */
const MONITORING_RECORD = {
  stateCode: '06',
  countyCode: '037',
  siteNum: '1103',
  parameterCode: '44201',
  poc: '1',
  latitude: '34.06659',
  longitude: '-118.22688',
  datum: 'WGS84',
  parameterName: 'Ozone',
  dateLocal: '2017-01-01',
  timeLocal: '00:00',
  dateGMT: '2017-01-01',
  timeGMT: '08:00',
  sampleMeasurement: '0.023',
  unitsOfMeasure: 'Parts per million',
  mdl: '0.005',
  uncertainty: '',
  qualifier: '',
  methodType: 'FEM',
  methodCode: '087',
  methodName: 'INSTRUMENTAL - ULTRA VIOLET ABSORPTION',
  stateName: 'California',
  countyName: 'Los Angeles',
  dateOfLastChange: '2017-04-28',
  prediction: 0.02,
  error: 0.003,
  anomaly: 0.1,
  predictionNext: 0.021,
};

const decode = (text: string, key: string | undefined = DEVICE) => decodeMessage(epa, Buffer.from(text), { key, timestamp: T }, MAX);

function rejectionOf(text: string, key: string | undefined = DEVICE): Rejection {
  try {
    decode(text, key);
  } catch (error) {
    expect(error).toBeInstanceOf(Rejection);
    return error as Rejection;
  }
  throw new Error('expected a Rejection, but the message was accepted');
}
const codeOf = (text: string, key?: string): RejectionCode => rejectionOf(text, key).code;

/** The AQS line with cells replaced (by column index), the rest kept. */
function withCells(replacements: Record<number, string>): string {
  return AQS_LINE.split(',')
    .map((cell, index) => replacements[index] ?? cell)
    .join(',');
}
const withCell = (index: number, cell: string) => withCells({ [index]: cell });

describe('epa format (seed 002: EPA AQS hourly rows)', () => {
  it('maps an AQS CSV line to one reading of the monitor, at Date GMT + Time GMT', () => {
    expect(decode(AQS_LINE)).toStrictEqual(EXPECTED);
  });

  it('maps seed 002’s MonitoringRecord JSON (camelCase strings) to the same reading', () => {
    expect(decode(JSON.stringify(MONITORING_RECORD))).toStrictEqual(EXPECTED);
  });

  it('maps a JSON object keyed by the AQS column names to the same reading', () => {
    const cells = ['06', '037', '1103', '44201', 1, 34.06659, -118.22688, 'WGS84', 'Ozone', '2017-01-01', '00:00', '2017-01-01', '08:00', 0.023, 'Parts per million', 0.005, '', '', 'FEM', '087', 'x', 'California', 'Los Angeles', '2017-04-28'];
    const byColumn = Object.fromEntries(epaColumns.map(([column], index) => [column, cells[index]]));
    expect(decode(JSON.stringify(byColumn))).toStrictEqual({ ...EXPECTED, attrs: { ...EXPECTED_ATTRS, methodName: 'x' } });
  });

  it('pads numeric codes, so a JSON producer sending numbers names the same device', () => {
    const numeric = { ...MONITORING_RECORD, stateCode: 6, countyCode: 37, siteNum: 1103, parameterCode: 44201, poc: 1, sampleMeasurement: 0.023 };
    expect(decode(JSON.stringify(numeric)).deviceId).toBe(DEVICE);
    // Letters are kept: AQS uses CC for Canadian sites.
    expect(decode(JSON.stringify({ ...MONITORING_RECORD, stateCode: 'CC' }), 'CC-037-1103-44201-1').deviceId).toBe('CC-037-1103-44201-1');
  });

  it('honours CSV quoting: commas and doubled quotes inside quoted cells', () => {
    const line = withCell(22, '"Los Angeles, CA"').replace('"INSTRUMENTAL - ULTRA VIOLET ABSORPTION"', '"UV, ""photometric"" (O3)"');
    expect(decode(line)).toStrictEqual({ ...EXPECTED, attrs: { ...EXPECTED_ATTRS, countyName: 'Los Angeles, CA', methodName: 'UV, "photometric" (O3)' } });
    expect(parseText(epa, line)).toMatchObject({ countyName: 'Los Angeles, CA', methodName: 'UV, "photometric" (O3)' });
    // A quoted name with a comma in the attributes too.
    expect(decode(withCell(8, '"Ozone, 8-hr"')).attrs).toStrictEqual({ ...EXPECTED_ATTRS, parameterName: 'Ozone, 8-hr' });
  });

  it('accepts a trailing newline and blanks around cells', () => {
    expect(decode(`${AQS_LINE.replaceAll(',', ' , ')}\r\n`)).toStrictEqual(EXPECTED);
  });

  it('keeps the measurement as the record wrote it, for the record given back', () => {
    expect(decode(withCell(13, '0.0230')).attrs?.sampleMeasurement).toBe('0.0230');
    expect(decode(JSON.stringify({ ...MONITORING_RECORD, sampleMeasurement: 0.023 })).attrs?.sampleMeasurement).toBe('0.023');
  });

  it('keeps at most 100 characters of an attribute and leaves empty ones out', () => {
    const long = 'P'.repeat(150);
    expect(decode(JSON.stringify({ ...MONITORING_RECORD, parameterName: long })).attrs?.parameterName).toBe('P'.repeat(100));
    const { parameterName: _name, unitsOfMeasure: _units, ...others } = EXPECTED_ATTRS;
    expect(decode(JSON.stringify({ ...MONITORING_RECORD, parameterName: '', unitsOfMeasure: undefined }))).toStrictEqual({ ...EXPECTED, attrs: others });
  });

  it('rejects a row without the 24 columns as invalid-schema', () => {
    const short = rejectionOf(AQS_LINE.split(',').slice(0, 23).join(','));
    expect(short.code).toBe('invalid-schema');
    expect(short.detail).toBe('expected the 24 EPA AQS hourly columns (State Code … Date of Last Change), got 23');
    expect(rejectionOf(`${AQS_LINE},"extra"`).detail).toMatch(/got 25$/);
    expect(codeOf('06,037,1103')).toBe('invalid-schema');
    expect(rejectionOf(`${AQS_LINE}\n${AQS_LINE}`).detail).toBe('a message is one CSV row of the EPA columns, not 2');
  });

  it('rejects broken CSV quoting as invalid-schema and broken JSON as invalid-json', () => {
    const unclosed = rejectionOf(withCell(22, '"Los Angeles'));
    expect(unclosed.code).toBe('invalid-schema');
    expect(unclosed.detail).toMatch(/^CSV: /);
    expect(codeOf('{"State Code": "06", ')).toBe('invalid-json');
    expect(codeOf('[1, 2]')).toBe('invalid-schema');
  });

  it('rejects a bad Date GMT or Time GMT as invalid-schema', () => {
    for (const [date, time] of [
      ['"2017-02-30"', '"08:00"'],
      ['"1/1/2017"', '"08:00"'],
      ['"2017-01-01"', '"8:00"'],
      ['"2017-01-01"', '"24:00"'],
      ['"2017-01-01"', '"08:00:00"'],
      ['""', '""'],
    ] as const) {
      const rejection = rejectionOf(withCells({ 11: date, 12: time }));
      expect(rejection.code, `${date} ${time}`).toBe('invalid-schema');
      expect(rejection.detail, `${date} ${time}`).toMatch(/^dateGMT: Date GMT \+ Time GMT must be YYYY-MM-DD \+ HH:MM/);
    }
  });

  it('rejects a Sample Measurement that is not a finite number as invalid-schema', () => {
    for (const cell of ['', '"abc"', '1e400', '0x10', 'NaN', '"Infinity"']) {
      const rejection = rejectionOf(withCell(13, cell));
      expect(rejection.code, cell).toBe('invalid-schema');
      expect(rejection.detail, cell).toMatch(/^sampleMeasurement: /);
    }
    expect(codeOf(JSON.stringify({ ...MONITORING_RECORD, sampleMeasurement: null }))).toBe('invalid-schema');
    expect(codeOf('{"stateCode":"06","countyCode":"037","siteNum":"1103","parameterCode":"44201","poc":"1","dateGMT":"2017-01-01","timeGMT":"08:00","sampleMeasurement":1e400}')).toBe('invalid-schema');
  });

  it('rejects a missing or malformed id part as invalid-schema', () => {
    const { stateCode: _dropped, ...withoutState } = MONITORING_RECORD;
    expect(rejectionOf(JSON.stringify(withoutState)).detail).toMatch(/^stateCode: /);
    expect(rejectionOf(withCell(2, '"11-03"')).detail).toBe('siteNum: Site Num must be 1-10 letters or digits');
    expect(codeOf(withCell(0, '""'))).toBe('invalid-schema');
  });

  it('requires the key to be the monitor’s id', () => {
    const mismatch = rejectionOf(AQS_LINE, '06-037-1103-44201-2');
    expect(mismatch.code).toBe('key-mismatch');
    expect(mismatch.detail).toBe(`key "06-037-1103-44201-2" ≠ device id "${DEVICE}"`);
    // A key joined from the codes as numbers (no zero padding) names the same monitor; another one does not.
    for (const key of ['6-37-1103-44201-1', '06-37-1103-44201-01', undefined, '']) {
      expect(decodeMessage(epa, Buffer.from(AQS_LINE), { key, timestamp: T }, MAX).deviceId, String(key)).toBe(DEVICE);
    }
    expect(codeOf(AQS_LINE, '6-37-1103-44201-2')).toBe('key-mismatch');
    expect(codeOf(AQS_LINE, '6-37-1103-44201')).toBe('key-mismatch');
  });

  it('maps a CSV file row (header names as keys) for replay', () => {
    const cells = parseText(epa, AQS_LINE) as Record<string, string>;
    const row = Object.fromEntries(epaColumns.map(([column, property]) => [column, cells[property] ?? '']));
    expect(toCanonical(epa, epa.fromCsvRow(row), { key: undefined, timestamp: T })).toStrictEqual(EXPECTED);
  });
});
