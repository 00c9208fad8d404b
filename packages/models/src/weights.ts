import {
  ShapeMismatchError,
  type Tensor,
  tf,
  UnknownLocationError,
  type Variable,
  type WeightSnapshot,
} from '@llmedit/core';

/** A decoded weight as read from or written to a checkpoint. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

/**
 * The named weights of a model as tf variables (Hugging Face names). Snapshots share the saved tensors'
 * data (tfjs tensors are immutable; `assign` swaps data), so a snapshot costs nothing until a weight changes
 * and restoring is bit-exact.
 */
export class WeightStore {
  private readonly variables = new Map<string, Variable>();

  constructor(weights: Iterable<[string, HostTensor]>) {
    for (const [name, host] of weights) {
      // Unnamed: tfjs variable names are global, and two models may hold the same weight names.
      const initial = tf.tensor(host.data, host.shape, 'float32');
      this.variables.set(name, tf.variable(initial, true));
      // The variable shares the initial tensor's data; drop the extra handle.
      initial.dispose();
    }
  }

  names(): string[] {
    return [...this.variables.keys()];
  }

  has(name: string): boolean {
    return this.variables.has(name);
  }

  get(name: string): Variable {
    const variable = this.variables.get(name);
    if (variable === undefined) {
      throw new UnknownLocationError(
        `Unknown weight '${name}'. Weights look like: ${this.names().slice(0, 4).join(', ')}, ...`,
      );
    }
    return variable;
  }

  set(name: string, value: Tensor): void {
    const variable = this.get(name);
    if (!tf.util.arraysEqual(variable.shape, value.shape)) {
      throw new ShapeMismatchError(`setWeight('${name}')`, variable.shape, value.shape);
    }
    variable.assign(value);
  }

  snapshot(names: readonly string[] = this.names()): WeightSnapshot {
    const saved = new Map<string, Tensor>();
    for (const name of names) saved.set(name, tf.clone(this.get(name)));
    let disposed = false;
    return {
      names: [...names],
      restore: () => {
        if (disposed) throw new Error('WeightSnapshot.restore() after dispose()');
        for (const [name, value] of saved) this.get(name).assign(value);
      },
      dispose: () => {
        if (disposed) return;
        disposed = true;
        for (const value of saved.values()) value.dispose();
        saved.clear();
      },
    };
  }

  /** Read every weight back to host memory (for saving). */
  async toHost(): Promise<Map<string, HostTensor>> {
    const out = new Map<string, HostTensor>();
    for (const [name, variable] of this.variables) {
      out.set(name, { shape: [...variable.shape], data: (await variable.data()) as Float32Array });
    }
    return out;
  }

  dispose(): void {
    for (const variable of this.variables.values()) variable.dispose();
    this.variables.clear();
  }
}

/**
 * A 64-bit content hash (two FNV-1a lanes over the IEEE bits, names included) of weights in a fixed
 * order; hex string. Identical weights give identical ids on every platform.
 */
export function hashWeights(entries: Iterable<[string, HostTensor]>): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  const mixString = (s: string) => {
    for (let i = 0; i < s.length; i++) {
      a = Math.imul(a ^ s.charCodeAt(i), 0x01000193);
      b = Math.imul(b ^ s.charCodeAt(i), 0x01000193);
    }
  };
  const sorted = [...entries].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  for (const [name, host] of sorted) {
    mixString(`${name}:${host.shape.join('x')};`);
    const words = new Uint32Array(host.data.buffer, host.data.byteOffset, host.data.length);
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      a = Math.imul(a ^ w, 0x01000193);
      b = Math.imul(b ^ ((w >>> 16) | (w << 16)), 0x01000193);
    }
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}
