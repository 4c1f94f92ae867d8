// nat66's model: NPTv6 mappings as ip6tables mangle rules (SNPT out, DNPT in), read back and checked. Pure.
import { formatPrefix6, parsePrefix6, prefixesOverlap, type Prefix6 } from './ipv6.js';
import { deleteLine, optionValue, quoteWord, type SavedRule } from './saved-rules.js';
import { usageError } from './tool-error.js';

export interface Mapping {
  iface: string; // "*" when a rule names no interface (made by hand)
  internal: Prefix6;
  external: Prefix6;
}

export interface SeenMapping extends Mapping {
  snpt: SavedRule | undefined; // POSTROUTING -o IFACE: source internal -> external
  dnpt: SavedRule | undefined; // PREROUTING -i IFACE: destination external -> internal
}

// The comment that tags both rules of a mapping, e.g. "nat66 eth0 fd00::/64 2001:db8:1::/64".
export function mappingComment(m: Mapping): string {
  return `nat66 ${m.iface} ${formatPrefix6(m.internal)} ${formatPrefix6(m.external)}`;
}

// One line of status: "eth0 fd00:0:0:1::/64 <-> 2001:db8:1::/64", plus a note when half of it is missing.
export function describeMapping(m: SeenMapping): string {
  const base = `${m.iface} ${formatPrefix6(m.internal)} <-> ${formatPrefix6(m.external)}`;
  if (!m.snpt) return `${base} (incomplete: inbound DNPT only, the outbound SNPT rule is missing)`;
  if (!m.dnpt) return `${base} (incomplete: outbound SNPT only, the inbound DNPT rule is missing)`;
  return base;
}

// Interface names the kernel accepts: 1-15 characters, no slash, colon or white space, not "." or "..".
export function validIfaceName(name: string): boolean {
  return /^[^\s/:]{1,15}$/.test(name) && name !== '.' && name !== '..';
}

// Parses the INTERNAL and EXTERNAL arguments; a usage error (exit 2) names the argument that is wrong.
export function parseMappingArgs(
  iface: string,
  internalText: string | undefined,
  externalText: string | undefined,
): Mapping {
  if (!validIfaceName(iface))
    throw usageError(`IFACE "${iface}" is not an interface name (1-15 characters, no "/", ":" or spaces)`);
  if (internalText === undefined || externalText === undefined)
    throw usageError(
      'INTERNAL/LEN and EXTERNAL/LEN are both required, e.g. nat66 eth0 add fd00:0:0:1::/64 2001:db8:1::/64',
    );
  const i = parsePrefix6(internalText, 64);
  if ('error' in i) throw usageError(`INTERNAL ${i.error}`);
  const e = parsePrefix6(externalText, 64);
  if ('error' in e) throw usageError(`EXTERNAL ${e.error}`);
  if (i.prefix.len !== e.prefix.len) {
    throw usageError(
      `INTERNAL is /${i.prefix.len} but EXTERNAL is /${e.prefix.len}: RFC 6296 maps prefixes of the same length`,
    );
  }
  if (prefixesOverlap(i.prefix, e.prefix))
    throw usageError(`INTERNAL ${formatPrefix6(i.prefix)} and EXTERNAL ${formatPrefix6(e.prefix)} overlap`);
  return { iface, internal: i.prefix, external: e.prefix };
}

// Reads every NPT mapping from the mangle table's rules, pairing SNPT and DNPT by interface and prefixes.
export function mappingsFromRules(rules: readonly SavedRule[]): SeenMapping[] {
  const seen = new Map<string, SeenMapping>();
  for (const r of rules) {
    const target = optionValue(r.args, '-j');
    if (target !== 'SNPT' && target !== 'DNPT') continue;
    const src = parsePrefix6(optionValue(r.args, '--src-pfx') ?? '');
    const dst = parsePrefix6(optionValue(r.args, '--dst-pfx') ?? '');
    if ('error' in src || 'error' in dst) continue;
    const iface = optionValue(r.args, target === 'SNPT' ? '-o' : '-i') ?? '*';
    const [internal, external] = target === 'SNPT' ? [src.prefix, dst.prefix] : [dst.prefix, src.prefix];
    const m: Mapping = { iface, internal, external };
    const key = mappingComment(m);
    const entry = seen.get(key) ?? { ...m, snpt: undefined, dnpt: undefined };
    if (target === 'SNPT') entry.snpt = r;
    else entry.dnpt = r;
    seen.set(key, entry);
  }
  return [...seen.values()];
}

// Why the new mapping clashes with one already in the kernel, or undefined when it does not.
// Same interface: neither prefix may overlap a prefix of an existing mapping. Any interface: the external
// prefixes may not overlap (replies to one external prefix must come back to one place).
export function conflictOf(m: Mapping, existing: readonly Mapping[]): string | undefined {
  for (const x of existing) {
    const same = mappingComment(x) === mappingComment(m);
    if (same)
      return `mapping ${describeMapping({ ...x, snpt: undefined, dnpt: undefined }).split(' (')[0]} already exists`;
    const what = `existing mapping ${x.iface} ${formatPrefix6(x.internal)} <-> ${formatPrefix6(x.external)}`;
    if (x.iface === m.iface || x.iface === '*') {
      for (const [name, p] of [
        ['INTERNAL', m.internal],
        ['EXTERNAL', m.external],
      ] as const) {
        if (prefixesOverlap(p, x.internal) || prefixesOverlap(p, x.external))
          return `${name} ${formatPrefix6(p)} overlaps the ${what}`;
      }
    } else if (prefixesOverlap(m.external, x.external)) {
      return `EXTERNAL ${formatPrefix6(m.external)} overlaps the ${what}`;
    }
  }
  return undefined;
}

// The ip6tables-restore --noflush text that adds both rules of a mapping in one transaction.
export function addRestoreText(m: Mapping): string {
  const c = quoteWord(mappingComment(m));
  const int = formatPrefix6(m.internal);
  const ext = formatPrefix6(m.external);
  return [
    '*mangle',
    `-A POSTROUTING -o ${m.iface} -s ${int} -m comment --comment ${c} -j SNPT --src-pfx ${int} --dst-pfx ${ext}`,
    `-A PREROUTING -i ${m.iface} -d ${ext} -m comment --comment ${c} -j DNPT --src-pfx ${ext} --dst-pfx ${int}`,
    'COMMIT',
    '',
  ].join('\n');
}

// The ip6tables-restore --noflush text that deletes whichever rules of a seen mapping exist.
export function delRestoreText(m: SeenMapping): string {
  const lines = [m.snpt, m.dnpt].filter((r): r is SavedRule => r !== undefined).map(deleteLine);
  return ['*mangle', ...lines, 'COMMIT', ''].join('\n');
}
