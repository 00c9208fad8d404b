import { initBackend } from '@llmedit/core';
import type { CausalLM } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained';

/** The committed micro model on the wasm backend (loaded once per test file). */
export async function microModel(): Promise<CausalLM> {
  await initBackend({ prefer: ['wasm'] });
  return loadPretrained('micro');
}
