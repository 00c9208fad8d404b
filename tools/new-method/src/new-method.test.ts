import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkId, methodNames, NewMethodError, newMethod, registerInMethodList } from './new-method.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * A throwaway copy of the parts of the repository the generator reads and writes, in the system's temp
 * folder: the real repository, its lockfile and its node_modules are never written.
 */
function scratchRepo(): string {
  const root = mkdtempSync(join(tmpdir(), 'llmedit-new-method-'));
  const copy = (path: string) =>
    cpSync(join(repo, path), join(root, path), {
      recursive: true,
      filter: (src) => !/[\\/](node_modules|\.vitest|dist)$/.test(src),
    });
  for (const path of [
    'packages/_template',
    'benchmarks/bench/package.json',
    'benchmarks/bench/src/methods.ts',
    'README.md',
    'biome.json',
    '.gitignore',
    'tsconfig.base.json',
    'vitest.shared.ts',
    'tsup.preset.ts',
    'package.json',
  ]) {
    copy(path);
  }
  mkdirSync(join(root, '.changeset'));
  // The packages the generated one imports resolve to the real workspace (read only), and the tools
  // (vitest, biome, typescript) to the real root's node_modules.
  symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'), 'dir');
  return root;
}

function linkWorkspacePackages(packageDir: string): void {
  const scope = join(packageDir, 'node_modules', '@llmedit');
  mkdirSync(scope, { recursive: true });
  for (const name of ['core', 'models', 'testing', 'pretrained']) {
    symlinkSync(join(repo, 'packages', name), join(scope, name), 'dir');
  }
}

function runIn(cwd: string, command: string, args: string[]): { status: number | null; output: string } {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the colour codes of the tools' output.
  const plain = `${result.stdout}\n${result.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
  return { status: result.status, output: plain };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.parentPath.includes('node_modules'))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('pnpm new-method', () => {
  let root: string;
  let packageDir: string;

  beforeAll(() => {
    root = scratchRepo();
    ({ packageDir } = newMethod({ root, id: 'demo-edit', install: false, format: true }));
  });
  afterAll(() => {
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  it('names the package, the method and its exports after the id, with no trace of the template', () => {
    const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
    expect(manifest.name).toBe('@llmedit/demo-edit');
    expect(manifest.private).toBeUndefined();
    expect(manifest.version).toBe('0.0.0');
    expect(manifest.files).toContain('hparams');
    expect(manifest.exports['./hparams/*.json']).toBe('./hparams/*.json');
    expect(manifest.devDependencies['@llmedit/testing']).toBe('workspace:^');
    const files = filesUnder(packageDir);
    for (const file of files) {
      expect(file).not.toMatch(/template/i);
      expect(readFileSync(file, 'utf8'), file).not.toMatch(/template/i);
    }
    expect(readFileSync(join(packageDir, 'src/method.ts'), 'utf8')).toContain("id: 'demo-edit'");
    expect(existsSync(join(packageDir, 'src/demo-edit.conformance.test.ts'))).toBe(true);
    expect(existsSync(join(packageDir, 'hparams/micro.json'))).toBe(true);
    expect(existsSync(join(packageDir, 'hparams/default.json'))).toBe(true);
    const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
    expect(readme).toMatch(/^# @llmedit\/demo-edit\n/);
    expect(readme).toContain('## Differences from the reference');
  });

  it('writes a minor changeset and registers the package with the bench and the README', () => {
    expect(readFileSync(join(root, '.changeset/demo-edit-initial.md'), 'utf8')).toMatch(
      /^---\n"@llmedit\/demo-edit": minor\n---\n\n\S/,
    );
    const bench = JSON.parse(readFileSync(join(root, 'benchmarks/bench/package.json'), 'utf8'));
    expect(bench.dependencies['@llmedit/demo-edit']).toBe('workspace:^');
    const methods = readFileSync(join(root, 'benchmarks/bench/src/methods.ts'), 'utf8');
    expect(methods).toContain("import { demoEdit, demoEditPresets } from '@llmedit/demo-edit';");
    expect(methods).toMatch(/benchMethod\(demoEdit, \{\}, fromPresets\(demoEditPresets\)\),\n\];/);
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme).toContain('- `@llmedit/demo-edit`: ');
    expect(readme).toMatch(/every registered editing method \([^)]*, DEMO-EDIT\)/);
  });

  it('generates a package that typechecks, lints and passes its own tests and the conformance suite', () => {
    linkWorkspacePackages(packageDir);
    const bin = (name: string) => join(repo, 'node_modules', '.bin', name);
    const lint = runIn(root, bin('biome'), [
      'check',
      'packages/demo-edit',
      'benchmarks',
      'README.md',
      '.changeset',
    ]);
    expect(lint.status, lint.output).toBe(0);
    const types = runIn(packageDir, bin('tsc'), ['--noEmit', '-p', '.']);
    expect(types.status, types.output).toBe(0);
    const tests = runIn(packageDir, bin('vitest'), ['run']);
    expect(tests.status, tests.output).toBe(0);
    // Every check of the conformance suite ran (their number grows with the suite) and none failed.
    expect(tests.output).toMatch(/src\/demo-edit\.conformance\.test\.ts \(\d+ tests\)/);
    expect(tests.output).toMatch(/Tests\s+\d+ passed/);
    expect(tests.output).not.toMatch(/\d+ (failed|skipped)/);
  }, 600_000);

  it('refuses an id that is not kebab-case or is taken, before writing anything', () => {
    expect(() => checkId(root, 'MyMethod')).toThrow(NewMethodError);
    expect(() => checkId(root, 'MyMethod')).toThrow(/kebab-case/);
    expect(() => checkId(root, 'demo-edit')).toThrow(/packages\/demo-edit already exists/);
    expect(() => checkId(repo, 'ft-l')).toThrow(/already declares a method with id 'ft-l'/);
    const before = filesUnder(root).length;
    expect(() => newMethod({ root, id: 'template', install: false, format: false })).toThrow(NewMethodError);
    expect(filesUnder(root).length).toBe(before);
  });

  it('turns ids into identifiers and refuses a method list it cannot extend', () => {
    expect(methodNames('r-rome-2')).toEqual({ kebab: 'r-rome-2', camel: 'rRome2', pascal: 'RRome2' });
    expect(() => registerInMethodList('const x = 1;\n', 'demo')).toThrow(/BENCH_METHODS/);
  });
});
