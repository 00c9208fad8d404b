// Adds up vitest's JSON reports (one per package) into the line CI reads, last: "N passed, N failed"
// (skipped tests are reported on the line before it). Failed CI steps (argument 1) count as failures too, as
// do a package with a test script but no readable report, and a report that vitest marked unsuccessful
// (e.g. unhandled errors) without a failed test. Exits non-zero when anything failed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const failedSteps = Number(process.argv[2] ?? 0) || 0;
const roots = ['packages', 'benchmarks', 'tools', 'apps'].flatMap((dir) =>
  existsSync(dir) ? readdirSync(dir).map((name) => join(dir, name)) : [],
);
roots.push('datasets');
let passed = 0;
let failed = failedSteps;
let skipped = 0;
for (const root of roots) {
  const manifest = join(root, 'package.json');
  if (!existsSync(manifest)) continue;
  if (JSON.parse(readFileSync(manifest, 'utf8')).scripts?.test === undefined) continue;
  const file = join(root, '.vitest', 'report.json');
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    console.log(`${root}: no readable test report (${file})`);
    failed++;
    continue;
  }
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
  // A test file that fails to import counts as a failed suite with no failed test: count it as a failure.
  const brokenSuites = (report.testResults ?? []).filter(
    (suite) =>
      suite.status === 'failed' && (suite.assertionResults ?? []).every((a) => a.status !== 'failed'),
  );
  failed += brokenSuites.length;
  if (report.success === false && report.numFailedTests === 0 && brokenSuites.length === 0) {
    console.log(`${root}: vitest reported errors outside the tests`);
    failed++;
  }
}
console.log(`${skipped} skipped`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
