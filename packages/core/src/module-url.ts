/**
 * URLs of a package's own side modules (worker entries, modules workers import), from the calling module's
 * `import.meta.url`, that work from TypeScript sources (tests, tsx scripts) and from the ESM and CJS builds.
 * The build must emit each side module as its own entry beside the bundle (see the packages' tsup configs).
 */

/** `name` beside the module at `here`, with the extension `here` has (`.ts`, `.cjs` or `.js`). */
export function siblingModuleUrl(here: string, name: string): string {
  const extension = here.endsWith('.ts') ? '.ts' : here.endsWith('.cjs') ? '.cjs' : '.js';
  return new URL(`./${name}${extension}`, here).href;
}

/** What `new Worker(entry, options)` needs to start the worker module `name` beside `here`. */
export function workerEntry(
  here: string,
  name: string,
): { entry: string | URL; options: { eval?: boolean; execArgv?: string[] } } {
  const target = siblingModuleUrl(here, name);
  if (!target.endsWith('.ts')) return { entry: new URL(target), options: {} };
  // From sources the worker registers tsx's loader first (the repository's dev setup has tsx) and resolves
  // workspace packages to their sources, as the parent does.
  // Both of tsx's hooks, as its CLI registers them: tfjs-core's gradient registrations are ES modules in a
  // CommonJS package with extensionless imports, which Node's own resolver refuses.
  const code =
    "Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]).then(([esm, cjs]) => { " +
    `esm.register(); cjs.register(); return import(${JSON.stringify(target)}); });`;
  return { entry: code, options: { eval: true, execArgv: ['--conditions=@llmedit/source'] } };
}
