import { defineConfig } from 'tsup';
import { tsupPreset } from '../../tsup.preset.ts';

export default defineConfig(tsupPreset);
