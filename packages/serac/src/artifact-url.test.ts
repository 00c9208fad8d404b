// The browser path: the committed artifact fetched over `fetch` (served from this package's folder here) builds
// the same artifact as Node's loader, and the browser entry's SERAC edits with it exactly as Node's does with
// the folder reference; what the browser's method cannot do (folders, training) it refuses with typed errors.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CapabilityError, type EditRequest, edit, InvalidRequestError, initBackend, tf } from '@llmedit/core';
import { loadSplit } from '@llmedit/datasets';
import { type CausalLM, encodeSafetensors, scoreTargets } from '@llmedit/models';
import { loadPretrained } from '@llmedit/pretrained';
import { folderFetch } from '@llmedit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSeracArtifact } from './artifact.js';
import { loadSeracArtifactFrom, SeracArtifactError } from './artifact-format.js';
import { seracArtifactRef, serac as seracNode } from './method.js';
import { serac as seracBrowser, seracCopy as seracCopyBrowser } from './method-core.js';
import { seracPreset } from './presets.js';

const BASE = 'http://serac.test/default/';
const committed = seracArtifactRef('default').dir;
const hparams = seracPreset('default');
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
afterAll(() => model.dispose());

describe('loadSeracArtifactFrom', () => {
  it("builds the same artifact as Node's loadSeracArtifact, and frees it all on dispose", async () => {
    const tensors = tf.memory().numTensors;
    const fetched = await loadSeracArtifactFrom(BASE, { fetch: artifactFetch() });
    const read = loadSeracArtifact(committed);
    try {
      expect(fetched.config).toEqual(read.config);
      expect(fetched.classifier).toEqual(read.classifier);
      expect(fetched.counterfactual.modelId).toBe(read.counterfactual.modelId);
      expect(fetched.config.baseModelId).toBe(model.modelId);
    } finally {
      fetched.dispose();
      read.dispose();
    }
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it("edits with the browser entry's SERAC exactly as Node's SERAC does with the folder, and reverts", async () => {
    const artifact = await loadSeracArtifactFrom(BASE, { fetch: artifactFetch() });
    const tensors = tf.memory().numTensors;
    const pairs = [
      { prompt: request.prompt, target: request.targetNew },
      ...(request.rephrasePrompts ?? []).map((prompt) => ({ prompt, target: request.targetNew })),
    ];
    const before = scoreTargets(model, pairs);
    try {
      const browser = await edit({
        method: seracBrowser,
        model,
        requests: request,
        hparams,
        context: { artifact },
      });
      const inBrowser = scoreTargets(browser.model, pairs);
      browser.revert();
      browser.dispose();
      const node = await edit({
        method: seracNode,
        model,
        requests: request,
        hparams,
        context: { artifact: seracArtifactRef('default') },
      });
      const inNode = scoreTargets(node.model, pairs);
      node.revert();
      node.dispose();
      expect(inBrowser[0]?.argmaxIds).toEqual(inBrowser[0]?.targetIds);
      expect(inBrowser.map((s) => s.logProbs)).toEqual(inNode.map((s) => s.logProbs));
      expect(scoreTargets(model, pairs)).toEqual(before);
      // The caller's artifact is never freed by the method: it edits again after the revert.
      const again = await edit({
        method: seracCopyBrowser,
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

  it("refuses in the browser's SERAC what needs Node: a folder reference, training", async () => {
    const tensors = tf.memory().numTensors;
    await expect(
      edit({
        method: seracBrowser,
        model,
        requests: request,
        hparams,
        context: { artifact: seracArtifactRef('default') },
      }),
    ).rejects.toThrow(/context\.artifact.*loadSeracArtifactFrom/s);
    // The method's own error, which edit() wraps in EditError (its cause).
    await expect(
      seracBrowser.doEdit({ seed: 0, artifact: seracArtifactRef('default') }, model, [request], hparams),
    ).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(seracBrowser.doPrepare?.({ seed: 0 }, model, [request], hparams)).rejects.toBeInstanceOf(
      CapabilityError,
    );
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('refuses a missing file, another version and a misshapen classifier with SeracArtifactError, holding no tensors', async () => {
    const tensors = tf.memory().numTensors;
    const load = (overrides: Map<string, Uint8Array | undefined>) =>
      loadSeracArtifactFrom(BASE, { fetch: artifactFetch(overrides) });
    await expect(load(new Map([['serac.json', undefined]]))).rejects.toThrow(SeracArtifactError);
    await expect(load(new Map([['classifier.safetensors', undefined]]))).rejects.toThrow(
      /has no classifier\.safetensors/,
    );
    const config = JSON.parse(readFileSync(join(committed, 'serac.json'), 'utf8')) as object;
    const encoded = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
    await expect(load(new Map([['serac.json', encoded({ ...config, version: 99 })]]))).rejects.toThrow(
      /version 99/,
    );
    await expect(load(new Map([['serac.json', new TextEncoder().encode('{ not json')]]))).rejects.toThrow(
      /serac\.json is not JSON/,
    );
    const misshapen = encodeSafetensors(
      new Map([
        ['projection', { shape: [3, 2], data: new Float32Array(6) }],
        ['importance', { shape: [3], data: new Float32Array(3) }],
        ['scalars', { shape: [3], data: new Float32Array(3) }],
      ]),
    );
    await expect(load(new Map([['classifier.safetensors', misshapen]]))).rejects.toThrow(
      /projection has shape \[3, 2\]/,
    );
    expect(tf.memory().numTensors).toBe(tensors);
  });
});
