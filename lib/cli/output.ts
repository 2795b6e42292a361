// How the command line prints rows: a table on a terminal, JSON lines otherwise (or CSV,
// TSV when asked). Blobs print as hex (0x...), integers exactly (64-bit ones too).

export type Format = 'table' | 'json' | 'csv' | 'tsv';

type Row = Record<string, unknown>;

/** A value as text: exact integers, blobs in hex, NULL as empty (CSV/TSV) or NULL (table). */
function text(v: unknown, nullText: string): string {
  if (v === null || v === undefined) return nullText;
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return `0x${Buffer.from(v).toString('hex')}`;
  return String(v);
}

/** JSON with 64-bit integers written out exactly (as JSON numbers) and blobs as hex strings. */
function json(row: Row): string {
  const parts = Object.entries(row).map(([k, v]) => {
    let value: string;
    if (typeof v === 'bigint') value = Number.isSafeInteger(Number(v)) ? String(Number(v)) : v.toString();
    else if (v instanceof Uint8Array) value = JSON.stringify(text(v, ''));
    else value = JSON.stringify(v);
    return `${JSON.stringify(k)}:${value}`;
  });
  return `{${parts.join(',')}}`;
}

function delimited(fields: string[], sep: string): string {
  return fields.map((f) => (sep === ',' && /[",\n\r]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f.replace(/[\t\n\r]/g, ' '))).join(sep);
}

/** Writes rows as they come; a table waits for them all (its columns need their widths). */
export class RowPrinter {
  private readonly table: string[][] = [];
  private columns: string[] | null = null;

  constructor(
    private readonly format: Format,
    private readonly write: (s: string) => void,
  ) {}

  row(row: Row): void {
    if (!this.columns) {
      this.columns = Object.keys(row);
      if (this.format === 'csv' || this.format === 'tsv') this.write(`${delimited(this.columns, this.format === 'csv' ? ',' : '\t')}\n`);
    }
    if (this.format === 'json') this.write(`${json(row)}\n`);
    else if (this.format === 'table') this.table.push(this.columns.map((c) => text(row[c], 'NULL')));
    else this.write(`${delimited(this.columns.map((c) => text(row[c], '')), this.format === 'csv' ? ',' : '\t')}\n`);
  }

  end(): void {
    if (this.format !== 'table' || !this.columns) return;
    const widths = this.columns.map((c, i) => Math.max(c.length, ...this.table.map((r) => r[i].length)));
    const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join(' | ').trimEnd();
    this.write(`${line(this.columns)}\n${widths.map((w) => '-'.repeat(w)).join('-+-')}\n`);
    for (const r of this.table) this.write(`${line(r)}\n`);
    this.write(`(${this.table.length} row${this.table.length === 1 ? '' : 's'})\n`);
  }
}
