import {
  CheckpointError,
  type EditableModel,
  InvalidRequestError,
  type Tensor,
  type Tensor3D,
  tf,
  type Variable,
  type WeightSnapshot,
} from '@llmedit/core';
import {
  type CausalLM,
  type ForwardOptions,
  type ForwardResult,
  type Hook,
  type HostTensor,
  hashWeights,
  type LogitsSelection,
  type TokenBatch,
  WeightStore,
} from '@llmedit/models';
import { checkVlmConfig, numImageTokens, type VlmConfig } from './config.js';
import { imageFeatures, patchify, type VisionHook, visionWeightSpecs } from './vision-tower.js';

/** An RGB image, HWC, values in [0, 1] (the shape of `@llmedit/datasets`' `SceneImage`). */
export interface ImagePixels {
  readonly width: number;
  readonly height: number;
  readonly pixels: Float32Array;
}

/** An image by identifier (resolved by the model's `resolveImage`) or by its pixels. */
export type ImageInput = string | ImagePixels;

/** Turns an image identifier from a data set (`EditRequest.image`) into pixels. */
export type ImageResolver = (id: string) => ImagePixels;

/** The prefix of the language model's weights inside the VLM (Hugging Face LLaVA layout). */
export const LANGUAGE_MODEL_PREFIX = 'language_model.';

export interface MultimodalForwardOptions extends ForwardOptions {
  /** Hooks on the vision tower and projector (the language model's go in `hooks`). */
  visionHooks?: readonly VisionHook[];
}

/** A multimodal forward: one image per batch row, or a single image shared by every row. */
export interface MultimodalInput {
  images: readonly ImageInput[];
  batch: TokenBatch;
}

/**
 * A vision-language model in the LLaVA layout: a CLIP-style vision tower and an MLP projector whose outputs
 * stand in for the token embeddings of the image positions, placed before the text, of any `CausalLM`.
 *
 * Text methods run unchanged on `withImage(image)`: a view of the language model whose forward prepends the
 * image and returns only the text positions, so scoring, generation, hooks and weight edits mean what they
 * mean on text. Weight names follow LLaVA (`vision_tower.*`, `multi_modal_projector.*`, `language_model.*`).
 */
export class VisionLanguageModel implements EditableModel {
  readonly modelId: string;
  private readonly store: WeightStore;
  private readonly pixelCache = new Map<string, Float32Array>();

  constructor(
    readonly config: VlmConfig,
    readonly languageModel: CausalLM,
    visionWeights: Map<string, HostTensor>,
    private readonly resolveImage?: ImageResolver,
  ) {
    checkVlmConfig(config);
    const specs = visionWeightSpecs(config);
    const missing = specs.filter((s) => !visionWeights.has(s.name)).map((s) => s.name);
    if (missing.length > 0)
      throw new CheckpointError(
        'vision weights',
        `missing ${missing.length} tensor(s), e.g. '${missing[0]}'`,
        missing[0],
      );
    for (const spec of specs) {
      const host = visionWeights.get(spec.name)!;
      if (!tf.util.arraysEqual(host.shape, spec.shape)) {
        throw new CheckpointError(
          'vision weights',
          `shape [${host.shape}], expected [${spec.shape}]`,
          spec.name,
        );
      }
    }
    const known = new Set(specs.map((s) => s.name));
    const unexpected = [...visionWeights.keys()].find((name) => !known.has(name));
    if (unexpected !== undefined)
      throw new CheckpointError('vision weights', 'is not a weight of this vision tower', unexpected);
    this.store = new WeightStore(
      specs.map((s) => [s.name, visionWeights.get(s.name)!] as [string, HostTensor]),
    );
    // The language model's own content hash stands in for its weights (names are part of the hash).
    const lmMarker: [string, HostTensor] = [
      `language_model@${languageModel.modelId}`,
      { shape: [0], data: new Float32Array(0) },
    ];
    this.modelId = hashWeights([...visionWeights, lmMarker]);
  }

  get imageTokens(): number {
    return numImageTokens(this.config);
  }

  /** Names of the vision tower's and projector's weights. */
  visionWeightNames(): readonly string[] {
    return this.store.names();
  }

  weightNames(): readonly string[] {
    return [...this.store.names(), ...this.languageModel.weightNames().map((n) => LANGUAGE_MODEL_PREFIX + n)];
  }

  weight(name: string): Variable {
    return name.startsWith(LANGUAGE_MODEL_PREFIX)
      ? this.languageModel.weight(name.slice(LANGUAGE_MODEL_PREFIX.length))
      : this.store.get(name);
  }

  setWeight(name: string, value: Tensor): void {
    if (name.startsWith(LANGUAGE_MODEL_PREFIX))
      this.languageModel.setWeight(name.slice(LANGUAGE_MODEL_PREFIX.length), value);
    else this.store.set(name, value);
  }

  snapshotWeights(names: readonly string[] = this.weightNames()): WeightSnapshot {
    const text = names
      .filter((n) => n.startsWith(LANGUAGE_MODEL_PREFIX))
      .map((n) => n.slice(LANGUAGE_MODEL_PREFIX.length));
    const vision = names.filter((n) => !n.startsWith(LANGUAGE_MODEL_PREFIX));
    for (const name of vision) this.store.get(name); // throws UnknownLocationError before anything is saved
    const textSnapshot = this.languageModel.snapshotWeights(text);
    const visionSnapshot = this.store.snapshot(vision);
    return {
      names: [...names],
      restore: () => {
        textSnapshot.restore();
        visionSnapshot.restore();
      },
      dispose: () => {
        textSnapshot.dispose();
        visionSnapshot.dispose();
      },
    };
  }

  /** Every weight in host memory, under LLaVA names (for saving). */
  async weightsToHost(): Promise<Map<string, HostTensor>> {
    const out = await this.store.toHost();
    for (const [name, host] of await this.languageModel.weightsToHost())
      out.set(LANGUAGE_MODEL_PREFIX + name, host);
    return out;
  }

  /** Pixels of an image input, checked against the tower's size. Identifiers are resolved once and kept. */
  pixels(image: ImageInput): Float32Array {
    if (typeof image !== 'string') return this.checkPixels(image, 'pixels');
    const cached = this.pixelCache.get(image);
    if (cached !== undefined) return cached;
    if (this.resolveImage === undefined) {
      throw new InvalidRequestError(
        `image '${image}'`,
        'image',
        'is an identifier, but this model has no image resolver',
      );
    }
    const pixels = this.checkPixels(this.resolveImage(image), image);
    if (this.pixelCache.size >= 512) this.pixelCache.delete(this.pixelCache.keys().next().value!);
    this.pixelCache.set(image, pixels);
    return pixels;
  }

  private checkPixels(image: ImagePixels, label: string): Float32Array {
    const { imageSize: size, numChannels: c } = this.config.vision;
    if (image.width !== size || image.height !== size || image.pixels.length !== size * size * c) {
      throw new InvalidRequestError(
        `image '${label}'`,
        'pixels',
        `is ${image.width}x${image.height} with ${image.pixels.length} values, the vision tower takes ${size}x${size}x${c}`,
      );
    }
    return image.pixels;
  }

  /** Projected image features [images, imageTokens, textHidden]; differentiable w.r.t. the vision weights. */
  encodeImages(
    images: readonly ImageInput[],
    hooks?: readonly VisionHook[],
    captured?: Record<string, Tensor3D>,
  ): Tensor3D {
    const patches = patchify(
      images.map((image) => this.pixels(image)),
      this.config.vision,
    );
    const { numChannels: c, patchSize: p } = this.config.vision;
    return tf.tidy(() => {
      const patchTensor = tf.tensor2d(patches, [patches.length / (c * p * p), c * p * p]);
      return imageFeatures(
        this.config,
        (name) => this.store.get(name),
        patchTensor,
        images.length,
        hooks,
        captured,
      );
    });
  }

  /**
   * Run the language model with image positions before the text of every row. Outputs (logits, captured
   * language-model activations) cover the text positions only, as if the image were not part of the
   * sequence; captured vision activations come back under their `vision.*` / `projector.out` keys.
   * A `cache` that already holds tokens already holds the image: the call then runs text only.
   */
  forward(input: MultimodalInput, options: MultimodalForwardOptions = {}): ForwardResult {
    const { images, batch } = input;
    const lm = this.languageModel;
    if (options.cache !== undefined && options.cache.length > 0) return lm.forward(batch, options);
    if (images.length !== 1 && images.length !== batch.ids.length) {
      throw new InvalidRequestError(
        'forward',
        'images',
        `has ${images.length} images for ${batch.ids.length} rows (1 or one per row)`,
      );
    }
    if (options.startAtLayer !== undefined) {
      throw new InvalidRequestError(
        'forward',
        'startAtLayer',
        'is not supported with image positions before the text',
      );
    }
    const n = this.imageTokens;
    const rows = batch.ids.length;
    const extended: TokenBatch = {
      ids: batch.ids.map((row) => [...new Array<number>(n).fill(this.config.imageTokenIndex), ...row]),
      attentionMask: batch.attentionMask.map((row) => [...new Array<number>(n).fill(1), ...row]),
    };
    const length = batch.ids[0]?.length ?? 0;
    const textOnly = (x: Tensor3D) => tf.slice(x, [0, n, 0], [-1, length, -1]) as Tensor3D;
    return tf.tidy(() => {
      const visionCaptured: Record<string, Tensor3D> = {};
      const features = this.encodeImages(images, options.visionHooks, visionCaptured);
      // The embedding of an image position = its projected feature + its position embedding: remove the
      // placeholder token's row that the LM's embedding added.
      const placeholder = tf.gather(lm.weight(tokenEmbeddingName(lm)), [this.config.imageTokenIndex]);
      const imageDelta = tf.sub(features, tf.reshape(placeholder, [1, 1, -1]));
      const rowsDelta = images.length === 1 && rows > 1 ? tf.tile(imageDelta, [rows, 1, 1]) : imageDelta;
      const embedHook: Hook = {
        point: lm.layout.embed(),
        replace: (x) => tf.add(x, tf.concat([rowsDelta, tf.zerosLike(textOnly(x))], 1)) as Tensor3D,
      };
      const hooks: Hook[] = [embedHook];
      for (const hook of options.hooks ?? []) {
        hooks.push({
          point: hook.point,
          ...(hook.capture === true ? { capture: true } : {}),
          ...(hook.replace === undefined
            ? {}
            : {
                replace: (x: Tensor3D) =>
                  tf.concat([tf.slice(x, [0, 0, 0], [-1, n, -1]), hook.replace!(textOnly(x))], 1) as Tensor3D,
              }),
        });
      }
      const result = lm.forward(extended, {
        ...options,
        hooks,
        ...(options.logits === undefined ? {} : { logits: shiftSelection(options.logits, n) }),
      });
      // The cache now owns the keys and values of this call: they must outlive this scope.
      if (options.cache !== undefined)
        for (const t of [...options.cache.keys, ...options.cache.values]) tf.keep(t);
      const captured: Record<string, Tensor3D> = { ...visionCaptured };
      for (const [key, value] of Object.entries(result.captured)) captured[key] = textOnly(value);
      const selection = options.stopAfterLayer === undefined ? (options.logits ?? 'all') : 'none';
      const logits =
        selection === 'all' && result.logits !== undefined
          ? textOnly(result.logits as Tensor3D)
          : result.logits;
      return { logits, captured };
    });
  }

  /**
   * The language model with `image` before every text it reads: a `CausalLM` view for text methods, scoring
   * and generation. `undefined` gives the language model itself (text-only input, T-Locality). Weights are
   * shared: an edit through the view is an edit of this model.
   */
  withImage(image: ImageInput | undefined): CausalLM {
    if (image === undefined) return this.languageModel;
    const pixels = this.pixels(image);
    const view = Object.create(this.languageModel) as CausalLM;
    Object.defineProperty(view, 'modelId', {
      value: `${this.modelId}+image:${typeof image === 'string' ? image : hashPixels(pixels)}`,
    });
    view.forward = (batch: TokenBatch, options: ForwardOptions = {}) =>
      this.forward(
        {
          images: [{ width: this.config.vision.imageSize, height: this.config.vision.imageSize, pixels }],
          batch,
        },
        options,
      );
    return view;
  }

  dispose(): void {
    this.store.dispose();
    this.languageModel.dispose();
    this.pixelCache.clear();
  }
}

/** GPT-2's `transformer.wte.weight` or LLaMA's `model.embed_tokens.weight`. */
function tokenEmbeddingName(lm: CausalLM): string {
  return lm.config.architecture === 'gpt2' ? 'transformer.wte.weight' : 'model.embed_tokens.weight';
}

function shiftSelection(selection: LogitsSelection, offset: number): LogitsSelection {
  if (typeof selection === 'string') return selection;
  return { positions: selection.positions.map(([row, token]) => [row, token + offset] as const) };
}

function hashPixels(pixels: Float32Array): string {
  return hashWeights([['pixels', { shape: [pixels.length], data: pixels }]]);
}
