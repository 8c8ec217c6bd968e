/**
 * Little-endian binary writer and reader for model snapshots. Pure (no Buffer, no
 * TextEncoder) so snapshots can be taken inside deterministic workflow code.
 *
 * Typed arrays are copied as raw bytes when the platform is little-endian (every platform
 * Node runs on in practice) and element by element otherwise, so the bytes never depend on
 * the host.
 */

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

type WordArray = Uint16Array | Uint32Array | Float32Array | Float64Array;

export class SnapshotWriter {
  private bytes: Uint8Array;
  private view: DataView;
  private length = 0;

  constructor(initialCapacity = 1 << 16) {
    this.bytes = new Uint8Array(initialCapacity);
    this.view = new DataView(this.bytes.buffer);
  }

  get byteLength(): number {
    return this.length;
  }

  u8(value: number): void {
    this.reserve(1);
    this.view.setUint8(this.length, value);
    this.length += 1;
  }

  bool(value: boolean): void {
    this.u8(value ? 1 : 0);
  }

  u16(value: number): void {
    this.reserve(2);
    this.view.setUint16(this.length, value, true);
    this.length += 2;
  }

  u32(value: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, value, true);
    this.length += 4;
  }

  /** A double; every NaN is written as the one canonical quiet NaN so equal states give equal bytes. */
  f64(value: number): void {
    this.reserve(8);
    if (Number.isNaN(value)) {
      this.view.setUint32(this.length, 0, true);
      this.view.setUint32(this.length + 4, 0x7ff80000, true);
    } else {
      this.view.setFloat64(this.length, value, true);
    }
    this.length += 8;
  }

  /** A double or null, as a presence byte then the value. */
  nullableF64(value: number | null): void {
    this.bool(value !== null);
    if (value !== null) this.f64(value);
  }

  /** ASCII text (used for the parameters' JSON), length-prefixed. */
  ascii(text: string): void {
    this.u32(text.length);
    this.reserve(text.length);
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code > 0x7f) throw new Error('snapshot text must be ASCII');
      this.bytes[this.length + i] = code;
    }
    this.length += text.length;
  }

  raw(data: Uint8Array): void {
    this.reserve(data.byteLength);
    this.bytes.set(data, this.length);
    this.length += data.byteLength;
  }

  u16Array(data: Uint16Array): void {
    this.words(data, 2);
  }

  u32Array(data: Uint32Array): void {
    this.words(data, 4);
  }

  f32Array(data: Float32Array): void {
    if (HOST_IS_LITTLE_ENDIAN && !data.some(Number.isNaN)) {
      this.words(data, 4);
      return;
    }
    for (let i = 0; i < data.length; i++) {
      this.reserve(4);
      if (Number.isNaN(data[i])) this.view.setUint32(this.length, 0x7fc00000, true);
      else this.view.setFloat32(this.length, data[i]!, true);
      this.length += 4;
    }
  }

  f64Array(data: Float64Array): void {
    if (HOST_IS_LITTLE_ENDIAN && !data.some(Number.isNaN)) {
      this.words(data, 8);
      return;
    }
    for (let i = 0; i < data.length; i++) this.f64(data[i]!);
  }

  /** The bytes written so far (a copy trimmed to length). */
  finish(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }

  private words(data: WordArray, width: 2 | 4 | 8): void {
    const byteLength = data.length * width;
    this.reserve(byteLength);
    if (HOST_IS_LITTLE_ENDIAN) {
      this.bytes.set(new Uint8Array(data.buffer, data.byteOffset, byteLength), this.length);
      this.length += byteLength;
      return;
    }
    for (let i = 0; i < data.length; i++) {
      if (width === 2) this.u16(data[i]!);
      else if (width === 4) {
        this.reserve(4);
        if (data instanceof Float32Array) this.view.setFloat32(this.length, data[i]!, true);
        else this.view.setUint32(this.length, data[i]!, true);
        this.length += 4;
      }
      else this.f64(data[i]!);
    }
  }

  private reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.bytes.byteLength) return;
    let capacity = this.bytes.byteLength * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }
}

export class SnapshotReader {
  private readonly view: DataView;
  private offset = 0;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.byteLength - this.offset;
  }

  u8(): number {
    this.need(1);
    const value = this.view.getUint8(this.offset);
    this.offset += 1;
    return value;
  }

  bool(): boolean {
    const value = this.u8();
    if (value > 1) throw new Error(`snapshot: invalid boolean byte ${value}`);
    return value === 1;
  }

  u16(): number {
    this.need(2);
    const value = this.view.getUint16(this.offset, true);
    this.offset += 2;
    return value;
  }

  u32(): number {
    this.need(4);
    const value = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return value;
  }

  f64(): number {
    this.need(8);
    const value = this.view.getFloat64(this.offset, true);
    this.offset += 8;
    return value;
  }

  nullableF64(): number | null {
    return this.bool() ? this.f64() : null;
  }

  ascii(): string {
    const length = this.u32();
    this.need(length);
    let text = '';
    for (let i = 0; i < length; i++) text += String.fromCharCode(this.bytes[this.offset + i]!);
    this.offset += length;
    return text;
  }

  raw(byteLength: number): Uint8Array {
    this.need(byteLength);
    const out = this.bytes.slice(this.offset, this.offset + byteLength);
    this.offset += byteLength;
    return out;
  }

  f32(): number {
    this.need(4);
    const value = this.view.getFloat32(this.offset, true);
    this.offset += 4;
    return value;
  }

  u16Array(length: number): Uint16Array {
    return this.fill(new Uint16Array(length), () => this.u16());
  }

  u32Array(length: number): Uint32Array {
    return this.fill(new Uint32Array(length), () => this.u32());
  }

  f32Array(length: number): Float32Array {
    return this.fill(new Float32Array(length), () => this.f32());
  }

  f64Array(length: number): Float64Array {
    return this.fill(new Float64Array(length), () => this.f64());
  }

  /** Snapshots are little-endian: a little-endian host copies the bytes, another reads each value. */
  private fill<T extends Uint16Array | Uint32Array | Float32Array | Float64Array>(out: T, readOne: () => number): T {
    if (HOST_IS_LITTLE_ENDIAN) new Uint8Array(out.buffer).set(this.raw(out.byteLength));
    else for (let i = 0; i < out.length; i++) out[i] = readOne();
    return out;
  }

  /** Throws unless every byte was consumed: trailing bytes mean a format mismatch. */
  expectEnd(): void {
    if (this.remaining !== 0) throw new Error(`snapshot: ${this.remaining} unexpected trailing bytes`);
  }

  private need(byteLength: number): void {
    if (this.offset + byteLength > this.bytes.byteLength) {
      throw new Error(`snapshot: truncated (need ${byteLength} bytes at offset ${this.offset})`);
    }
  }
}
