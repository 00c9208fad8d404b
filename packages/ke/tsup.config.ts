import { defineConfig } from 'tsup';
import { tsupPreset } from '../../tsup.preset.ts';

// Shims give the CJS build import.meta.url (the committed artifact's folder is found from it).
export default defineConfig({ ...tsupPreset, shims: true });
