import { tf } from '@llmedit/core';
import { type CausalLM, chunkByTokens, padBatch } from '@llmedit/models';

/**
 * The frozen base-model features of one text, one row per token: the token's input embedding and the
 * residual stream after block `layer`, each scaled to unit length (their norms differ by an order of
 * magnitude; the trained head should see both). [tokens, 2 * hiddenSize], row-major.
 */
export interface TokenFeatures {
  readonly tokens: number;
  readonly width: number;
  readonly data: Float32Array;
}

/**
 * The token ids the classifier reads for `text`: with a leading space, so that a word at the start of a
 * question ("Danielle Darrieux spoke ...") gets the same token as inside a sentence (" Danielle"), and
 * at most the model's positions.
 */
export function classifierTokens(model: CausalLM, text: string): number[] {
  const spaced = /^\s/u.test(text) ? text : ` ${text}`;
  return model.requireTokenizer().encode(spaced).slice(0, model.config.maxPositions);
}

function unitRows(
  source: Float32Array,
  rows: number,
  width: number,
  into: Float32Array,
  column: number,
  stride: number,
) {
  for (let r = 0; r < rows; r++) {
    let norm = 0;
    for (let i = 0; i < width; i++) norm += (source[r * width + i] as number) ** 2;
    const scale = 1 / Math.sqrt(norm + 1e-12);
    for (let i = 0; i < width; i++) into[r * stride + column + i] = (source[r * width + i] as number) * scale;
  }
}

/**
 * Features of many texts, computed in batches of at most `maxBatchTokens` padded tokens with one partial
 * forward each (blocks above `layer` never run). Texts that tokenize to nothing get zero rows.
 */
export function textFeatures(
  model: CausalLM,
  texts: readonly string[],
  layer: number,
  maxBatchTokens = 4096,
): TokenFeatures[] {
  const hidden = model.config.hiddenSize;
  const width = 2 * hidden;
  const ids = texts.map((text) => classifierTokens(model, text));
  const out: TokenFeatures[] = texts.map(() => ({ tokens: 0, width, data: new Float32Array(0) }));
  const embed = model.layout.embed();
  const residual = model.layout.residual(layer);
  const nonEmpty = ids.map((_, i) => i).filter((i) => (ids[i] as number[]).length > 0);
  for (const chunk of chunkByTokens(
    nonEmpty.map((i) => (ids[i] as number[]).length),
    maxBatchTokens,
  )) {
    const rows = chunk.map((c) => nonEmpty[c] as number);
    const batch = padBatch(
      rows.map((i) => ids[i] as number[]),
      model.padTokenId,
      'right',
    );
    const length = batch.ids[0]?.length ?? 0;
    const { captured } = model.forward(batch, {
      hooks: [
        { point: embed, capture: true },
        { point: residual, capture: true },
      ],
      stopAfterLayer: layer,
      logits: 'none',
    });
    const embedded = captured[embed.key];
    const mixed = captured[residual.key];
    const embedData = embedded?.dataSync() as Float32Array;
    const residualData = mixed?.dataSync() as Float32Array;
    tf.dispose([embedded, mixed]);
    rows.forEach((textIndex, b) => {
      const n = (ids[textIndex] as number[]).length;
      const data = new Float32Array(n * width);
      const start = b * length * hidden;
      unitRows(embedData.subarray(start, start + n * hidden), n, hidden, data, 0, width);
      unitRows(residualData.subarray(start, start + n * hidden), n, hidden, data, hidden, width);
      out[textIndex] = { tokens: n, width, data };
    });
  }
  return out;
}
