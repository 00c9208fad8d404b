// Adds up vitest's JSON reports (one per package) into the line CI reads, last: "N passed, N failed"
// (skipped tests are reported on the line before it).
// Exits non-zero when a test failed, a suite failed to load, or no report was written.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const roots = ['packages', 'benchmarks'].flatMap((dir) =>
  existsSync(dir) ? readdirSync(dir).map((name) => join(dir, name)) : [],
);
roots.push('datasets');
let passed = 0;
let failed = 0;
let skipped = 0;
let reports = 0;
for (const root of roots) {
  const file = join(root, '.vitest', 'report.json');
  if (!existsSync(file)) continue;
  const report = JSON.parse(readFileSync(file, 'utf8'));
  reports++;
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
  // A test file that fails to import counts as a failed suite with no failed test: count it as a failure.
  const brokenSuites = (report.testResults ?? []).filter(
    (suite) =>
      suite.status === 'failed' && (suite.assertionResults ?? []).every((a) => a.status !== 'failed'),
  );
  failed += brokenSuites.length;
}
if (reports === 0) failed++;
console.log(`${skipped} skipped`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
