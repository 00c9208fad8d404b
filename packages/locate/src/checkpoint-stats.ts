/**
 * The layer statistics `@llmedit/pretrained` ships beside the default checkpoint (`stats/`): the layers of
 * ROME's (0) and MEMIT's (0, 1, 2) default presets, with the presets' sample count and corpus name, so that
 * `loadLayerStatsFrom(model, '<checkpoint url>/stats/', CHECKPOINT_STATS.layers)` gives a page what
 * `romePreset('default')` and `memitPreset('default')` look up.
 */
export const CHECKPOINT_STATS = {
  layers: [0, 1, 2],
  samples: 100_000,
  dataset: 'llmedit-corpus',
} as const;
