#!/usr/bin/env node
// Builds llmedit's native elementwise kernels (native/llmedit-kernels.c) with the system C compiler into
// native/build/, for the native backend path (loaded through koffi next to OpenBLAS). Nothing is downloaded.
// Runs at install (postinstall): a machine without a compiler keeps working on the other kernels, so the
// install never fails here; `--strict` (used by `pnpm --filter @llmedit/core build:native`) does fail.
// Environment: CC picks the compiler; LLMEDIT_SKIP_NATIVE_BUILD=1 skips the build.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const strict = process.argv.includes('--strict');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'native', 'llmedit-kernels.c');
const extension = process.platform === 'darwin' ? 'dylib' : process.platform === 'win32' ? 'dll' : 'so';
const output = join(root, 'native', 'build', `libllmedit-kernels.${extension}`);
// -march=native code may not run on another CPU (a copied node_modules, a container image built elsewhere):
// the loader compares this with the CPU it runs on and refuses the library when they differ.
const builtFor = `${output}.cpu`;

/** The CPU's instruction-set flags on Linux, its model name elsewhere (as src/kernels/native-kernels.ts reads it). */
function cpuSignature() {
  try {
    return (
      /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ??
      cpus()[0]?.model ??
      'unknown'
    );
  } catch {
    return cpus()[0]?.model ?? 'unknown';
  }
}

function finish(ok, message) {
  console.log(`@llmedit/core native kernels: ${message}`);
  process.exit(ok || !strict ? 0 : 1);
}

if (process.env.LLMEDIT_SKIP_NATIVE_BUILD === '1') finish(true, 'skipped (LLMEDIT_SKIP_NATIVE_BUILD=1)');
if (!existsSync(source)) finish(false, `not built: ${source} is missing`);
mkdirSync(dirname(output), { recursive: true });

// -fno-math-errno and -fno-trapping-math let the compiler vectorise the loops; NaN and infinity keep their
// IEEE meaning (no -ffast-math). -march=native: the library is built for the machine that runs it.
const common = ['-O3', '-fno-math-errno', '-fno-trapping-math', '-fPIC', '-shared', '-o', output, source];
const compilers = process.env.CC ? [process.env.CC] : ['cc', 'gcc', 'clang'];
const failures = [];
for (const compiler of compilers) {
  for (const flags of [['-march=native', ...common], common]) {
    const run = spawnSync(compiler, flags, { encoding: 'utf8' });
    if (run.status === 0) {
      if (flags[0] === '-march=native') writeFileSync(builtFor, cpuSignature());
      else rmSync(builtFor, { force: true });
      finish(true, `built ${output} with ${compiler} ${flags[0]}`);
    }
    failures.push(`${compiler}: ${(run.error?.message ?? run.stderr ?? '').split('\n')[0]}`);
    if (run.error) break; // no such compiler: the next one
  }
}
finish(false, `not built (the native path runs its elementwise kernels on wasm): ${failures.join('; ')}`);
