#!/usr/bin/env node
// nat66: per-namespace NPTv6 prefix mappings (RFC 6296), played by ip6tables SNPT/DNPT in the mangle table.
import { run, runOk } from './exec.js';
import { formatPrefix6 } from './ipv6.js';
import { nptMap } from './npt.js';
import {
  addRestoreText,
  conflictOf,
  delRestoreText,
  describeMapping,
  mappingComment,
  mappingsFromRules,
  parseMappingArgs,
  type SeenMapping,
} from './nat66-model.js';
import { parseSave } from './saved-rules.js';
import { runTool, TOOL_EXIT, usageError } from './tool-error.js';

const HELP = `nat66: stateless IPv6 prefix translation (NPTv6, RFC 6296) in this network namespace

Usage:
  nat66 IFACE add INTERNAL/LEN EXTERNAL/LEN   map an internal prefix to an external one on IFACE
  nat66 IFACE del INTERNAL/LEN EXTERNAL/LEN   remove that mapping
  nat66 status [--json]                       list this namespace's mappings, one per line
  nat66 --help                                this text

A mapping is two ip6tables rules in the mangle table (the only table that accepts the NPT targets):
  POSTROUTING -o IFACE -s INTERNAL -j SNPT --src-pfx INTERNAL --dst-pfx EXTERNAL   (outgoing sources)
  PREROUTING  -i IFACE -d EXTERNAL -j DNPT --src-pfx EXTERNAL --dst-pfx INTERNAL   (incoming destinations)
Both carry the comment "nat66 IFACE INTERNAL EXTERNAL" and are added or deleted in one transaction.
Mappings belong to the network namespace nat66 runs in: each container has its own table.
status reads the mappings back from the kernel (ip6tables-save -t mangle), never from a file; it also
shows NPT rules made by hand, and marks a mapping with one of its two rules missing as incomplete.

The translation is stateless and checksum neutral: the prefix bits are replaced, then one 16-bit word
is adjusted so that the address's one's-complement sum is unchanged and TCP/UDP/ICMPv6 checksums stay
valid. For /48 and shorter that word is the subnet ID (bits 48-63); for /49 to /64 it is the first word
of the interface identifier that is not ffff. So fd00:0:0:1::2 behind fd00::/48 -> 2001:db8:1::/48
leaves as ${nptMap('fd00:0:0:1::2', 'fd00::/48', '2001:db8:1::/48')}, not 2001:db8:1:1::2.

Bad input (exit 2, rules unchanged): prefixes of different lengths, a length over 64, an address with
host bits set, text that is not a prefix, an overlap with an existing mapping (on the same interface
no prefix may overlap one of an existing mapping; on any interface external prefixes may not overlap),
an interface this namespace does not have (add), a mapping that does not exist (del).

Exit codes: 0 done; 1 the kernel refused (e.g. without CAP_NET_ADMIN: "Permission denied (you must be
root)"), its message is shown; 2 bad input; 3 environment (ip6tables or ip missing); 70 internal error.
`;

// The mangle table's NPT mappings as the kernel holds them now.
function readMappings(): SeenMapping[] {
  const text = runOk('ip6tables-save', ['-t', 'mangle']);
  return mappingsFromRules(parseSave(text).get('mangle')?.rules ?? []);
}

// Refuses an interface that this namespace does not have (asked over netlink, so it is this namespace's view).
function requireIface(iface: string): void {
  const r = run('ip', ['-j', 'link', 'show', 'dev', iface]);
  if (r.status !== 0)
    throw usageError(
      `IFACE "${iface}": no such interface in this network namespace (${r.stderr.trim() || `ip exited ${r.status}`})`,
    );
}

// Applies a restore text atomically; a refusal is exit 1 with ip6tables-restore's own message.
function restore(text: string): void {
  runOk('ip6tables-restore', ['-w', '5', '--noflush'], text);
}

// nat66 IFACE add INTERNAL EXTERNAL.
function add(iface: string, internal: string | undefined, external: string | undefined): number {
  const m = parseMappingArgs(iface, internal, external);
  requireIface(iface);
  const conflict = conflictOf(m, readMappings());
  if (conflict) throw usageError(conflict);
  restore(addRestoreText(m));
  process.stdout.write(`added ${iface} ${formatPrefix6(m.internal)} <-> ${formatPrefix6(m.external)}\n`);
  return TOOL_EXIT.ok;
}

// nat66 IFACE del INTERNAL EXTERNAL.
function del(iface: string, internal: string | undefined, external: string | undefined): number {
  const m = parseMappingArgs(iface, internal, external);
  const all = readMappings();
  const found = all.find((x) => mappingComment(x) === mappingComment(m));
  if (!found) {
    const here = all.filter((x) => x.iface === iface).map((x) => describeMapping(x));
    throw usageError(
      `no mapping ${iface} ${formatPrefix6(m.internal)} <-> ${formatPrefix6(m.external)} to delete${here.length ? ` (${iface} has: ${here.join('; ')})` : ''}`,
    );
  }
  restore(delRestoreText(found));
  process.stdout.write(`deleted ${iface} ${formatPrefix6(m.internal)} <-> ${formatPrefix6(m.external)}\n`);
  return TOOL_EXIT.ok;
}

// nat66 status [--json].
function status(args: string[]): number {
  const extra = args.filter((a) => a !== '--json');
  if (extra.length) throw usageError(`status takes no argument but --json (got "${extra.join(' ')}")`);
  const maps = readMappings();
  if (args.includes('--json')) {
    const rows = maps.map((m) => ({
      iface: m.iface,
      internal: formatPrefix6(m.internal),
      external: formatPrefix6(m.external),
      complete: Boolean(m.snpt && m.dnpt),
      snpt: Boolean(m.snpt),
      dnpt: Boolean(m.dnpt),
    }));
    process.stdout.write(`${JSON.stringify({ mappings: rows }, null, 2)}\n`);
  } else if (maps.length === 0) {
    process.stdout.write('no mappings in this network namespace\n');
  } else {
    for (const m of maps) process.stdout.write(`${describeMapping(m)}\n`);
  }
  return TOOL_EXIT.ok;
}

// Dispatches the command line.
function main(argv: string[]): number {
  const [first, verb, ...rest] = argv;
  if (first === undefined) {
    process.stderr.write(HELP);
    return TOOL_EXIT.usage;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(HELP);
    return TOOL_EXIT.ok;
  }
  if (first === 'status') return status(argv.slice(1));
  if (verb !== 'add' && verb !== 'del') {
    throw usageError(
      verb === undefined
        ? `missing command after IFACE "${first}": write nat66 ${first} add|del INTERNAL/LEN EXTERNAL/LEN`
        : `unknown command "${verb}" (expected add or del; see nat66 --help)`,
    );
  }
  if (rest.length > 2) throw usageError(`too many arguments: "${rest.slice(2).join(' ')}"`);
  return verb === 'add' ? add(first, rest[0], rest[1]) : del(first, rest[0], rest[1]);
}

runTool('nat66', main);
