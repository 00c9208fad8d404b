// A text editing method on a vision-language model, as MMEdit (Cheng et al. 2023, section 4) applies the
// text editors: the edit is computed and evaluated with the image before the text, and it changes the
// language model only (weights for FT/MEND/KE, a memory or context for SERAC/IKE).
import {
  defineEditMethod,
  type EditCapabilities,
  type EditMethodV1,
  type EditOutcome,
  type EditRequest,
  InvalidRequestError,
  LlmeditError,
  type Tensor,
} from '@llmedit/core';
import type { CausalLM, ForwardOptions, TokenBatch } from '@llmedit/models';
import {
  type ImageInput,
  LANGUAGE_MODEL_PREFIX,
  type MultimodalForwardOptions,
  type MultimodalInput,
  type VisionLanguageModel,
} from '@llmedit/multimodal';
import { imageView, withCurrentImage } from './image-view.js';

/** How the adapted method is named (its id must differ from the text method's where both are registered). */
export interface MultimodalAdapterOptions {
  readonly id: string;
  readonly displayName: string;
  readonly paper?: string;
}

/** "request 0 'vqa-3'" / "request 0 \"Question: ...\"": one request in an error, as core names it. */
export function describeRequest(request: EditRequest, index: number): string {
  if (request.id !== undefined) return `request ${index} '${request.id}'`;
  const prompt = request.prompt.length > 40 ? `${request.prompt.slice(0, 37)}...` : request.prompt;
  return `request ${index} ${JSON.stringify(prompt)}`;
}

/**
 * The image of every request, resolved (an unknown identifier or a wrong size fails here, before anything
 * is edited). Multimodal methods need one: a request without it is an InvalidRequestError naming it.
 */
export function requireImages(vlm: VisionLanguageModel, requests: readonly EditRequest[]): string[] {
  return requests.map((request, index) => {
    const image = request.image;
    if (image === undefined) {
      throw new InvalidRequestError(
        describeRequest(request, index),
        'image',
        'is required: multimodal editing reads the image before the prompt',
      );
    }
    vlm.pixels(image);
    return image;
  });
}

/** Edited wrappers back to the VLM they wrap (a second edit through a wrapper edits the VLM). */
const bases = new WeakMap<object, VisionLanguageModel>();

/** The VLM under an edited wrapper of this package (the model itself otherwise). */
export function vlmBaseOf(model: VisionLanguageModel): VisionLanguageModel {
  return bases.get(model) ?? model;
}

function imageKey(image: ImageInput | undefined): unknown {
  return image === undefined ? '\u0000text-only' : image;
}

/**
 * The edited VLM of a wrapper method (IKE, SERAC): derived from the VLM (weights, config and every other
 * member are the VLM's), but its `withImage(image)` is the text method's wrapper read with `image` before the
 * text, for any image (other scenes, the rephrased image) and for `undefined` (text only, T-Locality).
 * Views are made once per image and dropped when the outcome is restored or disposed.
 */
function editedWrapper(
  vlm: VisionLanguageModel,
  text: CausalLM,
  methodId: string,
): { model: VisionLanguageModel; release(): void } {
  const cache = new Map<unknown, CausalLM>();
  const model = Object.create(vlm) as VisionLanguageModel;
  bases.set(model, vlm);
  const modelId = `${vlm.modelId}+${methodId}:${text.modelId}`;
  const withImage = (image: ImageInput | undefined): CausalLM => {
    const key = imageKey(image);
    const known = cache.get(key);
    if (known !== undefined) return known;
    const label = image === undefined ? 'text' : typeof image === 'string' ? image : 'pixels';
    if (image !== undefined) vlm.pixels(image); // typed error for an unknown image, now rather than at forward
    const view = Object.create(text) as CausalLM;
    Object.defineProperty(view, 'modelId', { value: `${text.modelId}+image:${label}`, enumerable: true });
    Object.defineProperty(view, 'forward', {
      value: (batch: TokenBatch, options?: ForwardOptions) =>
        withCurrentImage(vlm, image, () => text.forward(batch, options)),
    });
    cache.set(key, view);
    return view;
  };
  Object.defineProperties(model, {
    modelId: { value: modelId, enumerable: true },
    withImage: { value: withImage },
    // A multimodal forward through the edit: one image for every row (what the metrics use); rows with
    // different images go through `withImage` one image at a time.
    forward: {
      value: (input: MultimodalInput, options: MultimodalForwardOptions = {}) => {
        const first = input.images[0];
        if (first === undefined || input.images.some((image) => image !== first)) {
          throw new InvalidRequestError(
            `'${methodId}' edited model`,
            'images',
            'must be one image for every row (read other images through withImage(image))',
          );
        }
        if (options.visionHooks !== undefined && options.visionHooks.length > 0) {
          throw new InvalidRequestError(
            `'${methodId}' edited model`,
            'visionHooks',
            'are not supported through a wrapper edit (hook the VLM itself)',
          );
        }
        return withImage(first).forward(input.batch, options);
      },
    },
  });
  return { model, release: () => cache.clear() };
}

/**
 * Run the text method `textMethod` on a vision-language model: each request's edit is computed on the
 * language model with the request's image before its prompt (a `CausalLM` view), so text methods run
 * unchanged. Weight editors (FT, MEND, KE) edit the VLM's language-model weights: the outcome's model is the
 * VLM and its deltas are named `language_model.*`. Wrapper methods (IKE, SERAC) return a model derived from
 * the VLM whose `withImage(image)` reads the edit with any image. Trained artifacts are the text method's,
 * trained on the language model (see README: the view keeps the language model's modelId for their check).
 *
 * One request per call (`batch: false`): a call has one image before the text. `sequential` as the text
 * method declares.
 *
 * @example
 * const mmIke = multimodalAdapter(ike, { id: 'ike', displayName: 'IKE (multimodal)' });
 * const result = await edit({ method: mmIke, model: vlm, requests: { prompt: 'Question: What colour is the cube? Short answer:', targetNew: 'red', image: 'scene/7/0' } });
 */
export function multimodalAdapter<H>(
  textMethod: EditMethodV1<H, CausalLM>,
  options: MultimodalAdapterOptions,
): EditMethodV1<H, VisionLanguageModel> {
  const { maxBatchSize: _perCall, ...textCapabilities } = textMethod.capabilities;
  const capabilities: EditCapabilities = { ...textCapabilities, batch: false, multimodal: true };
  const prepare = textMethod.doPrepare;
  return defineEditMethod<H, VisionLanguageModel>({
    specificationVersion: 'v1',
    id: options.id,
    displayName: options.displayName,
    ...(options.paper === undefined ? {} : { paper: options.paper }),
    capabilities,
    hparams: textMethod.hparams,
    ...(prepare === undefined
      ? {}
      : {
          // Trained on the language model itself, text only (worker threads and artifact folders expect a
          // plain model): the artifact is the text method's, keyed by the language model's id (README).
          doPrepare: (context, model, trainingRequests, hparams) =>
            prepare.call(textMethod, context, vlmBaseOf(model).languageModel, trainingRequests, hparams),
        }),
    async doEdit(context, model, requests, hparams): Promise<EditOutcome<VisionLanguageModel>> {
      const vlm = vlmBaseOf(model);
      const [image] = requireImages(vlm, requests);
      if (requests.length !== 1) {
        throw new InvalidRequestError(
          options.id,
          'requests',
          `must be one request per call (one image before the text), got ${requests.length}`,
        );
      }
      const view = imageView(vlm);
      const outcome = await withCurrentImage(vlm, image, () =>
        textMethod.doEdit(context, view, requests, hparams),
      );
      const info = { ...(outcome.info ?? {}), image };
      if (outcome.model === view) {
        // A weight edit: the view shares the language model's weights, so the VLM holds the edit.
        const deltas = new Map<string, Tensor>();
        for (const [name, delta] of outcome.deltas) deltas.set(LANGUAGE_MODEL_PREFIX + name, delta);
        return {
          model: vlm,
          deltas,
          info,
          ...(outcome.weightsOnly === undefined ? {} : { weightsOnly: outcome.weightsOnly }),
          restore: () => outcome.restore(),
          dispose: () => {
            outcome.dispose();
            deltas.clear();
          },
        };
      }
      if (outcome.deltas.size > 0) {
        outcome.restore();
        outcome.dispose();
        throw new LlmeditError(
          'INVALID_OUTCOME',
          `'${textMethod.id}' returned a wrapper model and weight deltas; ${options.id} supports one or the other`,
        );
      }
      const wrapper = editedWrapper(vlm, outcome.model, options.id);
      return {
        model: wrapper.model,
        deltas: new Map(),
        info,
        restore: () => {
          outcome.restore();
          wrapper.release();
        },
        dispose: () => {
          outcome.dispose();
          wrapper.release();
        },
      };
    },
  });
}
