// The nft table that marks a probe's first packet for tracing, and the chains that show where it went.

export const TRACE_TABLE = 'lab_trace';
// Our own chains: two that mark (before raw, conntrack and nat), three that only witness a hook.
export const MARK_CHAINS = ['mark_pre', 'mark_out'] as const;
export const WITNESS = { at_input: 'input', at_forward: 'forward', at_post: 'postrouting' } as const;

// The nft script that adds the table: one shared limit lets only the first matching packet be marked.
export function traceTableScript(match: string): string {
  const t = `inet ${TRACE_TABLE}`;
  const mark = `${match} limit name "once" meta nftrace set 1`;
  return [
    `add table ${t}`,
    `add limit ${t} once { rate 1/hour burst 1 packets; }`,
    `add chain ${t} mark_pre { type filter hook prerouting priority -350; }`,
    `add rule ${t} mark_pre ${mark}`,
    `add chain ${t} mark_out { type filter hook output priority -350; }`,
    `add rule ${t} mark_out ${mark}`,
    ...Object.entries(WITNESS).map(
      ([chain, hook]) => `add chain ${t} ${chain} { type filter hook ${hook} priority 1000; }`,
    ),
    '',
  ].join('\n');
}
