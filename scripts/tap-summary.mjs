// Passes TAP through and ends with the plain "N passed, N failed" line CI reads.
// Exits 1 when a test failed, when none ran, or when a runner reported a failure outside tests.
import { createInterface } from 'node:readline';

let passed = 0,
  failed = 0,
  skipped = 0,
  bailed = false;
for await (const line of createInterface({ input: process.stdin })) {
  process.stdout.write(`${line}\n`);
  if (/^not ok \d+/.test(line)) failed++;
  else if (/^ok \d+.*# SKIP/i.test(line)) skipped++;
  else if (/^ok \d+/.test(line)) passed++;
  else if (/^Bail out!/.test(line)) bailed = true;
  else if (/^# ava exit [1-9]/.test(line)) bailed = true;
}
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exitCode = failed > 0 || passed === 0 || bailed ? 1 : 0;
