import { describe, expect, it } from 'vitest';
import { parseCsv, UsageError } from '../src/index.js';

describe('parseCsv', () => {
  it('splits plain rows and keeps line numbers', () => {
    expect(parseCsv('sku,image\nA,a.jpg\n\nB,b.jpg\n')).toEqual([
      { line: 1, fields: ['sku', 'image'] },
      { line: 2, fields: ['A', 'a.jpg'] },
      { line: 4, fields: ['B', 'b.jpg'] },
    ]);
  });

  it('handles quotes, escaped quotes, commas and line breaks inside quotes, CRLF and a BOM', () => {
    const text = '\ufeffsku,image,note\r\n"A-1","dir, with comma/a.jpg","say ""hi""\nsecond line"\r\nB,b.jpg,\r\n';
    const rows = parseCsv(text);
    expect(rows[0]).toEqual({ line: 1, fields: ['sku', 'image', 'note'] });
    expect(rows[1]).toEqual({ line: 2, fields: ['A-1', 'dir, with comma/a.jpg', 'say "hi"\nsecond line'] });
    expect(rows[2]).toEqual({ line: 4, fields: ['B', 'b.jpg', ''] });
  });

  it('reads a last row without a trailing newline', () => {
    expect(parseCsv('a,b\n1,2').map((r) => r.fields)).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('refuses an unterminated quoted field, naming the line', () => {
    expect(() => parseCsv('sku,image\nA,"broken\n', 'x.csv')).toThrow(UsageError);
    expect(() => parseCsv('sku,image\nA,"broken\n', 'x.csv')).toThrow(/x\.csv: unterminated quoted field starting on line 2/);
  });
});
