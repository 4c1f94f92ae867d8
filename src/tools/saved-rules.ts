// Reads iptables-save / ip6tables-save output into tables, chains and rules; writes restore lines. Pure.

export interface SavedRule {
  table: string;
  chain: string;
  args: string[]; // the rule's words after "-A CHAIN", quotes removed
  line: string; // the line as saved, e.g. '-A POSTROUTING -s 10.1.2.0/24 ... -j MASQUERADE'
  comment: string | undefined;
}

export interface SavedTable {
  chains: string[]; // every chain declared in the table, built-in first as saved
  rules: SavedRule[];
}

// Splits a saved rule line into words the way iptables-save quotes them ("a b", \" inside quotes).
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] ?? '';
    if (quoted) {
      if (c === '\\' && i + 1 < line.length) cur += line[++i];
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') {
      quoted = true;
      inWord = true;
    } else if (c === ' ' || c === '\t') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

// Parses the whole save output: one entry per "*table" section.
export function parseSave(text: string): Map<string, SavedTable> {
  const tables = new Map<string, SavedTable>();
  let current: { name: string; t: SavedTable } | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      const name = line.slice(1);
      const t = tables.get(name) ?? { chains: [], rules: [] };
      tables.set(name, t);
      current = { name, t };
    } else if (line.startsWith(':') && current) {
      const chain = line.slice(1).split(' ')[0] ?? '';
      if (!current.t.chains.includes(chain)) current.t.chains.push(chain);
    } else if (line.startsWith('-A ') && current) {
      const words = splitWords(line);
      const args = words.slice(2);
      current.t.rules.push({
        table: current.name,
        chain: words[1] ?? '',
        args,
        line,
        comment: optionValue(args, '--comment'),
      });
    }
  }
  return tables;
}

// The value after an option ("-o", "--comment"), or undefined.
export function optionValue(args: readonly string[], option: string): string | undefined {
  const i = args.indexOf(option);
  return i >= 0 ? args[i + 1] : undefined;
}

// True when the option is present and negated ("! -i br0").
export function optionNegated(args: readonly string[], option: string): boolean {
  const i = args.indexOf(option);
  return i > 0 && args[i - 1] === '!';
}

// Quotes one word for a restore file (comments may hold spaces).
export function quoteWord(word: string): string {
  return /^[A-Za-z0-9_.:/,=+@%-]+$/.test(word) ? word : `"${word.replace(/(["\\])/g, '\\$1')}"`;
}

// A "-D CHAIN ..." line that deletes exactly this saved rule.
export function deleteLine(rule: SavedRule): string {
  return ['-D', rule.chain, ...rule.args.map(quoteWord)].join(' ');
}
