// Copies what the page fetches at run time into public/ (served by Vite as is, and copied into dist/ by the
// build): the default checkpoint with its layer statistics, from @llmedit/pretrained's package folder, the
// committed SERAC, MEND and KE artifacts for it, from their packages' folders, and tfjs's wasm binaries (setWasmPaths points the wasm backend at them). public/ is generated, not committed.
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '..', 'package.json'));
const publicDir = join(here, '..', 'public');
const checkpoint = join(
  dirname(require.resolve('@llmedit/pretrained/package.json')),
  'checkpoints',
  'default',
);
const wasmDist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');

rmSync(publicDir, { recursive: true, force: true });
const target = join(publicDir, 'checkpoints', 'default');
mkdirSync(target, { recursive: true });
for (const name of ['config.json', 'model.safetensors', 'tokenizer.json', 'stats']) {
  cpSync(join(checkpoint, name), join(target, name), { recursive: true });
}
// The trained methods' committed artifacts for the default model, as their packages hold them: SERAC's
// serac.json, classifier.safetensors and counterfactual/ (a model folder); MEND's and KE's config and
// editor.safetensors. loadSeracArtifactFrom / loadMendArtifactFrom / loadKeArtifactFrom fetch these files.
for (const method of ['serac', 'mend', 'ke']) {
  cpSync(
    join(dirname(require.resolve(`@llmedit/${method}/package.json`)), 'artifacts', 'default'),
    join(publicDir, method, 'default'),
    { recursive: true },
  );
}
mkdirSync(join(publicDir, 'wasm'), { recursive: true });
for (const name of [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
]) {
  cpSync(join(wasmDist, name), join(publicDir, 'wasm', name));
}
console.log(`assets: ${publicDir}`);
