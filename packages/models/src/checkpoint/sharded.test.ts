import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointError } from '@llmedit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { readJsonFile, readJsonObject, writeJsonFile } from './config.js';
import { readSafetensorsHeader, writeSafetensors } from './safetensors.js';
import {
  readCheckpointWeights,
  readShardIndex,
  SAFETENSORS_INDEX_NAME,
  SAFETENSORS_WEIGHTS_NAME,
  writeCheckpointWeights,
} from './sharded.js';

const root = mkdtempSync(join(tmpdir(), 'llmedit-sharded-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshDir = () => {
  const dir = join(root, `ckpt${counter++}`);
  mkdirSync(dir);
  return dir;
};

function checkpointErrorOf(fn: () => unknown): CheckpointError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CheckpointError);
    return error as CheckpointError;
  }
  throw new Error('expected a CheckpointError, nothing was thrown');
}

/** Five 40-byte tensors (10 floats each) with distinct contents. */
const weights = Object.fromEntries(
  ['wte', 'h.0.mlp', 'h.0.attn', 'h.1.mlp', 'ln_f'].map((name, k) => [
    name,
    { shape: [2, 5], data: Float32Array.from({ length: 10 }, (_, i) => k * 100 + i - 0.5) },
  ]),
);

function expectSameWeights(read: Map<string, { shape: number[]; data: Float32Array }>): void {
  expect([...read.keys()].sort()).toEqual(Object.keys(weights).sort());
  for (const [name, tensor] of Object.entries(weights)) {
    expect(read.get(name)?.shape).toEqual(tensor.shape);
    expect(read.get(name)?.data).toEqual(tensor.data);
  }
}

describe('checkpoint weights in a folder', () => {
  it('round-trips a single model.safetensors with format=pt metadata', () => {
    const dir = freshDir();
    const written = writeCheckpointWeights(dir, weights);
    expect(written).toEqual({ files: [SAFETENSORS_WEIGHTS_NAME], totalSize: 200 });
    expect(readSafetensorsHeader(join(dir, SAFETENSORS_WEIGHTS_NAME)).metadata).toEqual({ format: 'pt' });
    expectSameWeights(readCheckpointWeights(dir));
  });

  it('round-trips shards plus an index with total_size, greedily packed in name order', () => {
    const dir = freshDir();
    const written = writeCheckpointWeights(dir, weights, { maxShardBytes: 100 });
    // Name order: h.0.attn, h.0.mlp | h.1.mlp, ln_f | wte  (two 40-byte tensors fit in 100 bytes).
    expect(written.files).toEqual([
      'model-00001-of-00003.safetensors',
      'model-00002-of-00003.safetensors',
      'model-00003-of-00003.safetensors',
      SAFETENSORS_INDEX_NAME,
    ]);
    const index = readJsonFile(join(dir, SAFETENSORS_INDEX_NAME), 'shard index');
    expect(index).toEqual({
      metadata: { total_size: 200 },
      weight_map: {
        'h.0.attn': 'model-00001-of-00003.safetensors',
        'h.0.mlp': 'model-00001-of-00003.safetensors',
        'h.1.mlp': 'model-00002-of-00003.safetensors',
        ln_f: 'model-00002-of-00003.safetensors',
        wte: 'model-00003-of-00003.safetensors',
      },
    });
    expect(readShardIndex(join(dir, SAFETENSORS_INDEX_NAME)).weightMap.get('wte')).toBe(
      'model-00003-of-00003.safetensors',
    );
    expectSameWeights(readCheckpointWeights(dir));
    const some = readCheckpointWeights(dir, { names: ['ln_f', 'h.0.mlp'] });
    expect([...some.keys()].sort()).toEqual(['h.0.mlp', 'ln_f']);
  });

  it('removes weight files of an earlier save that the new layout does not use', () => {
    const dir = freshDir();
    writeCheckpointWeights(dir, weights, { maxShardBytes: 100 });
    writeFileSync(join(dir, 'config.json'), '{}');
    writeCheckpointWeights(dir, weights);
    expect(readdirSync(dir).sort()).toEqual(['config.json', SAFETENSORS_WEIGHTS_NAME]);
    writeCheckpointWeights(dir, weights, { maxShardBytes: 150 });
    expect(readdirSync(dir).sort()).toEqual([
      'config.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
      SAFETENSORS_INDEX_NAME,
    ]);
    expectSameWeights(readCheckpointWeights(dir));
  });

  it('names the tensor whose shard is missing', () => {
    const dir = freshDir();
    writeCheckpointWeights(dir, weights, { maxShardBytes: 100 });
    rmSync(join(dir, 'model-00003-of-00003.safetensors'));
    const error = checkpointErrorOf(() => readCheckpointWeights(dir));
    expect(error.tensor).toBe('wte');
    expect(error.message).toContain("shard file 'model-00003-of-00003.safetensors' does not exist");
  });

  it('names a tensor listed in the index but absent from its shard', () => {
    const dir = freshDir();
    writeCheckpointWeights(dir, weights, { maxShardBytes: 100 });
    const indexFile = join(dir, SAFETENSORS_INDEX_NAME);
    const index = JSON.parse(readFileSync(indexFile, 'utf8'));
    index.weight_map['lm_head.weight'] = 'model-00001-of-00003.safetensors';
    writeJsonFile(indexFile, index);
    const error = checkpointErrorOf(() => readCheckpointWeights(dir));
    expect(error.tensor).toBe('lm_head.weight');
    expect(error.file).toBe(join(dir, 'model-00001-of-00003.safetensors'));
  });

  it('rejects malformed indexes', () => {
    const dir = freshDir();
    const indexFile = join(dir, SAFETENSORS_INDEX_NAME);
    writeFileSync(indexFile, '{"weight_map": ');
    expect(checkpointErrorOf(() => readCheckpointWeights(dir)).message).toContain(
      'shard index is not valid JSON',
    );
    writeFileSync(indexFile, '{"metadata": {}}');
    expect(checkpointErrorOf(() => readCheckpointWeights(dir)).message).toContain("'weight_map' is missing");
    writeFileSync(indexFile, '{"weight_map": {"w": "../elsewhere.safetensors"}}');
    const traversal = checkpointErrorOf(() => readCheckpointWeights(dir));
    expect(traversal.tensor).toBe('w');
    expect(traversal.message).toContain('not a shard file name');
    writeFileSync(indexFile, '{"weight_map": {}}');
    expect(checkpointErrorOf(() => readCheckpointWeights(dir)).message).toContain('lists no tensors');
  });

  it('says what it looked for when there are no weights, and that .bin is unsupported', () => {
    const dir = freshDir();
    const empty = checkpointErrorOf(() => readCheckpointWeights(dir));
    expect(empty.message).toContain(`looked for ${SAFETENSORS_INDEX_NAME} and ${SAFETENSORS_WEIGHTS_NAME}`);
    expect(empty.message).toContain('pytorch_model.bin) are not supported');
    writeFileSync(join(dir, 'pytorch_model.bin'), 'x');
    expect(checkpointErrorOf(() => readCheckpointWeights(dir)).message).toContain(
      'Found pytorch_model.bin, but',
    );
    expect(checkpointErrorOf(() => readCheckpointWeights(join(root, 'missing'))).message).toContain(
      'checkpoint folder does not exist',
    );
  });

  it('validates every shard before writing any', () => {
    const dir = freshDir();
    const bad = { ...weights, zz: { shape: [3], data: new Float32Array(2) } };
    const error = checkpointErrorOf(() => writeCheckpointWeights(dir, bad, { maxShardBytes: 100 }));
    expect(error.tensor).toBe('zz');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('passes single-file names through to readSafetensors', () => {
    const dir = freshDir();
    writeSafetensors(join(dir, SAFETENSORS_WEIGHTS_NAME), weights);
    expect([...readCheckpointWeights(dir, { names: ['ln_f'] }).keys()]).toEqual(['ln_f']);
    expect(checkpointErrorOf(() => readCheckpointWeights(dir, { names: ['nope'] })).tensor).toBe('nope');
  });
});

describe('JSON files', () => {
  it('reads, writes with 2-space indent and a newline, and names the file on failure', () => {
    const dir = freshDir();
    const file = join(dir, 'config.json');
    writeJsonFile(file, { model_type: 'gpt2', n_layer: 2 });
    expect(readFileSync(file, 'utf8')).toBe('{\n  "model_type": "gpt2",\n  "n_layer": 2\n}\n');
    expect(readJsonObject(file, 'model config')).toEqual({ model_type: 'gpt2', n_layer: 2 });

    const missing = checkpointErrorOf(() => readJsonFile(join(dir, 'absent.json'), 'model config'));
    expect(missing.message).toContain('absent.json');
    expect(missing.message).toContain('cannot read model config: file not found');

    writeFileSync(file, '{"n_layer": 2,}');
    const invalid = checkpointErrorOf(() => readJsonFile(file, 'model config'));
    expect(invalid.file).toBe(file);
    expect(invalid.message).toContain('model config is not valid JSON');

    writeFileSync(file, '[1]');
    expect(checkpointErrorOf(() => readJsonObject(file, 'model config')).message).toContain(
      'must be a JSON object',
    );
    expect(existsSync(file)).toBe(true);
  });
});
