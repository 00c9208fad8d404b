/** A prompt with the answer it should (keep) producing, used for locality and portability probes. */
export interface PromptAnswer {
  prompt: string;
  /** One answer, or several acceptable answers (aliases); the first is the one scored token by token. */
  groundTruth: string | readonly string[];
}

/**
 * One knowledge edit: make the model answer `targetNew` after `prompt` (and its rephrases), keep the
 * `locality` probes unchanged and, ideally, answer the `portability` probes. The EasyEdit request, camelCase.
 */
export interface EditRequest {
  /** Stable identifier (dataset case id); used in error messages and caches. */
  id?: string;
  prompt: string;
  /** The subject as it appears verbatim in `prompt` (required by locate-then-edit methods). */
  subject?: string;
  targetNew: string;
  groundTruth?: string;
  rephrasePrompts?: readonly string[];
  locality?: Readonly<Record<string, readonly PromptAnswer[]>>;
  portability?: Readonly<Record<string, readonly PromptAnswer[]>>;
  /** Image path or identifier for multimodal requests, kept exactly as given by the dataset. */
  image?: string;
}
