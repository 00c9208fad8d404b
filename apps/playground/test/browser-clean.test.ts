// The browser-clean promise of the packages a page imports: bundled by esbuild for the browser (as Vite and
// other bundlers do), their main entries resolve no Node built-in module, not even lazily, and nothing fails
// to resolve. Built from sources (the `@llmedit/source` condition), like every test in this repository.
import { builtinModules } from 'node:module';
import { build, type Plugin } from 'esbuild';
import { describe, expect, it } from 'vitest';

const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/**
 * Records every import of a Node built-in by llmedit's code (and lets esbuild fail on it as a browser build
 * would). Dependencies' own guarded imports (tfjs's Node paths, seedrandom's crypto) are left to esbuild:
 * their package.json `browser` field maps them to empty modules, and any it does not map fails to resolve.
 */
function builtinRecorder(found: string[]): Plugin {
  return {
    name: 'record-node-builtins',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        const builtin = BUILTINS.has(args.path) || BUILTINS.has(args.path.split('/')[0] ?? '');
        if (builtin && !args.importer.includes('/node_modules/')) {
          found.push(`${args.path} (imported by ${args.importer})`);
        }
        return undefined;
      });
    },
  };
}

async function bundle(
  packages: readonly string[],
): Promise<{ builtins: string[]; errors: string[]; bytes: number }> {
  const builtins: string[] = [];
  const result = await build({
    stdin: {
      contents: packages.map((name, i) => `export * as p${i} from '${name}';`).join('\n'),
      resolveDir: import.meta.dirname,
      loader: 'ts',
    },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    conditions: ['@llmedit/source'],
    write: false,
    logLevel: 'silent',
    plugins: [builtinRecorder(builtins)],
  }).catch((error: { errors?: { text: string }[] }) => ({
    errors: error.errors ?? [{ text: String(error) }],
    outputFiles: [],
  }));
  return {
    builtins,
    errors: result.errors.map((e) => e.text),
    bytes: result.outputFiles.reduce((n, f) => n + f.contents.byteLength, 0),
  };
}

describe('browser bundle (esbuild, platform browser)', () => {
  it.each([
    [['@llmedit/core', '@llmedit/models', '@llmedit/pretrained', '@llmedit/rome']],
    [
      [
        '@llmedit/locate',
        '@llmedit/memit',
        '@llmedit/ft',
        '@llmedit/datasets',
        '@llmedit/trace',
        '@llmedit/ike',
      ],
    ],
    [['@llmedit/serac', '@llmedit/mend', '@llmedit/ke', '@llmedit/meta-train']],
  ])(
    'of %j resolves no Node built-in',
    async (packages) => {
      const { builtins, errors, bytes } = await bundle(packages);
      expect(builtins).toEqual([]);
      expect(errors).toEqual([]);
      expect(bytes).toBeGreaterThan(100_000);
    },
    60_000,
  );

  it('fails the check when a package imports a Node built-in (the check sees what it must)', async () => {
    const { builtins } = await bundle(['node:fs']);
    expect(builtins).toEqual(['node:fs (imported by <stdin>)']);
  });
});
