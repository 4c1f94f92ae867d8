// Escaping for XML and HTML text and attributes, shared by the JUnit and HTML reports.

// Characters XML 1.0 cannot hold at all (controls other than tab, newline, carriage return).
const INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

// Text safe inside an element or a double- or single-quoted attribute; newlines kept as character references in attributes.
export function esc(s: string, attr = false): string {
  const t = s
    .replace(INVALID, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
  return attr ? t.replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;') : t;
}

// ` a="1" b="x"` from a record, leaving out undefined values.
export function attrs(a: Record<string, string | number | undefined>): string {
  return Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${esc(String(v), true)}"`)
    .join('');
}
