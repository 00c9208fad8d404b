import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { methodPackages } from './method-packages.js';
import { BENCH_METHODS } from './methods.js';
import { MULTIMODAL_BENCH_METHODS } from './multimodal-methods.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

/** The `@llmedit/*` names of the README's "Editing methods:" list (up to the template's line). */
function listedMethodPackages(text: string): string[] {
  const start = text.indexOf('Editing methods:\n');
  const end = text.indexOf('- `packages/_template`', start);
  expect(start, 'README has an "Editing methods:" list').toBeGreaterThan(0);
  expect(end, 'the list ends with the packages/_template line').toBeGreaterThan(start);
  return [...text.slice(start, end).matchAll(/^- `(@llmedit\/[a-z0-9-]+)`/gm)].map((m) => m[1] as string);
}

describe('the README lists the registered methods', () => {
  it('every registered method comes from a package the bench depends on', async () => {
    const packages = await methodPackages(BENCH_METHODS.map((m) => m.method));
    expect(BENCH_METHODS.map((m) => m.method.id).filter((id) => !packages.has(id))).toEqual([]);
    expect(packages.get('rome')).toBe('@llmedit/rome');
    expect(packages.get('ft-m')).toBe('@llmedit/ft');
  });

  it('"Editing methods" lists exactly the packages of the registered methods (Table D\'s included)', async () => {
    // Two lookups: Table D's methods share ids (ike, serac, mend, ke) with the text methods they adapt.
    const text = await methodPackages(BENCH_METHODS.map((m) => m.method));
    const multimodal = await methodPackages(MULTIMODAL_BENCH_METHODS.map((m) => m.method));
    expect(listedMethodPackages(readme).sort()).toEqual(
      [...new Set([...text.values(), ...multimodal.values()])].sort(),
    );
  });

  it('the quick start names every registered method, in the bench order', () => {
    const named = /every registered editing method \(([^)]*)\)/.exec(readme)?.[1];
    expect(named?.split(/,\s+/)).toEqual(BENCH_METHODS.map((m) => m.method.id.toUpperCase()));
  });

  it('the list check catches a missing package', () => {
    const without = readme.replace(/^- `@llmedit\/kn`.*\n/m, '');
    expect(listedMethodPackages(without)).not.toContain('@llmedit/kn');
    expect(listedMethodPackages(readme)).toContain('@llmedit/kn');
  });
});
