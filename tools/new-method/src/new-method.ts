import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isKebabCase, LlmeditError } from '@llmedit/core';

/** `pnpm new-method` was given an id it cannot use, or the repository is not laid out as it expects. */
export class NewMethodError extends LlmeditError {
  constructor(message: string) {
    super('NEW_METHOD', message);
  }
}

export interface NewMethodOptions {
  /** The repository root (the folder with `packages/_template`). */
  root: string;
  /** kebab-case method id; the package becomes `@llmedit/<id>` in `packages/<id>`. */
  id: string;
  /** Run `pnpm install` afterwards (links the new package; updates the lockfile CI's frozen install reads). */
  install: boolean;
  /** Run Biome's formatter on what was written (the renamed identifiers change line lengths). */
  format: boolean;
}

export interface NewMethodResult {
  packageDir: string;
  /** Every file written or changed, relative to the root. */
  changed: string[];
}

/** The names the template's identifiers become: `template` -> camelCase, `Template` -> PascalCase. */
export function methodNames(id: string): { kebab: string; camel: string; pascal: string } {
  const parts = id.split('-');
  const pascal = parts.map((p) => (p[0] ?? '').toUpperCase() + p.slice(1)).join('');
  return { kebab: id, camel: (pascal[0] ?? '').toLowerCase() + pascal.slice(1), pascal };
}

const SKIPPED = new Set(['node_modules', 'dist', '.vitest', '.turbo']);

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (SKIPPED.has(name)) return [];
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Every method id some package declares (`id: 'rome'`), so that a new one cannot shadow it. */
function declaredIds(root: string): Set<string> {
  const ids = new Set<string>();
  const packages = join(root, 'packages');
  for (const name of readdirSync(packages)) {
    const src = join(packages, name, 'src');
    if (!existsSync(src)) continue;
    for (const file of filesUnder(src)) {
      if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
      for (const match of readFileSync(file, 'utf8').matchAll(/\bid: '([a-z0-9-]+)'/g))
        ids.add(match[1] as string);
    }
  }
  return ids;
}

/** Throw `NewMethodError` unless `id` can become a new package and method id. */
export function checkId(root: string, id: string): void {
  if (!isKebabCase(id)) {
    throw new NewMethodError(
      `method id '${id}' must be kebab-case: lowercase letters and digits, dash-separated ('my-method')`,
    );
  }
  if (id === 'template' || existsSync(join(root, 'packages', id))) {
    throw new NewMethodError(`packages/${id} already exists: choose another method id`);
  }
  if (declaredIds(root).has(id)) {
    throw new NewMethodError(`a package already declares a method with id '${id}': choose another method id`);
  }
}

/** The template's text with every name of the new method in place. */
export function renameTemplate(text: string, id: string): string {
  const { camel, pascal } = methodNames(id);
  return (
    text
      .replace(/<!-- template-only -->[\s\S]*?<!-- \/template-only -->\n\n?/g, '')
      .replaceAll('@llmedit/template', `@llmedit/${id}`)
      // package.json's repository.directory
      .replaceAll('packages/_template', `packages/${id}`)
      .replaceAll("id: 'template'", `id: '${id}'`)
      .replaceAll('--methods template', `--methods ${id}`)
      .replaceAll('Template', pascal)
      .replaceAll('template', camel)
  );
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

function sortedRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}

/** Add the import and the entry to the bench's method list (`benchmarks/bench/src/methods.ts`). */
export function registerInMethodList(source: string, id: string): string {
  const { camel } = methodNames(id);
  const imports = [...source.matchAll(/^import [\s\S]*? from '[^']+';\n/gm)];
  const lastImport = imports.at(-1);
  const listEnd = source.lastIndexOf('\n];');
  if (lastImport?.index === undefined || !source.includes('export const BENCH_METHODS') || listEnd < 0) {
    throw new NewMethodError(
      'benchmarks/bench/src/methods.ts has no imports or no BENCH_METHODS list to add to',
    );
  }
  const importLine = `import { ${camel}, ${camel}Presets } from '@llmedit/${id}';\n`;
  const entry = `\n  benchMethod(${camel}, {}, fromPresets(${camel}Presets)),`;
  const afterImports = lastImport.index + lastImport[0].length;
  const withEntry = source.slice(0, listEnd) + entry + source.slice(listEnd);
  return withEntry.slice(0, afterImports) + importLine + withEntry.slice(afterImports);
}

/**
 * Add the method to the root README's two lists that a bench test checks against the registered methods:
 * the quick start's "every registered editing method (FT-L, ...)" and the package list (before the
 * template's line).
 */
export function registerInReadme(readme: string, id: string): string {
  const anchor = '- `packages/_template`';
  const quickStart = /(every registered editing method \([^)]*)\)/;
  if (!readme.includes(anchor)) throw new NewMethodError(`README.md has no line starting with ${anchor}`);
  if (!quickStart.test(readme)) {
    throw new NewMethodError('README.md has no "every registered editing method (...)" list to add to');
  }
  return readme
    .replace(quickStart, (_, list: string) => `${list}, ${id.toUpperCase()})`)
    .replace(anchor, `- \`@llmedit/${id}\`: (what the method is, in one line).\n${anchor}`);
}

function run(command: string, args: string[], cwd: string): void {
  const result = spawnSync(command, args, { cwd, stdio: 'inherit' });
  if (result.status !== 0) {
    throw new NewMethodError(
      `'${command} ${args.join(' ')}' failed (exit ${result.status ?? result.signal})`,
    );
  }
}

/**
 * Create `packages/<id>` from `packages/_template` with every name replaced, publishable (no `private`,
 * version 0.0.0 so that the first `minor` changeset releases 0.1.0), with a changeset; add it to the
 * bench's dependencies, method list and the root README; format; install. Checks the id before writing.
 */
export function newMethod(options: NewMethodOptions): NewMethodResult {
  const { root, id } = options;
  const template = join(root, 'packages', '_template');
  if (!existsSync(template)) throw new NewMethodError(`no packages/_template under ${root}`);
  checkId(root, id);
  const { camel } = methodNames(id);
  const packageDir = join(root, 'packages', id);
  const changed: string[] = [];

  cpSync(template, packageDir, {
    recursive: true,
    filter: (src) => !SKIPPED.has(src.split(/[\\/]/).at(-1) ?? ''),
  });
  for (const file of filesUnder(packageDir)) {
    const text = readFileSync(file, 'utf8');
    const renamed = renameTemplate(text, id);
    if (renamed !== text) writeFileSync(file, renamed);
    const name = file.split(/[\\/]/).at(-1) ?? '';
    if (name.includes('template')) renameSync(file, join(file, '..', name.replaceAll('template', id)));
  }
  const manifestPath = join(packageDir, 'package.json');
  const manifest = readJson(manifestPath);
  delete manifest.private;
  manifest.version = '0.0.0';
  manifest.description = `${id}: an llmedit knowledge-editing method (describe it in one line)`;
  writeJson(manifestPath, manifest);
  changed.push(...filesUnder(packageDir).map((f) => relative(root, f)));

  const changeset = join(root, '.changeset', `${id}-initial.md`);
  writeFileSync(
    changeset,
    `---\n"@llmedit/${id}": minor\n---\n\nFirst release: the ${id} editing method (\`${camel}\`), its hparams, per-model presets and conformance test.\n`,
  );
  changed.push(relative(root, changeset));

  const benchManifestPath = join(root, 'benchmarks', 'bench', 'package.json');
  const benchManifest = readJson(benchManifestPath);
  benchManifest.dependencies = sortedRecord({
    ...(benchManifest.dependencies as Record<string, string>),
    [`@llmedit/${id}`]: 'workspace:^',
  });
  writeJson(benchManifestPath, benchManifest);
  const methodsPath = join(root, 'benchmarks', 'bench', 'src', 'methods.ts');
  writeFileSync(methodsPath, registerInMethodList(readFileSync(methodsPath, 'utf8'), id));
  const readmePath = join(root, 'README.md');
  writeFileSync(readmePath, registerInReadme(readFileSync(readmePath, 'utf8'), id));
  changed.push(relative(root, benchManifestPath), relative(root, methodsPath), relative(root, readmePath));

  if (options.format) {
    // Renamed identifiers change line lengths; the README and the method list gained lines.
    run('pnpm', ['exec', 'biome', 'check', '--write', ...changed], root);
  }
  if (options.install) run('pnpm', ['install'], root);
  return { packageDir, changed };
}
