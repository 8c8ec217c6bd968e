import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { pythonFloat, pythonJsonObject } from '../../../src/drop-in/python-json';

/** What Python itself writes for each record: `json.dumps` of `{"ts": …, "usage": …}`, one line each. */
function pythonDumps(records: Array<{ ts: string; usage: number | string }>): string[] {
  const script = 'import json,sys\nfor line in sys.stdin:\n    r = json.loads(line)\n    print(json.dumps({"ts": r["ts"], "usage": r["usage"]}))\n';
  // Numbers go over as Python literals so int and float stay what they are.
  const input = records.map((r) => `{"ts": ${JSON.stringify(r.ts)}, "usage": ${typeof r.usage === 'string' ? r.usage : pythonFloat(r.usage)}}`).join('\n');
  return execFileSync('python3', ['-c', script], { input, encoding: 'utf8' }).trimEnd().split('\n');
}

describe('json.dumps bytes', () => {
  it('writes floats as Python’s repr: the same digits, Python’s switch to exponents, a float always looking like one', () => {
    const cases = [412, 412.5, 0.1, 1 / 3, 1e15, 1e16, 123456789012345680, 1e-4, 1e-5, 0.00012, 5e-324, 1.7976931348623157e308, -0, -2.5, 1e21, 1e22, 9007199254740993, 0.30000000000000004];
    expect(cases.map(pythonFloat)).toEqual([
      '412.0', '412.5', '0.1', '0.3333333333333333', '1000000000000000.0', '1e+16', '1.2345678901234568e+17', '0.0001', '1e-05', '0.00012', '5e-324',
      '1.7976931348623157e+308', '-0.0', '-2.5', '1e+21', '1e+22', '9007199254740992.0', '0.30000000000000004',
    ]);
  });

  it('matches Python’s own json.dumps on the meter’s records: random values, ints, and wall times', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const values: number[] = [];
    for (let i = 0; i < 400; i += 1) values.push((random() - 0.3) * 10 ** Math.floor(random() * 44 - 22));
    for (let i = 0; i < 100; i += 1) values.push(Math.round(random() * 10_000) / 100);
    const records = values.map((usage, i) => ({ ts: `2024-01-${String((i % 28) + 1).padStart(2, '0')} 08:10:00`, usage }));
    const ours = records.map((r) => pythonJsonObject(r));
    expect(ours).toEqual(pythonDumps(records));
    // An int stays an int: `412`, as Python reads `"value": 412`.
    expect(pythonJsonObject({ ts: '2024-01-08 08:10:00', usage: 412 }, new Set(['usage']))).toBe(pythonDumps([{ ts: '2024-01-08 08:10:00', usage: '412' }])[0]);
    expect(pythonJsonObject({ ts: 'é\u007f"\\\n😀', usage: 1 })).toBe(pythonDumps([{ ts: 'é\u007f"\\\n😀', usage: 1 }])[0]);
  });
});
