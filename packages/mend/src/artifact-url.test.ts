// The browser path: the committed artifact fetched over `fetch` (served from this package's folder here) builds
// the same artifact as Node's loader, and the browser entry's MEND edits with it exactly as Node's does with
// the folder reference; what the browser's method cannot do (folders, training) it refuses with typed errors.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CapabilityError, type EditRequest, edit, InvalidRequestError, initBackend, tf } from '@llmedit/core';
import { loadSplit } from '@llmedit/datasets';
import { type CausalLM, scoreTargets } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained';
import { differingWeights, floatsBitEqual, folderFetch, weightBytes } from '@llmedit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadMendArtifact,
  loadMendArtifactFrom,
  MendArtifactError,
  MendModelMismatchError,
} from './artifact.js';
import { mendArtifactRef, mend as mendNode, releaseMendArtifacts } from './method.js';
import { mend as mendBrowser } from './method-core.js';
import { mendPreset } from './presets.js';

const BASE = 'http://mend.test/default/';
const committed = mendArtifactRef('default').dir;
const hparams = mendPreset('default');
let model: CausalLM;
let request: EditRequest;

/** Serves the committed artifact at BASE, with `overrides` replacing or removing files. */
const artifactFetch = (overrides?: ReadonlyMap<string, Uint8Array | undefined>) =>
  folderFetch(BASE, committed, overrides);

beforeAll(async () => {
  await initBackend({ prefer: ['wasm', 'cpu'] });
  model = loadPretrained('default');
  request = loadSplit('counterfact', 'eval')[0] as EditRequest;
});
afterAll(() => {
  releaseMendArtifacts(model);
  model.dispose();
});

describe('loadMendArtifactFrom', () => {
  it("builds the same artifact as Node's loadMendArtifact, and frees it all on dispose", async () => {
    const tensors = tf.memory().numTensors;
    const fetched = await loadMendArtifactFrom(BASE, model, { fetch: artifactFetch() });
    const read = loadMendArtifact(committed, model);
    try {
      expect(fetched.config).toEqual(read.config);
      // Tensor by tensor, bit for bit (a deep toEqual over megabytes of floats takes seconds).
      const [a, b] = [fetched.editor.toHost(), read.editor.toHost()];
      expect([...a.keys()]).toEqual([...b.keys()]);
      for (const [name, t] of a) {
        expect(t.shape, name).toEqual(b.get(name)?.shape);
        expect(floatsBitEqual(t.data, b.get(name)?.data ?? new Float32Array()), name).toBe(true);
      }
    } finally {
      fetched.dispose();
      read.dispose();
    }
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it("edits with the browser entry's MEND exactly as Node's MEND does with the folder, and reverts bit for bit", async () => {
    const artifact = await loadMendArtifactFrom(BASE, model, { fetch: artifactFetch() });
    const pairs = [{ prompt: request.prompt, target: request.targetNew }];
    const weights = weightBytes(model);
    try {
      const browser = await edit({
        method: mendBrowser,
        model,
        requests: request,
        hparams,
        context: { artifact },
      });
      const inBrowser = scoreTargets(browser.model, pairs);
      browser.revert();
      browser.dispose();
      expect(differingWeights(weightBytes(model), weights)).toEqual([]);
      const node = await edit({
        method: mendNode,
        model,
        requests: request,
        hparams,
        context: { artifact: mendArtifactRef('default') },
      });
      const inNode = scoreTargets(node.model, pairs);
      node.revert();
      node.dispose();
      releaseMendArtifacts(model);
      expect(inBrowser.map((s) => s.logProbs)).toEqual(inNode.map((s) => s.logProbs));
      expect(differingWeights(weightBytes(model), weights)).toEqual([]);
      // The caller's artifact is never freed by the method: it edits again.
      const tensors = tf.memory().numTensors;
      const again = await edit({
        method: mendBrowser,
        model,
        requests: request,
        hparams,
        context: { artifact },
      });
      again.revert();
      again.dispose();
      expect(tf.memory().numTensors).toBe(tensors);
    } finally {
      artifact.dispose();
    }
  });

  it("refuses in the browser's MEND what needs Node: a folder reference, training", async () => {
    const tensors = tf.memory().numTensors;
    await expect(
      edit({
        method: mendBrowser,
        model,
        requests: request,
        hparams,
        context: { artifact: mendArtifactRef('default') },
      }),
    ).rejects.toThrow(/context\.artifact.*only Node reads/s);
    // The method's own error, which edit() wraps in EditError (its cause).
    await expect(
      mendBrowser.doEdit({ seed: 0, artifact: mendArtifactRef('default') }, model, [request], hparams),
    ).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(mendBrowser.doPrepare?.({ seed: 0 }, model, [request], hparams)).rejects.toBeInstanceOf(
      CapabilityError,
    );
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('refuses a missing file, another version, another model and missing tensors with typed errors, holding no tensors', async () => {
    const tensors = tf.memory().numTensors;
    const load = (overrides: Map<string, Uint8Array | undefined>) =>
      loadMendArtifactFrom(BASE, model, { fetch: artifactFetch(overrides) });
    const config = JSON.parse(readFileSync(join(committed, 'mend.json'), 'utf8')) as object;
    const encoded = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
    await expect(load(new Map([['mend.json', undefined]]))).rejects.toThrow(MendArtifactError);
    await expect(load(new Map([['editor.safetensors', undefined]]))).rejects.toThrow(
      /has no editor\.safetensors/,
    );
    await expect(load(new Map([['mend.json', encoded({ ...config, version: 99 })]]))).rejects.toThrow(
      /version 99/,
    );
    await expect(load(new Map([['mend.json', new TextEncoder().encode('{ not json')]]))).rejects.toThrow(
      /mend\.json is not JSON/,
    );
    await expect(
      load(new Map([['mend.json', encoded({ ...config, baseModelId: 'another-model' })]])),
    ).rejects.toBeInstanceOf(MendModelMismatchError);
    const { encodeSafetensors } = await import('@llmedit/models');
    const empty = encodeSafetensors(new Map([['unrelated', { shape: [1], data: new Float32Array(1) }]]));
    await expect(load(new Map([['editor.safetensors', empty]]))).rejects.toThrow(/editor\.safetensors needs/);
    expect(tf.memory().numTensors).toBe(tensors);
  });
});
