// The page: wires session.ts to the form. State for people is in the status line; state for the end-to-end
// test is in data attributes of <body> (data-state, data-edit-ms).
import { type EditResult, initBackend } from '@llmedit/core';
import { type KeArtifact, loadKeArtifactFrom } from '@llmedit/ke';
import { CHECKPOINT_STATS, loadLayerStatsFrom } from '@llmedit/locate';
import { loadMendArtifactFrom, type MendArtifact } from '@llmedit/mend';
import type { CausalLM } from '@llmedit/models';
import { loadPretrainedFrom } from '@llmedit/pretrained';
import { loadSeracArtifactFrom, type SeracArtifact } from '@llmedit/serac';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { answers, EXAMPLE, METHODS, type MethodName, type PageAssets, runEdit, traceSvg } from './session.js';

const base = import.meta.env.BASE_URL;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
}

const status = element<HTMLParagraphElement>('status');
const form = element<HTMLFormElement>('edit-form');
const fields = {
  prompt: element<HTMLInputElement>('prompt'),
  subject: element<HTMLInputElement>('subject'),
  target: element<HTMLInputElement>('target'),
  paraphrase: element<HTMLInputElement>('paraphrase'),
  neighbour: element<HTMLInputElement>('neighbour'),
};
const methodSelect = element<HTMLSelectElement>('method');
const editButton = element<HTMLButtonElement>('edit');
const revertButton = element<HTMLButtonElement>('revert');
const traceButton = element<HTMLButtonElement>('trace-button');
const answerRows = element<HTMLTableSectionElement>('answers');
const traceBox = element<HTMLDivElement>('trace');

fields.prompt.value = EXAMPLE.prompt;
fields.subject.value = EXAMPLE.subject;
fields.target.value = EXAMPLE.targetNew;
fields.paraphrase.value = EXAMPLE.paraphrase;
fields.neighbour.value = EXAMPLE.neighbour;
for (const name of Object.keys(METHODS)) methodSelect.add(new Option(name, name));

function say(text: string, state: string, error = false): void {
  status.textContent = text;
  status.classList.toggle('error', error);
  document.body.dataset.state = state;
}

/** Let the browser paint the status line before a long synchronous computation. */
const nextFrame = () => new Promise<void>((resolve) => setTimeout(resolve, 30));

/**
 * `load` once, the first time a method needs it, kept for the page's life; a failed fetch is not kept, so the
 * next edit tries again. Artifacts are large (SERAC's is 17 MB): the status line says what is being fetched.
 */
function once<T>(what: string, load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (pending === undefined) {
      say(`Fetching ${what}…`, 'editing');
      const started = load();
      pending = started;
      started.catch(() => {
        pending = undefined;
      });
    }
    return pending;
  };
}

/** The model the trained editors are built for (MEND's and KE's read its weights' shapes). */
function loadedModel(): CausalLM {
  if (model === undefined) throw new Error('the model is not loaded yet');
  return model;
}

const assets: PageAssets = {
  seracArtifact: once<SeracArtifact>("SERAC's artifact (scope classifier and counterfactual model)", () =>
    loadSeracArtifactFrom(`${base}serac/default/`),
  ),
  mendArtifact: once<MendArtifact>("MEND's editor network", () =>
    loadMendArtifactFrom(`${base}mend/default/`, loadedModel()),
  ),
  keArtifact: once<KeArtifact>("KE's hypernetwork", () =>
    loadKeArtifactFrom(`${base}ke/default/`, loadedModel()),
  ),
};

let model: CausalLM | undefined;
let applied: EditResult<unknown, CausalLM, unknown> | undefined;
let before: string[] = [];

function prompts(): string[] {
  return [fields.prompt.value, fields.paraphrase.value, fields.neighbour.value];
}

function showAnswers(after: readonly string[] | undefined): void {
  const labels = ['prompt', 'paraphrase', 'neighbour'];
  answerRows.replaceChildren(
    ...prompts().map((prompt, i) => {
      const row = document.createElement('tr');
      row.dataset.row = labels[i];
      const cells = [prompt, before[i] ?? '', after?.[i] ?? '—'].map((text) => {
        const cell = document.createElement('td');
        cell.textContent = text;
        return cell;
      });
      cells[1]?.classList.add('before');
      cells[2]?.classList.add('after');
      if (after !== undefined && after[i] !== before[i]) cells[2]?.classList.add('changed');
      row.append(...cells);
      return row;
    }),
  );
}

function setBusy(busy: boolean): void {
  editButton.disabled = busy || applied !== undefined;
  revertButton.disabled = busy || applied === undefined;
  traceButton.disabled = busy;
}

async function start(): Promise<void> {
  setWasmPaths(`${base}wasm/`);
  const backend = await initBackend({ prefer: ['wasm'] });
  const loaded = await loadPretrainedFrom(`${base}checkpoints/default/`);
  // ROME's and MEMIT's layer statistics ship with the checkpoint: a page has no corpus files to compute them.
  await loadLayerStatsFrom(loaded, `${base}checkpoints/default/stats/`, CHECKPOINT_STATS.layers, {
    samples: CHECKPOINT_STATS.samples,
    dataset: CHECKPOINT_STATS.dataset,
  });
  model = loaded;
  before = answers(loaded, prompts());
  showAnswers(undefined);
  say(
    `Ready: default model (${loaded.config.numLayers} layers), backend ${backend.name}${backend.simd ? ' with SIMD' : ''}.`,
    'ready',
  );
  setBusy(false);
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (model === undefined || applied !== undefined) return;
  const current = model;
  const name = methodSelect.value as MethodName;
  void (async () => {
    setBusy(true);
    say(`Editing with ${name}…`, 'editing');
    await nextFrame();
    try {
      before = answers(current, prompts());
      const request = {
        prompt: fields.prompt.value,
        subject: fields.subject.value,
        targetNew: fields.target.value,
      };
      const { result, ms } = await runEdit(name, current, request, assets);
      applied = result;
      showAnswers(answers(result.model, prompts()));
      document.body.dataset.editMs = String(Math.round(ms));
      say(`Edited with ${name} in ${(ms / 1000).toFixed(1)} s. Revert puts every weight back.`, 'edited');
    } catch (error) {
      say(`The edit failed: ${(error as Error).message}`, 'error', true);
    }
    setBusy(false);
  })();
});

revertButton.addEventListener('click', () => {
  if (applied === undefined || model === undefined) return;
  applied.revert();
  applied.dispose();
  applied = undefined;
  showAnswers(answers(model, prompts()));
  say('Reverted: the model is bit for bit the one loaded.', 'reverted');
  setBusy(false);
});

traceButton.addEventListener('click', () => {
  const traced = applied?.model ?? model;
  if (traced === undefined) return;
  void (async () => {
    setBusy(true);
    say('Tracing…', 'tracing');
    await nextFrame();
    try {
      const { svg } = traceSvg(traced, fields.prompt.value, fields.subject.value);
      traceBox.innerHTML = svg;
      say(
        'Causal trace: restored hidden states, by token and layer.',
        applied === undefined ? 'traced' : 'edited',
      );
    } catch (error) {
      say(`The trace failed: ${(error as Error).message}`, 'error', true);
    }
    setBusy(false);
  })();
});

start().catch((error: unknown) => say(`Loading failed: ${(error as Error).message}`, 'error', true));
