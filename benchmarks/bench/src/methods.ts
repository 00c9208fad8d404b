// The methods `pnpm bench` runs, in table order. Adding a method is one entry: import its package by name,
// say how the published tables call it, and which of its hyperparameter presets fits the model.
import { ftL, ftM, ftPresets } from '@llmedit/ft';
import { type BenchMethod, benchMethod, fromPresets } from './bench-method.js';

export const BENCH_METHODS: readonly BenchMethod[] = [
  benchMethod(
    ftL,
    { survey: 'FT-L', rome: 'FT+L', time: 'FT', memory: 'FT' },
    fromPresets(ftPresets, 'ft-l'),
  ),
  benchMethod(ftM, {}, fromPresets(ftPresets, 'ft-m')),
];
