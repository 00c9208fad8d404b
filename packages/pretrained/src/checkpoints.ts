import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LlmeditError } from '@llmedit/core';
import { type CausalLM, loadModel, packageFolder } from '@llmedit/models';
import type { CheckpointName } from './checkpoint-names.js';

/** The folder of a committed checkpoint (`checkpoints/<name>` in this package; works from src and dist). */
export function checkpointDir(name: string): string {
  return join(packageFolder(import.meta.url), 'checkpoints', name);
}

export { CHECKPOINT_NAMES, type CheckpointName } from './checkpoint-names.js';

/** Load a committed checkpoint (no download: the files ship in this package). */
export function loadPretrained(name: CheckpointName = 'default'): CausalLM {
  const dir = checkpointDir(name);
  if (!existsSync(join(dir, 'config.json'))) {
    throw new LlmeditError(
      'CHECKPOINT',
      `checkpoint '${name}' is not built: run \`pnpm --filter @llmedit/pretrained train ${name}\``,
    );
  }
  return loadModel(dir);
}

/** The probe report written when the checkpoint was trained. */
export function readTrainingReport(name: CheckpointName): unknown {
  return JSON.parse(readFileSync(join(checkpointDir(name), 'probe-report.json'), 'utf8'));
}
