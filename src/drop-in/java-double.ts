/**
 * A double as Java's `Double.toString` writes it, which is what Spark's JSON writer (Jackson) and
 * `Dataset.show()` print: always with a fraction (`37.0`), plain from 10⁻³ up to 10⁷ and in
 * Java's scientific form outside it (`1.0E7`, `1.0E-4`), with the shortest digits that read back.
 */
export function javaDouble(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    const text = String(value);
    // JavaScript writes 1e-7 and up plainly in this range; only the missing fraction differs.
    return text.includes('.') ? text : `${text}.0`;
  }
  const [mantissa = '', exponent = '0'] = value.toExponential().split('e');
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
}
