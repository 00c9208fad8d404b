/**
 * `pnpm bench --jobs N`: one machine's cores as N shards of the run. Each job is a child process running
 * the same command with `--shard k/N` (one core each: tfjs-wasm runs one thread, and OpenBLAS is held to
 * one), and the parent merges their results as `pnpm bench merge` does. The numbers are those of a single
 * run (the merge test holds shards to that); only the wall clock changes.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BENCH_OPTIONS } from './flags.js';
import { mergeShards, readShards } from './merge.js';
import type { BenchResults } from './results.js';

/** A bench command line without the given value flags (both `--flag value` and `--flag=value` forms). */
export function argsWithout(argv: readonly string[], flags: readonly string[]): string[] {
  const args = argv.filter((arg) => arg !== '--');
  const { tokens } = parseArgs({ args, options: BENCH_OPTIONS, strict: true, tokens: true });
  const drop = new Set<number>();
  for (const token of tokens) {
    if (token.kind !== 'option' || !flags.includes(token.rawName)) continue;
    drop.add(token.index);
    if (token.value !== undefined && token.inlineValue === false) drop.add(token.index + 1);
  }
  return args.filter((_, i) => !drop.has(i));
}

/** How a job's process is started: node, tsx's CLI, the bench's CLI source, then the job's arguments. */
function jobCommand(args: readonly string[]): { command: string; args: string[] } {
  const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
  const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
  return {
    command: process.execPath,
    args: [tsxCli, '--conditions=@llmedit/source', cli, ...args],
  };
}

export interface JobsOutcome {
  /** The merged results, when every job finished (exit 0, or 1: a method failed but the run completed). */
  results?: BenchResults;
  /** Each job's exit code and log file. */
  jobs: { shard: string; code: number; log: string }[];
}

/**
 * Run `count` jobs of the command line `argv` (without its `--jobs` and `--out`) as shards in folders
 * `<jobsRoot>/k` (outside the run's output folder, which gets only the merged files), each logging to its
 * folder's `log.txt`, and merge them. `onJob` hears of each job's start and end.
 */
export async function runJobs(
  argv: readonly string[],
  count: number,
  jobsRoot: string,
  cwd: string,
  onJob: (event: { shard: string; state: 'started' | 'finished'; code?: number; log: string }) => void,
): Promise<JobsOutcome> {
  const started = performance.now();
  const base = argsWithout(argv, ['--jobs', '--out']);
  const dirs = Array.from({ length: count }, (_, i) => join(jobsRoot, String(i + 1)));
  const jobs = await Promise.all(
    dirs.map(async (dir, i) => {
      const shard = `${i + 1}/${count}`;
      mkdirSync(dir, { recursive: true });
      const log = join(dir, 'log.txt');
      const fd = openSync(log, 'w');
      const { command, args } = jobCommand([...base, '--shard', shard, '--out', dir]);
      onJob({ shard, state: 'started', log });
      const code = await new Promise<number>((resolve, reject) => {
        const child = spawn(command, args, {
          cwd,
          stdio: ['ignore', fd, fd],
          // One core per job: OpenBLAS (the native backend) would otherwise start a thread per core in each.
          env: { ...process.env, INIT_CWD: cwd, LLMEDIT_BLAS_THREADS: '1' },
        });
        child.once('error', reject);
        child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal === 'SIGINT' ? 130 : 1)));
      }).finally(() => closeSync(fd));
      onJob({ shard, state: 'finished', code, log });
      return { shard, code, log };
    }),
  );
  if (jobs.some((job) => job.code !== 0 && job.code !== 1)) return { jobs };
  const merged = mergeShards(readShards(dirs));
  return {
    jobs,
    results: {
      ...merged,
      // The merge adds the shards' times; jobs ran side by side, so the run took the elapsed time.
      wallMs: performance.now() - started,
      options: { ...merged.options, jobs: count },
    },
  };
}
