// MMEdit's comparison set (Cheng et al. 2023, "Can We Edit Multimodal Large Language Models?", section 4.1)
// on llmedit's VisionLanguageModel: FT-LLM and FT-Vision, and the text editors IKE, SERAC, MEND and KE run on
// the language model with the image before the text (`multimodalAdapter`).
import type { EditMethodV1 } from '@llmedit/core';
import { type FtHparams, ftM } from '@llmedit/ft';
import { createIkeMethod, type DemoPool, type IkeHparams, ike as textIke } from '@llmedit/ike';
import { type KeHparams, ke as textKe } from '@llmedit/ke';
import { type MendHparams, mend as textMend } from '@llmedit/mend';
import type { VisionLanguageModel } from '@llmedit/multimodal';
import { type SeracHparams, serac as textSerac } from '@llmedit/serac';
import { multimodalAdapter } from './adapter.js';

const MMEDIT = 'Cheng et al. 2023, Can We Edit Multimodal Large Language Models?, arXiv:2310.08475';

/**
 * FT-LLM: MMEdit's "FT (LLM part)", fine-tuning one language-model layer (its MLP output projection; the
 * preset takes the last block) with the causal-LM NLL of the target after image + prompt (FT-M's objective,
 * 'target_new'). FT-M with the image before the text.
 */
export const ftLlm: EditMethodV1<FtHparams, VisionLanguageModel> = multimodalAdapter(ftM, {
  id: 'ft-llm',
  displayName: 'FT-LLM (fine-tuning a language-model layer, image + prompt)',
  paper: `${MMEDIT} (FT, LLM part)`,
});

const IKE_OPTIONS = {
  id: 'ike',
  displayName: 'IKE (in-context editing, image before the context)',
  paper: `${MMEDIT}; Zheng et al. 2023, arXiv:2305.12740`,
} as const;

/**
 * IKE with the image: the new fact (and demonstrations) in context, the image before all of it. Its
 * demonstrations come from the text IKE's store (llmedit's text training splits in Node); see
 * `createMultimodalIke` for demonstrations from the task's own training set, as EasyEdit retrieves them.
 */
export const ike: EditMethodV1<IkeHparams, VisionLanguageModel> = multimodalAdapter(textIke, IKE_OPTIONS);

/**
 * IKE with demonstrations retrieved from `pool`, e.g. the E-VQA / E-IC training records (EasyEdit's
 * multimodal IKE retrieves them from the task's training set, `ike_main.py`). The pool is built by the caller
 * (reading the records is Node's business; this package stays browser-safe); a function is called at the first
 * edit that needs it.
 */
export function createMultimodalIke(
  pool: DemoPool | (() => DemoPool),
): EditMethodV1<IkeHparams, VisionLanguageModel> {
  return multimodalAdapter(createIkeMethod({ pool }), IKE_OPTIONS);
}

/** SERAC with the image: scope classifier and base model read image + text; the artifact is the text one. */
export const serac: EditMethodV1<SeracHparams, VisionLanguageModel> = multimodalAdapter(textSerac, {
  id: 'serac',
  displayName: 'SERAC (memory-based editing, image + text)',
  paper: `${MMEDIT}; Mitchell et al. 2022, arXiv:2206.06520`,
});

/** MEND with the image: the edit's gradient is taken with the image before the prompt. */
export const mend: EditMethodV1<MendHparams, VisionLanguageModel> = multimodalAdapter(textMend, {
  id: 'mend',
  displayName: 'MEND (gradient-decomposition editor, image + prompt)',
  paper: `${MMEDIT}; Mitchell et al. 2022, arXiv:2110.11309`,
});

/** KE with the image: the hypernetwork's gradient input is taken with the image before the prompt. */
export const ke: EditMethodV1<KeHparams, VisionLanguageModel> = multimodalAdapter(textKe, {
  id: 'ke',
  displayName: 'KE (KnowledgeEditor hypernetwork, image + prompt)',
  paper: `${MMEDIT}; De Cao et al. 2021, arXiv:2104.08164`,
});
