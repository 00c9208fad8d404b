import type { tf } from '../tf.js';

/**
 * `config` with the setup function of the kernel it replaces or falls back to (tfjs runs a backend's kernel
 * setups once, when the backend starts: a replacement that delegates needs the same setup).
 */
export function withSetupOf(config: tf.KernelConfig, from: tf.KernelConfig | undefined): tf.KernelConfig {
  if (from?.setupFunc) config.setupFunc = from.setupFunc;
  return config;
}
