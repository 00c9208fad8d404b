/**
 * The one place llmedit imports TensorFlow.js. Every other package uses `tf` from here so that a process
 * holds exactly one tfjs-core (one engine, one set of registered kernels).
 */
import * as tf from '@tensorflow/tfjs';

export type {
  Rank,
  Scalar,
  Tensor,
  Tensor1D,
  Tensor2D,
  Tensor3D,
  Tensor4D,
  Variable,
} from '@tensorflow/tfjs';
export { tf };
