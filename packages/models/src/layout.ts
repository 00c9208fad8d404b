import { UnknownLocationError } from '@llmedit/core';
import type { ModelConfig } from './config.js';

/** Where a hook reads or replaces activations. Every activation is [batch, tokens, width]. */
export type HookLocation = 'embed' | 'residual' | 'attnOut' | 'mlpIn' | 'mlpPre' | 'mlpKey' | 'mlpOut';

export interface HookPoint {
  readonly location: HookLocation;
  /** Block index; -1 for `embed`. */
  readonly layer: number;
  /** Unique key, e.g. `mlpOut.3`, used for captured activations. */
  readonly key: string;
  /** Activation width at this point. */
  readonly width: number;
}

/**
 * A weight matrix by its Hugging Face name, with its storage orientation: GPT-2's Conv1D stores
 * [in, out] (y = x W), LLaMA's Linear stores [out, in] (y = x W^T). Methods that write rank-one updates
 * must respect it.
 */
export interface WeightLocation {
  readonly name: string;
  readonly orientation: 'in-out' | 'out-in';
}

/**
 * Typed locations of a model: hook points (residual stream, attention output, MLP key and output) and
 * the weights that editing methods touch.
 */
export interface ModelLayout {
  readonly numLayers: number;
  readonly hiddenSize: number;
  readonly mlpKeySize: number;
  embed(): HookPoint;
  /** Output of block `layer` (Hugging Face `hidden_states[layer + 1]`). */
  residual(layer: number): HookPoint;
  /** Attention output after its projection, before the residual add. */
  attnOut(layer: number): HookPoint;
  /** Input of the MLP after its pre-norm (the input of `c_fc` / `gate_proj` and `up_proj`): T-Patcher's query. */
  mlpIn(layer: number): HookPoint;
  /**
   * Input of the MLP activation function (GPT-2 `c_fc` output, LLaMA `gate_proj` output), width
   * `mlpKeySize`: where EasyEdit's Knowledge Neurons attribute.
   */
  mlpPre(layer: number): HookPoint;
  /** Input of the MLP output projection (after the activation): ROME's key k. */
  mlpKey(layer: number): HookPoint;
  /** MLP output after its projection, before the residual add: ROME's value v. */
  mlpOut(layer: number): HookPoint;
  /** The MLP output projection (GPT-2 `mlp.c_proj`, LLaMA `mlp.down_proj`). */
  mlpOutProjection(layer: number): WeightLocation;
  /** The MLP input projections (GPT-2 `mlp.c_fc`; LLaMA `gate_proj`, `up_proj`). */
  mlpInProjections(layer: number): readonly WeightLocation[];
  attnOutProjection(layer: number): WeightLocation;
  /** The LM head, stored [vocab, hidden] (tied to the token embedding in GPT-2). */
  lmHead(): WeightLocation;
  /** Names of the final norm's weights. */
  finalNorm(): readonly string[];
  /** Parse a key such as `mlpOut.3` back into a point. */
  point(key: string): HookPoint;
}

export function createLayout(config: ModelConfig): ModelLayout {
  const { numLayers, hiddenSize, intermediateSize } = config;
  const checkLayer = (layer: number, what: string) => {
    if (!Number.isInteger(layer) || layer < 0 || layer >= numLayers) {
      throw new UnknownLocationError(`${what}: layer ${layer} is out of range [0, ${numLayers - 1}]`);
    }
  };
  const make = (location: HookLocation, layer: number, width: number): HookPoint => {
    checkLayer(layer, location);
    return { location, layer, key: `${location}.${layer}`, width };
  };
  const gpt2 = config.architecture === 'gpt2';
  const blockName = (l: number) => (gpt2 ? `transformer.h.${l}` : `model.layers.${l}`);
  const layout: ModelLayout = {
    numLayers,
    hiddenSize,
    mlpKeySize: intermediateSize,
    embed: () => ({ location: 'embed', layer: -1, key: 'embed', width: hiddenSize }),
    residual: (l) => make('residual', l, hiddenSize),
    attnOut: (l) => make('attnOut', l, hiddenSize),
    mlpPre: (l) => make('mlpPre', l, intermediateSize),
    mlpIn: (l) => make('mlpIn', l, hiddenSize),
    mlpKey: (l) => make('mlpKey', l, intermediateSize),
    mlpOut: (l) => make('mlpOut', l, hiddenSize),
    mlpOutProjection(l) {
      checkLayer(l, 'mlpOutProjection');
      return gpt2
        ? { name: `${blockName(l)}.mlp.c_proj.weight`, orientation: 'in-out' }
        : { name: `${blockName(l)}.mlp.down_proj.weight`, orientation: 'out-in' };
    },
    mlpInProjections(l) {
      checkLayer(l, 'mlpInProjections');
      return gpt2
        ? [{ name: `${blockName(l)}.mlp.c_fc.weight`, orientation: 'in-out' }]
        : [
            { name: `${blockName(l)}.mlp.gate_proj.weight`, orientation: 'out-in' },
            { name: `${blockName(l)}.mlp.up_proj.weight`, orientation: 'out-in' },
          ];
    },
    attnOutProjection(l) {
      checkLayer(l, 'attnOutProjection');
      return gpt2
        ? { name: `${blockName(l)}.attn.c_proj.weight`, orientation: 'in-out' }
        : { name: `${blockName(l)}.self_attn.o_proj.weight`, orientation: 'out-in' };
    },
    lmHead() {
      if (gpt2) return { name: 'transformer.wte.weight', orientation: 'out-in' };
      return {
        name: config.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight',
        orientation: 'out-in',
      };
    },
    finalNorm: () => (gpt2 ? ['transformer.ln_f.weight', 'transformer.ln_f.bias'] : ['model.norm.weight']),
    point(key) {
      if (key === 'embed') return layout.embed();
      const match = /^(residual|attnOut|mlpIn|mlpPre|mlpKey|mlpOut)\.(\d+)$/.exec(key);
      if (match === null) {
        throw new UnknownLocationError(
          `Unknown hook key '${key}' (expected embed, residual.N, attnOut.N, mlpIn.N, mlpPre.N, mlpKey.N or mlpOut.N)`,
        );
      }
      return make(
        match[1] as HookLocation,
        Number(match[2]),
        match[1] === 'mlpKey' || match[1] === 'mlpPre' ? intermediateSize : hiddenSize,
      );
    },
  };
  return layout;
}
