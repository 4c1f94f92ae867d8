// The report's only style sheet, inlined into the page: system fonts, no network.
export const REPORT_CSS = `
:root { --pass: #1a7f37; --fail: #cf222e; --muted: #6e7781; --nat: #bc4c00; --bg: #f6f8fa; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1400px; padding: 16px 24px; color: #1f2328; }
h1 { font-size: 22px; margin: 0 0 6px; } h2 { font-size: 18px; border-bottom: 1px solid #d0d7de; } h3 { font-size: 16px; margin: 0 0 4px; } h4 { margin: 10px 0 4px; font-size: 14px; }
.muted { color: var(--muted); } .summary { font-weight: 600; font-size: 15px; }
.summary.passed { color: var(--pass); } .summary.failed, .summary.error, .summary.interrupted { color: var(--fail); }
.error { border: 1px solid var(--fail); background: #ffebe9; padding: 8px; border-radius: 6px; }
.badge { display: inline-block; font-size: 12px; padding: 0 6px; border-radius: 10px; background: #d0d7de; color: #1f2328; font-weight: 600; }
.badge.passed { background: #dafbe1; color: var(--pass); } .badge.failed { background: #ffebe9; color: var(--fail); }
.toc { list-style: none; padding: 0; } .toc a { text-decoration: none; color: inherit; }
.step { border: 1px solid #d0d7de; border-radius: 8px; padding: 12px 16px; margin: 14px 0; } .step.failed { border-color: var(--fail); }
.explain { color: #424a53; margin: 4px 0; }
.cmd { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; white-space: pre-wrap; }
pre.out { background: var(--bg); margin: 2px 0 6px 18px; padding: 4px 8px; font-size: 12px; max-height: 14em; overflow: auto; }
.ok { color: var(--pass); } .bad { color: var(--fail); }
.verdicts { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; white-space: pre-wrap; margin: 6px 0; }
.verdicts .pass { color: var(--pass); } .verdicts .fail { color: var(--fail); font-weight: 600; } .verdicts .detail { color: #424a53; }
.cause { border-left: 3px solid #cf222e; padding: 4px 8px; margin: 6px 0; }
.cmd.skipped { text-decoration: line-through; opacity: 0.7; margin: 2px 0; }
.hint { border-left: 3px solid var(--nat); background: #fff8c5; padding: 4px 8px; margin: 6px 0; }
.check { margin-top: 8px; } .probes { margin: 4px 0; }
.seq, .topo { overflow-x: auto; }
svg text { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; fill: #1f2328; }
svg .node rect { fill: #fff; stroke: #57606a; stroke-width: 1.5; } svg .nodename { font-weight: 700; font-size: 14px; }
svg .ifname { font-weight: 700; } svg .addr { fill: #0550ae; } svg .muted { fill: var(--muted); }
svg .capture { fill: #bf3989; } svg .link { stroke: #57606a; stroke-width: 2.5; fill: none; }
svg .lane { fill: var(--bg); stroke: #d0d7de; } svg .lanehead { font-weight: 700; }
svg .lanesub, svg .more { fill: var(--muted); font-size: 11px; } svg .empty { fill: var(--muted); font-style: italic; }
svg .life { stroke: #8c959f; stroke-width: 1; stroke-dasharray: 3 3; }
svg .req { stroke: #0550ae; stroke-width: 1.6; } svg .rep { stroke: var(--pass); stroke-width: 1.6; } svg .seg { stroke: #57606a; stroke-width: 1.4; }
svg .headreq { fill: #0550ae; } svg .headrep { fill: var(--pass); } svg .headseg { fill: #57606a; }
svg .lbl { font-size: 11px; }
svg .ep { font-weight: 700; } svg .ep.rewritten { fill: var(--nat); }
.natnote { color: var(--nat); font-weight: 600; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; margin: 2px 0; }
`;
