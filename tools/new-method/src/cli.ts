import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LlmeditError } from '@llmedit/core';
import { methodNames, newMethod } from './new-method.js';

const USAGE = `Usage: pnpm new-method <id> [--no-install]

Creates packages/<id> (@llmedit/<id>) from packages/_template: a complete, publishable editing-method package
whose doEdit is a worked example that passes the conformance suite, with presets, README skeleton and a
changeset; adds it to the bench's dependencies and method list and to the README; runs pnpm install.

  <id>           kebab-case method id ('my-method')
  --no-install   skip pnpm install (run it yourself before testing or benchmarking)
  -h, --help     this text
`;

const root = fileURLToPath(new URL('../../../', import.meta.url));
// node:util parseArgs in strict mode, as every llmedit CLI (this tool cannot use @llmedit/pretrained's helper:
// it depends only on core): unknown flags are rejected with the usage.
let parsed: ReturnType<typeof parseCommandLine>;
function parseCommandLine() {
  return parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: { 'no-install': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
}
try {
  parsed = parseCommandLine();
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (parsed.values.help === true) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const positional = parsed.positionals;
if (positional.length !== 1) {
  process.stderr.write(`expected exactly one method id\n\n${USAGE}`);
  process.exit(2);
}
const id = positional[0] as string;
const started = performance.now();
try {
  const { changed } = newMethod({ root, id, install: parsed.values['no-install'] !== true, format: true });
  const { camel } = methodNames(id);
  process.stdout.write(
    `\nCreated @llmedit/${id} in ${((performance.now() - started) / 1000).toFixed(1)} s; changed:\n` +
      changed.map((f) => `  ${f}\n`).join('') +
      `\nNext (README, "Add a method"):\n` +
      `  pnpm --filter @llmedit/${id} test            # the worked example passes the conformance suite\n` +
      `  edit packages/${id}/src/edit.ts and src/hparams.ts, hparams/micro.json and default.json\n` +
      `  pnpm bench --methods ${id} --smoke           # a bench row for ${camel}\n` +
      `  fill in packages/${id}/README.md (Differences from the reference) and the README line\n` +
      `  commit the package, the changeset, the bench changes and pnpm-lock.yaml\n`,
  );
} catch (error) {
  if (error instanceof LlmeditError) {
    process.stderr.write(`pnpm new-method: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
