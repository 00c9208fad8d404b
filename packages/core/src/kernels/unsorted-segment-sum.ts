/**
 * `UnsortedSegmentSum` for wasm, missing from tfjs-backend-wasm 4.22 (reference/perf.md section 3, fix 3):
 * out[s, ...] = sum of x[i, ...] over i with segmentIds[i] = s. `tf.gather`'s gradient (every embedding
 * gradient) needs it. A JS loop over the wasm heap: the work is one pass over x.
 */
import { tf } from '../tf.js';
import { asWasmBackend } from './wasm-internals.js';

export function createUnsortedSegmentSumKernel(): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = ({ inputs, backend, attrs }) => {
    const { x, segmentIds } = inputs;
    const numSegments = attrs?.numSegments;
    if (x === undefined || segmentIds === undefined) throw new Error('UnsortedSegmentSum: missing input');
    if (typeof numSegments !== 'number' || !Number.isInteger(numSegments) || numSegments < 0) {
      throw new Error(
        `UnsortedSegmentSum: numSegments must be a non-negative integer, got ${String(numSegments)}`,
      );
    }
    if (x.dtype !== 'float32' && x.dtype !== 'int32') {
      throw new Error(`UnsortedSegmentSum on wasm supports float32 and int32 data, got ${x.dtype}`);
    }
    if (segmentIds.dtype !== 'int32') throw new Error('UnsortedSegmentSum: segmentIds must be int32');
    const idsRank = segmentIds.shape.length;
    const prefix = x.shape.slice(0, idsRank);
    if (prefix.length !== idsRank || prefix.some((d, i) => d !== segmentIds.shape[i])) {
      throw new Error(
        `UnsortedSegmentSum: segmentIds shape [${segmentIds.shape}] must be a prefix of x shape [${x.shape}]`,
      );
    }
    const tail = x.shape.slice(idsRank);
    const inner = tf.util.sizeFromShape(tail);
    const be = asWasmBackend(backend);
    const out = be.makeOutput([numSegments, ...tail], x.dtype);
    // Views are taken after the allocation: growing the heap detaches earlier ones.
    const src = be.typedArrayFromHeap(x);
    const ids = be.typedArrayFromHeap(segmentIds);
    const dst = be.typedArrayFromHeap(out);
    dst.fill(0);
    for (let i = 0; i < ids.length; i++) {
      const s = ids[i] as number;
      // Out-of-range ids are dropped, as in TensorFlow and the cpu backend.
      if (s < 0 || s >= numSegments) continue;
      const from = i * inner;
      const to = s * inner;
      for (let j = 0; j < inner; j++) dst[to + j] = (dst[to + j] as number) + (src[from + j] as number);
    }
    return out;
  };
  return { kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc };
}
