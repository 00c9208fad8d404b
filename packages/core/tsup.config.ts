import { defineConfig } from 'tsup';
import { tsupPreset } from '../../tsup.preset.ts';

export default defineConfig({
  ...tsupPreset,
  // tfjs-core's gradient and chained-op registration modules are ESM with extensionless imports, which Node
  // cannot load from node_modules: bundle them (and the tfjs-core internals they import, which share the
  // engine and kernel registry through tfjs's global namespace, as in the @tensorflow/tfjs umbrella build).
  noExternal: [/^@tensorflow\/tfjs-core\/dist\//],
  // The native kernels library is found from import.meta.url, which the CJS build needs shimmed.
  shims: true,
});
