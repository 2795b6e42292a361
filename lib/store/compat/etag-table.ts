// The ETag of each block object, as a writer last listed or put it. A seed-layout database
// of many small blocks lists millions of them (10 GB in 4 KiB blocks: 2.6 M), so the usual
// form, a quoted MD5 in hex, is kept as 16 bytes in one array; any other form (a multipart
// ETag, an unquoted one) goes to a map.

const MD5_ETAG = /^"?([0-9a-f]{32})"?$/;

export class EtagTable {
  private md5 = new Uint8Array(0);
  /** 0: none; 1: in md5, quoted; 2: in md5, unquoted; 3: in `other`. */
  private kind = new Uint8Array(0);
  private readonly other = new Map<number, string>();

  get(index: number): string | undefined {
    switch (this.kind[index]) {
      case 1:
        return `"${this.hexAt(index)}"`;
      case 2:
        return this.hexAt(index);
      case 3:
        return this.other.get(index);
      default:
        return undefined;
    }
  }

  set(index: number, etag: string): void {
    this.grow(index + 1);
    this.other.delete(index);
    const m = MD5_ETAG.exec(etag);
    if (!m) {
      this.kind[index] = 3;
      this.other.set(index, etag);
      return;
    }
    this.md5.set(Buffer.from(m[1], 'hex'), index * 16);
    this.kind[index] = etag.startsWith('"') ? 1 : 2;
  }

  delete(index: number): void {
    if (index < this.kind.length) this.kind[index] = 0;
    this.other.delete(index);
  }

  clear(): void {
    this.md5 = new Uint8Array(0);
    this.kind = new Uint8Array(0);
    this.other.clear();
  }

  private hexAt(index: number): string {
    return Buffer.from(this.md5.buffer, this.md5.byteOffset + index * 16, 16).toString('hex');
  }

  private grow(count: number): void {
    if (count <= this.kind.length) return;
    const capacity = Math.max(count, this.kind.length * 2, 64);
    const kind = new Uint8Array(capacity);
    kind.set(this.kind);
    const md5 = new Uint8Array(capacity * 16);
    md5.set(this.md5);
    this.kind = kind;
    this.md5 = md5;
  }
}
