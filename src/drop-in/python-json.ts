/**
 * JSON text byte for byte as Python's `json.dumps` writes it with its defaults, for the outputs
 * whose consumers were written against a Python producer: `", "` and `": "` between items,
 * non-ASCII escaped (`ensure_ascii`), and numbers as Python prints them, where a float always
 * shows that it is one (`412.0`, `1e-05`, `1e+16`) and an int never does.
 */

/** A number as Python's `repr(float)`: the shortest digits that read back the same, in Python's layout. */
export function pythonFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  // JavaScript's shortest round-trip digits are Python's (both the shortest correctly rounded).
  const [mantissa = '', exponent = '0'] = value.toExponential().split('e');
  const sign = mantissa.startsWith('-') ? '-' : '';
  const digits = mantissa.replace('-', '').replace('.', '');
  const point = Number(exponent) + 1; // where the decimal point falls after the first digit's place
  // Python's repr switches to exponent form below 1e-4 and from 1e16 up.
  if (point <= -4 || point > 16) {
    const exp = Number(exponent);
    return `${sign}${digits[0]}${digits.length > 1 ? `.${digits.slice(1)}` : ''}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}.0`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** A string as `json.dumps` writes it: JSON's escapes, and every character beyond printable ASCII as `\uXXXX`. */
export function pythonString(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A flat object of strings and numbers as `json.dumps` writes it; `ints` names the numbers that were Python ints. */
export function pythonJsonObject(record: Readonly<Record<string, string | number>>, ints: ReadonlySet<string> = new Set()): string {
  const items = Object.entries(record).map(([key, value]) => {
    const text = typeof value === 'string' ? pythonString(value) : ints.has(key) && Number.isSafeInteger(value) ? String(value) : pythonFloat(value);
    return `${pythonString(key)}: ${text}`;
  });
  return `{${items.join(', ')}}`;
}
