/**
 * Where llmedit keeps what it computes once and reuses (layer statistics, trained artifacts of methods that
 * train on first use): the user's cache folder, as the XDG Base Directory specification puts it, so that no
 * run writes into whatever folder the user happens to be in.
 *
 * Pure string work on the environment it is given: no Node built-in is imported, so browser bundles of core
 * stay clean; in a page (no `process`) there is no cache folder and callers keep results in memory only.
 */

/** The one environment variable that moves every llmedit cache (`LLMEDIT_CACHE_DIR=/path`). */
export const CACHE_DIR_ENV_VAR = 'LLMEDIT_CACHE_DIR';

/** What `userCacheDir` reads: environment variables (default `process.env` where there is a `process`). */
export type CacheEnv = Readonly<Record<string, string | undefined>>;

function processEnv(): CacheEnv | undefined {
  // globalThis.process, not process: a bare `process` throws a ReferenceError in a browser.
  return (globalThis as { process?: { env?: CacheEnv } }).process?.env;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value !== '' ? value : undefined;
}

/** `base` and `parts` joined with the separator `base` already uses ('\\' for a Windows path, else '/'). */
function joinPath(base: string, ...parts: string[]): string {
  const separator = !base.includes('/') && base.includes('\\') ? '\\' : '/';
  const trimmed = base.endsWith(separator) && base.length > 1 ? base.slice(0, -1) : base;
  return [trimmed, ...parts].join(separator);
}

/**
 * The llmedit cache folder, or a sub-folder of it: `$LLMEDIT_CACHE_DIR`, else `$XDG_CACHE_HOME/llmedit`, else
 * `~/.cache/llmedit` (home from `HOME`, or `USERPROFILE` on Windows). Undefined where none of these is set
 * (a browser, or a process without a home): callers then cache in memory only.
 *
 * @example
 * userCacheDir('stats'); // '/home/ada/.cache/llmedit/stats'
 * userCacheDir('stats', { LLMEDIT_CACHE_DIR: '/tmp/c' }); // '/tmp/c/stats'
 */
export function userCacheDir(sub?: string, env: CacheEnv | undefined = processEnv()): string | undefined {
  if (env === undefined) return undefined;
  const parts = sub === undefined ? [] : [sub];
  const explicit = nonEmpty(env[CACHE_DIR_ENV_VAR]);
  if (explicit !== undefined) return parts.length === 0 ? explicit : joinPath(explicit, ...parts);
  const xdg = nonEmpty(env.XDG_CACHE_HOME);
  if (xdg !== undefined) return joinPath(xdg, 'llmedit', ...parts);
  const home = nonEmpty(env.HOME) ?? nonEmpty(env.USERPROFILE);
  if (home !== undefined) return joinPath(home, '.cache', 'llmedit', ...parts);
  return undefined;
}
