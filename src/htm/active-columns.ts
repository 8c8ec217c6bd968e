/**
 * The input contract of both temporal memories: a step's active columns are distinct, ascending
 * and within the memory's columns (the spatial pooler's output is). Checked on every step, since
 * a wrong input would otherwise corrupt a model silently rather than fail.
 */
export function checkActiveColumns(activeColumns: ArrayLike<number>, columnCount: number): void {
  for (let k = 0; k < activeColumns.length; k++) {
    const column = activeColumns[k]!;
    if (!(Number.isInteger(column) && column >= 0 && column < columnCount) || (k > 0 && column <= activeColumns[k - 1]!)) {
      throw new RangeError('TM active columns must be distinct, ascending and in range');
    }
  }
}
