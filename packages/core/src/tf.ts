/**
 * The one place llmedit imports TensorFlow.js. Every other package uses `tf` from here so that a process
 * holds exactly one tfjs-core (one engine, one set of registered kernels).
 *
 * llmedit needs tfjs-core's ops, their gradients, the chained tensor methods (`x.add(y)`) and the plain JS
 * cpu backend (the last-resort backend, and the reference the kernel tests compare with); the wasm backend is
 * imported lazily by `initBackend`. The `@tensorflow/tfjs` umbrella would add layers, converter, data and
 * webgl (about 8x the installed size) that nothing here uses.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers gradients and chained ops only through these side-effect modules (the umbrella
// imports the same two). They are ES modules with extensionless imports that Node cannot load directly, so
// the build bundles them (tsup.config.ts); vitest, tsx and browser bundlers resolve them as written.
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js';
import '@tensorflow/tfjs-backend-cpu';

export type {
  Rank,
  Scalar,
  Tensor,
  Tensor1D,
  Tensor2D,
  Tensor3D,
  Tensor4D,
  Variable,
} from '@tensorflow/tfjs-core';
export { tf };
