/**
 * `Identity` for wasm that shares the input's heap block by refcount instead of copying it
 * (reference/perf.md section 3, fix 2).
 *
 * tfjs-core clones every input it saves for the gradient tape (`tf.clone`, i.e. the Identity kernel). The
 * stock wasm kernel memcpys, so every weight was copied on every training step, and the copy's fresh id
 * also defeated XNNPACK's packed-weight cache. The cpu backend already shares; no tfjs kernel writes into
 * its inputs, so sharing is safe. Strings keep the stock path.
 */
import type { tf } from '../tf.js';
import { withSetupOf } from './kernel-config.js';
import { asWasmBackend } from './wasm-internals.js';

/** A new tensor on `x`'s heap block (its refcount raised), not a copy. */
export function shareData(backend: unknown, x: tf.TensorInfo): tf.TensorInfo {
  asWasmBackend(backend).incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

export function createIdentityKernel(stock: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const x = args.inputs.x;
    if (x === undefined || x.dtype === 'string') return stock.kernelFunc(args);
    return shareData(args.backend, x);
  };
  return withSetupOf({ kernelName: 'Identity', backendName: 'wasm', kernelFunc }, stock);
}
