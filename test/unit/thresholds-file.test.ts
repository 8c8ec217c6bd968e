import { describe, expect, it } from 'vitest';
import { parseThresholdsCsv, thresholdColumns, thresholdRowFrom } from '../../src/formats/threshold-rows';

/** Seed 001's thresholds.csv, verbatim (no header, trailing blank line). */
const SEED_001 = `host-0000,loadavg,0.0,3.0
host-0000,cpu,0.0,90.0
host-0000,mem,0.0,85.0
host-0001,loadavg,0.0,3.0
host-0001,cpu,0.0,80.0
host-0001,mem,0.0,70.0

`;

const defaults = { rule: 'each', n: 3, windowMs: 60_000, clearAfter: 1 } as const;

describe('parseThresholdsCsv', () => {
  it('reads seed 001 into six rows with the defaults filled', () => {
    const rows = (
      [
        ['host-0000', 'loadavg', 0, 3],
        ['host-0000', 'cpu', 0, 90],
        ['host-0000', 'mem', 0, 85],
        ['host-0001', 'loadavg', 0, 3],
        ['host-0001', 'cpu', 0, 80],
        ['host-0001', 'mem', 0, 70],
      ] as const
    ).map(([device, field, low, high], i) => ({ line: i + 1, device, change: { field, rule: { low, high, ...defaults } } }));
    expect(parseThresholdsCsv(SEED_001)).toStrictEqual({ rows, errors: [] });
  });

  it('reads a * row with an empty low as unbounded below (seed 004)', () => {
    expect(parseThresholdsCsv('*,temp,,100\n')).toStrictEqual({
      rows: [{ line: 1, device: '*', change: { field: 'temp', rule: { low: null, high: 100, ...defaults } } }],
      errors: [],
    });
  });

  it('reads a row with both bounds empty as the removal of the threshold, of a device or of the fleet', () => {
    expect(parseThresholdsCsv('host-0001,cpu,,\n*,temp,,\n')).toStrictEqual({
      rows: [
        { line: 1, device: 'host-0001', change: { field: 'cpu', rule: null } },
        { line: 2, device: '*', change: { field: 'temp', rule: null } },
      ],
      errors: [],
    });
    // A rule with no bound at all is no removal but a mistake.
    expect(parseThresholdsCsv('host,field,low,high,rule\nh1,cpu,,,N-consecutive\n').errors).toEqual([{ line: 2, reason: expect.stringMatching(/a threshold needs a low or a high bound/) }]);
  });

  it('keeps a zero bound (not unbounded) and an empty high', () => {
    expect(parseThresholdsCsv('h1,cpu,0,\nh1,mem,-5,0').rows.map((r) => [r.change.rule?.low, r.change.rule?.high])).toEqual([
      [0, null],
      [-5, 0],
    ]);
  });

  it('maps a header with the optional columns, windowSeconds × 1000 to windowMs', () => {
    const text = [
      'host,field,low,high,rule,n,windowSeconds,clearBelow,clearAbove,clearAfter',
      'host-0001,cpu,0,80,at-least-N-in-window,5,30,70,,2',
      'host-0001,mem,10,70,N-consecutive,4,,,15,',
      '*,temp,,100',
    ].join('\n');
    expect(parseThresholdsCsv(text)).toStrictEqual({
      rows: [
        {
          line: 2,
          device: 'host-0001',
          change: { field: 'cpu', rule: { low: 0, high: 80, rule: 'at-least-N-in-window', n: 5, windowMs: 30_000, clearBelow: 70, clearAfter: 2 } },
        },
        {
          line: 3,
          device: 'host-0001',
          change: { field: 'mem', rule: { low: 10, high: 70, rule: 'N-consecutive', n: 4, windowMs: 60_000, clearAbove: 15, clearAfter: 1 } },
        },
        { line: 4, device: '*', change: { field: 'temp', rule: { low: null, high: 100, ...defaults } } },
      ],
      errors: [],
    });
  });

  it('follows the column order the header names', () => {
    expect(parseThresholdsCsv('host,field,high,low,windowSeconds\nh1,cpu,80,10,0.5').rows).toStrictEqual([
      { line: 2, device: 'h1', change: { field: 'cpu', rule: { low: 10, high: 80, rule: 'each', n: 3, windowMs: 500, clearAfter: 1 } } },
    ]);
  });

  it('reports an unknown header column on every row', () => {
    expect(parseThresholdsCsv('host,field,low,high,colour\nh1,cpu,0,80,red\nh2,cpu,0,80,blue')).toStrictEqual({
      rows: [],
      errors: [
        { line: 2, reason: 'unknown column(s) colour' },
        { line: 3, reason: 'unknown column(s) colour' },
      ],
    });
  });

  it('reports each bad row with its 1-based line number and still parses the good ones', () => {
    const text = [
      'host-0000,cpu,0,90', // 1 good
      'host-0000,mem,90,10', // 2 low > high
      'host-0000,mem,abc,10', // 3 non-numeric
      'host-0000,mem,0,10,sometimes', // 4 unknown rule
      'host-0000,mem', // 5 fewer than 4 columns
      ',mem,0,10', // 6 empty host
      '', // 7 blank: skipped, still counted
      '# a comment', // 8 skipped, still counted
      '*,temp,,100', // 9 good
      `${'h'.repeat(201)},cpu,0,1`, // 10 host id too long
      'host-0000,cpu,,', // 11 good: no bound at all removes the threshold
      'host-0000,bad field,0,1', // 12 field name
    ].join('\n');
    const { rows, errors } = parseThresholdsCsv(text);
    expect(rows.map((r) => [r.line, r.device, r.change.field])).toEqual([
      [1, 'host-0000', 'cpu'],
      [9, '*', 'temp'],
      [11, 'host-0000', 'cpu'],
    ]);
    expect(rows[2]?.change.rule).toBeNull();
    expect(errors.map((e) => e.line)).toEqual([2, 3, 4, 5, 6, 10, 12]);
    const reason = (line: number) => errors.find((e) => e.line === line)?.reason;
    expect(reason(2)).toBe('invalid threshold on line 2: rule: low must not be greater than high');
    expect(reason(3)).toMatch(/^invalid threshold on line 3: rule\.low: /);
    expect(reason(4)).toMatch(/^invalid threshold on line 4: rule\.rule: /);
    expect(reason(5)).toBe('line 5: expected at least host,field,low,high');
    expect(reason(6)).toBe('invalid host on line 6: host on line 6: device id is empty');
    expect(reason(10)).toBe('invalid host on line 10: host on line 10: device id is longer than 200 characters');
    expect(reason(12)).toMatch(/^invalid threshold on line 12: field: /);
  });

  it('returns nothing for an empty file', () => {
    expect(parseThresholdsCsv('')).toStrictEqual({ rows: [], errors: [] });
    expect(parseThresholdsCsv('host,field,low,high\n')).toStrictEqual({ rows: [], errors: [] });
  });
});

describe('thresholdRowFrom', () => {
  it('names seed 001 columns first, then the optional ones', () => {
    expect(thresholdColumns).toEqual(['host', 'field', 'low', 'high', 'rule', 'n', 'windowSeconds', 'clearBelow', 'clearAbove', 'clearAfter']);
  });

  it('builds a validated change from named cells, trimming them', () => {
    expect(thresholdRowFrom({ host: ' host-0001 ', field: ' cpu ', low: '0', high: '80', rule: ' latest-in-window ', windowSeconds: '10' }, 7)).toStrictEqual({
      line: 7,
      device: 'host-0001',
      change: { field: 'cpu', rule: { low: 0, high: 80, rule: 'latest-in-window', n: 3, windowMs: 10_000, clearAfter: 1 } },
    });
  });

  it('throws with the line number for an invalid row', () => {
    expect(() => thresholdRowFrom({ host: 'h', field: 'cpu', low: '9', high: '1' }, 3)).toThrow('invalid threshold on line 3: rule: low must not be greater than high');
    expect(() => thresholdRowFrom({ field: 'cpu', low: '0', high: '1' }, 4)).toThrow('invalid host on line 4: host on line 4: device id is empty');
  });
});
