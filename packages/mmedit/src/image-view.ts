// One `CausalLM` per VLM through which every text method of this package runs: the language model with the
// image of the current call before its text. Why not `vlm.withImage(image)` (a new view per image)?
// - Trained artifacts (SERAC, MEND, KE) check `artifact.baseModelId === model.modelId`. They were trained on
//   the default language model, which the VLM's language model is, unchanged (same weights, same content
//   hash); a `withImage` view's modelId names the image too, so it would never match. This view keeps the
//   language model's modelId.
// - IKE and SERAC keep their memory per base model object (sequential edits accumulate on it): one object
//   per VLM lets a second multimodal edit add to the first, whatever the images of the two requests.
// - `withImage` of an edited wrapper is synchronous while `doEdit` is async, so a wrapper edit cannot be
//   re-run per image on demand; instead the text method edits this view once, and reading the wrapper with
//   another image only switches the image this view puts before the text (`withCurrentImage`).
import type { CausalLM, ForwardOptions, ForwardResult, TokenBatch } from '@llmedit/models';
import type { ImageInput, VisionLanguageModel } from '@llmedit/multimodal';

interface ImageViewState {
  readonly view: CausalLM;
  /** The image before the text of the view's forwards; undefined: text only (the language model alone). */
  image: ImageInput | undefined;
}

const views = new WeakMap<VisionLanguageModel, ImageViewState>();

function stateOf(vlm: VisionLanguageModel): ImageViewState {
  const known = views.get(vlm);
  if (known !== undefined) return known;
  const lm = vlm.languageModel;
  const view = Object.create(lm) as CausalLM;
  const state: ImageViewState = { view, image: undefined };
  Object.defineProperty(view, 'modelId', { value: lm.modelId, enumerable: true });
  Object.defineProperty(view, 'forward', {
    value: (batch: TokenBatch, options: ForwardOptions = {}): ForwardResult =>
      state.image === undefined
        ? lm.forward(batch, options)
        : vlm.forward({ images: [state.image], batch }, options),
  });
  views.set(vlm, state);
  return state;
}

/** The VLM's language model as the text methods see it (modelId of the language model, one object per VLM). */
export function imageView(vlm: VisionLanguageModel): CausalLM {
  return stateOf(vlm).view;
}

/**
 * Run `body` with `image` before the text of every forward of `imageView(vlm)`; the previous image is put
 * back afterwards (also on failure), so nested and interleaved reads of different images stay correct.
 * Forwards are synchronous, so a synchronous body sees exactly its image; an async body (a `doEdit`) holds
 * it across its awaits, which is safe because core's edit stack runs one edit per model at a time.
 */
export function withCurrentImage<T>(
  vlm: VisionLanguageModel,
  image: ImageInput | undefined,
  body: () => T,
): T {
  const state = stateOf(vlm);
  const previous = state.image;
  state.image = image;
  let restoreLater = false;
  try {
    const result = body();
    if (result instanceof Promise) {
      restoreLater = true;
      return result.finally(() => {
        state.image = previous;
      }) as T;
    }
    return result;
  } finally {
    if (!restoreLater) state.image = previous;
  }
}
