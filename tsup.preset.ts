import type { Options } from 'tsup';

/** One build preset for every publishable package: ESM + CJS + .d.ts for Node 20. */
export const tsupPreset: Options = {
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
};
