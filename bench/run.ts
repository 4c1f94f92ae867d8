// npm run bench: lab 03 --check against the same work in bash, many at once, the decoder against tcpdump,
// and the parts on their own. Figures go to stdout as tables and to .bench/latest.json; nothing asserts a time.
// BENCH_RUNS (default 5), BENCH_AT_ONCE (10), BENCH_ONLY (comma list of: lab, at-once, decode, parts).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { decodeVsTcpdump, type DecodeVsTcpdump } from './decode-vs-tcpdump.js';
import { atOnce, contenders, paired, summarize, type AtOnce, type SideSummary } from './lab-vs-script.js';
import { HAVE_TIME, mib, ratio, secs } from './measure.js';
import { ensureRootfs } from '../src/sandbox/rootfs.js';
import { benchDecode, benchLauncher, benchSandbox, type Row } from './other-figures.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const AT_ONCE = Number(process.env.BENCH_AT_ONCE ?? 10);
const only = new Set((process.env.BENCH_ONLY ?? 'lab,at-once,decode,parts').split(','));
const isRoot = process.getuid?.() === 0;
const out = (s = ''): void => void process.stdout.write(`${s}\n`);

// Columns padded to their widest cell.
function table(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const r of rows) out(`  ${r.map((c, i) => c.padEnd(widths[i]!)).join('   ')}`.trimEnd());
}

// The machine the figures come from, and how busy it was.
function machine(): Record<string, unknown> {
  const c = cpus();
  const mem = /MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1];
  return {
    cores: c.length,
    cpu: c[0]?.model.trim(),
    memGiB: mem ? Math.round(Number(mem) / 2 ** 20) : undefined,
    kernel: release(),
    node: process.version,
    loadStart: loadavg().map((x) => Number(x.toFixed(2))),
  };
}

const report: Record<string, unknown> = {
  at: new Date().toISOString(),
  machine: machine(),
  runs: RUNS,
  atOnce: AT_ONCE,
};
const m = report.machine as { cores: number; cpu: string; kernel: string; loadStart: number[] };
out(
  `netns-lab bench, ${report.at as string}: ${m.cores} cores (${m.cpu}), Linux ${m.kernel}, Node ${process.version}, load ${m.loadStart.join(' ')}`,
);
out('Other processes (e.g. other test suites) may share this machine: read ratios, not absolute times.');
if (!HAVE_TIME) out('/usr/bin/time is missing (apt-get install -y time): CPU and memory are not measured.');
let failedRuns = 0;
const { product, script } = contenders(root, (await ensureRootfs()).path);

if (!isRoot && (only.has('lab') || only.has('at-once') || only.has('parts')))
  out('\nlab 03, runs at once, sandbox figures: skipped, they need root');

let sides: { product: SideSummary; script: SideSummary } | undefined;
if (isRoot && only.has('lab')) {
  const [a, b] = await paired(product, script, RUNS);
  sides = { product: summarize(a), script: summarize(b) };
  const p = sides.product;
  const s = sides.script;
  out(
    `\nlab 03-masquerade: \`${product.name}\` (CI=true) vs \`bench/lab03.sh\`, ${RUNS} paired runs each, alternating, medians`,
  );
  table([
    ['', 'lab 03 --check', 'lab03.sh', 'ratio'],
    ['wall', secs(p.wallMs), secs(s.wallMs), ratio(p.wallMs, s.wallMs)],
    ['CPU (user+sys, whole process tree)', secs(p.cpuMs), secs(s.cpuMs), ratio(p.cpuMs, s.cpuMs)],
    ['peak RSS of one process', mib(p.maxRssKiB), mib(s.maxRssKiB), ratio(p.maxRssKiB, s.maxRssKiB)],
    ['runs that passed', `${p.passed}/${p.runs}`, `${s.passed}/${s.runs}`, ''],
  ]);
  report.lab = {
    product: { command: product.argv.join(' '), ...p },
    script: { command: script.argv.join(' '), ...s },
    ratios: { wall: p.wallMs / s.wallMs, cpu: p.cpuMs / s.cpuMs, maxRss: p.maxRssKiB / s.maxRssKiB },
  };
  failedRuns += p.runs - p.passed + s.runs - s.passed;
  for (const f of [...p.failures, ...s.failures]) out(`  FAILED RUN: ${f.replace(/\n/g, '\n    ')}`);
}

if (isRoot && only.has('at-once')) {
  const single = { product: sides?.product.wallMs ?? NaN, script: sides?.script.wallMs ?? NaN };
  const p: AtOnce = await atOnce(product, AT_ONCE);
  const s: AtOnce = await atOnce(script, AT_ONCE);
  out(`\n${AT_ONCE} runs at once (started together; wall until the last one ended)`);
  table([
    ['', 'lab 03 --check', 'lab03.sh'],
    [`wall of ${AT_ONCE} at once`, secs(p.wallMs), secs(s.wallMs)],
    [`${AT_ONCE} at once vs one run (median above)`, ratio(p.wallMs, single.product), ratio(s.wallMs, single.script)],
    [
      'fastest / slowest copy',
      `${secs(p.fastestMs)} / ${secs(p.slowestMs)}`,
      `${secs(s.fastestMs)} / ${secs(s.slowestMs)}`,
    ],
    ['CPU of all copies', secs(p.cpuMs), secs(s.cpuMs)],
    ['copies that passed', `${p.passed}/${p.copies}`, `${s.passed}/${s.copies}`],
  ]);
  report.atOnceRuns = {
    product: { ...p, vsOneRun: p.wallMs / single.product },
    script: { ...s, vsOneRun: s.wallMs / single.script },
  };
  failedRuns += p.copies - p.passed + s.copies - s.passed;
  for (const f of [...p.failures, ...s.failures]) out(`  FAILED RUN: ${f.replace(/\n/g, '\n    ')}`);
}

if (only.has('decode')) {
  const d: DecodeVsTcpdump = await decodeVsTcpdump(root);
  const rate = (ms: number): string => `${(((d.frames / ms) * 1000) / 1e6).toFixed(2)} M packets/s`;
  out(
    `\ndecoder vs tcpdump on the same pcap: ${d.frames} frames from fixtures/pcap (${d.fileMiB.toFixed(1)} MiB), medians of 5`,
  );
  table([
    ['ours: read the file + decodeFrame frame by frame, in process', `${d.oursMs.toFixed(0)} ms`, rate(d.oursMs)],
    ['ours: readPcap (all frames held) + decodeFrame', `${d.oursKeepAllMs.toFixed(0)} ms`, rate(d.oursKeepAllMs)],
    ['ours: decodeFrame only (frames in memory)', `${d.oursDecodeOnlyMs.toFixed(0)} ms`, rate(d.oursDecodeOnlyMs)],
    ['tcpdump -nn -r FILE > /dev/null (whole process)', `${d.tcpdumpMs.toFixed(0)} ms`, rate(d.tcpdumpMs)],
    ['tcpdump time / ours (read + decode)', ratio(d.tcpdumpMs, d.oursMs), ''],
  ]);
  report.decode = {
    ...d,
    oursPps: (d.frames / d.oursMs) * 1000,
    oursDecodeOnlyPps: (d.frames / d.oursDecodeOnlyMs) * 1000,
    tcpdumpPps: (d.frames / d.tcpdumpMs) * 1000,
  };
}

if (only.has('parts')) {
  const rows: Row[] = [...benchDecode(root), ...(await benchLauncher(root)), ...(isRoot ? await benchSandbox() : [])];
  out('\nthe parts on their own');
  table(rows);
  report.parts = rows;
}

// The same figures as a Markdown table, to paste into the README with the machine line.
if (sides && report.atOnceRuns) {
  const p = sides.product;
  const s = sides.script;
  const a = report.atOnceRuns as { product: AtOnce & { vsOneRun: number }; script: AtOnce & { vsOneRun: number } };
  out(
    `\nfor the README (${m.cores} cores, ${m.cpu}, load ${m.loadStart.join(' ')} at start; medians of ${RUNS} paired runs):\n`,
  );
  out('| | lab 03 --check | bench/lab03.sh | ratio |');
  out('|---|---|---|---|');
  out(`| wall | ${secs(p.wallMs)} | ${secs(s.wallMs)} | ${ratio(p.wallMs, s.wallMs)} |`);
  out(`| CPU (user+sys, process tree) | ${secs(p.cpuMs)} | ${secs(s.cpuMs)} | ${ratio(p.cpuMs, s.cpuMs)} |`);
  out(`| peak RSS of one process | ${mib(p.maxRssKiB)} | ${mib(s.maxRssKiB)} | ${ratio(p.maxRssKiB, s.maxRssKiB)} |`);
  out(
    `| ${AT_ONCE} runs at once, wall vs one run | ${a.product.vsOneRun.toFixed(1)}x (${a.product.passed}/${AT_ONCE} passed) | ${a.script.vsOneRun.toFixed(1)}x (${a.script.passed}/${AT_ONCE} passed) | |`,
  );
}

(report.machine as Record<string, unknown>).loadEnd = loadavg().map((x) => Number(x.toFixed(2)));
out(`\nload at the end: ${(report.machine as { loadEnd: number[] }).loadEnd.join(' ')}`);
mkdirSync(`${root}.bench`, { recursive: true });
writeFileSync(`${root}.bench/latest.json`, `${JSON.stringify(report, null, 2)}\n`);
out(`written: .bench/latest.json`);
if (failedRuns) {
  out(`${failedRuns} measured runs FAILED: their figures are not comparable`);
  process.exitCode = 1;
}
