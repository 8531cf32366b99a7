/**
 * A small RFC 4180 CSV reader: comma separated, double-quoted fields (with "" escapes, commas and line
 * breaks inside), LF or CRLF line ends, an optional UTF-8 BOM. Enough for backfill sheets exported by
 * spreadsheets; not worth a dependency.
 */
import { UsageError } from './io.js';

export interface CsvRecord {
  /** 1-based line number where the record starts (for error messages). */
  line: number;
  fields: string[];
}

/** Splits `text` into records. Blank lines are dropped. Throws UsageError on an unterminated quote. */
export function parseCsv(text: string, label = 'CSV'): CsvRecord[] {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let quoted = false;
  let fieldStarted = false;
  let i = 0;

  const endField = () => {
    fields.push(field);
    field = '';
    fieldStarted = false;
  };
  const endRecord = () => {
    endField();
    if (!(fields.length === 1 && fields[0] === '')) records.push({ line: recordLine, fields });
    fields = [];
  };

  while (i < src.length) {
    const ch = src[i]!;
    if (quoted) {
      if (ch === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      if (ch === '\n') line++;
      field += ch;
      i++;
      continue;
    }
    if (ch === '"' && !fieldStarted && field === '') {
      quoted = true;
      fieldStarted = true;
      i++;
      continue;
    }
    if (ch === ',') {
      endField();
      i++;
      continue;
    }
    if (ch === '\r' && src[i + 1] === '\n') {
      i++;
      continue;
    }
    if (ch === '\n' || ch === '\r') {
      endRecord();
      line++;
      recordLine = line;
      i++;
      continue;
    }
    field += ch;
    fieldStarted = true;
    i++;
  }
  if (quoted) throw new UsageError(`${label}: unterminated quoted field starting on line ${recordLine}`);
  if (field !== '' || fields.length > 0) endRecord();
  return records;
}
