#!/usr/bin/env bash
# Consumer test: what a user gets from npm. Builds and packs (`pnpm pack`) the packages the root README's
# "Use it" example imports and their workspace dependencies, installs the tarballs with npm into a
# fresh project outside the workspace, and runs the example as ESM (the README block as written, plus checks),
# as CommonJS (example.cjs), and type-checks a TypeScript use of the same API with `tsc --noEmit`.
# Each run checks that ROME flips the greedy answer, raises p(target) and that revert restores the answer.
# It also runs @llmedit/multimodal's README example (the default VLM counts a scene's objects) as ESM and CJS.
# Exits non-zero on the first failure. Needs the npm registry (for tfjs and typescript), nothing else.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
here="$root/.ci/consumer"
work="$(mktemp -d "${TMPDIR:-/tmp}/llmedit-consumer.XXXXXX")"
# KEEP_CONSUMER=1 leaves the project for a look after a failure.
[ "${KEEP_CONSUMER:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
started=$SECONDS
step() { echo "consumer: $* ($((SECONDS - started)) s)"; }

# The packages the example imports, and every workspace package they depend on (what npm must get as
# tarballs, since none is published yet).
entries=(@llmedit/core @llmedit/models @llmedit/pretrained @llmedit/rome @llmedit/multimodal)
mapfile -t dirs < <(cd "$root" && node --input-type=module -e '
  import { readFileSync } from "node:fs";
  import { execFileSync } from "node:child_process";
  const listed = JSON.parse(execFileSync("pnpm", ["-r", "ls", "--depth", "-1", "--json"], { encoding: "utf8" }));
  const byName = new Map(listed.map((p) => [p.name, p.path]));
  const todo = process.argv.slice(1);
  const seen = new Set();
  while (todo.length > 0) {
    const name = todo.pop();
    if (seen.has(name)) continue;
    const dir = byName.get(name);
    if (dir === undefined) throw new Error(`no workspace package ${name}`);
    seen.add(name);
    const manifest = JSON.parse(readFileSync(`${dir}/package.json`, "utf8"));
    if (manifest.private) throw new Error(`${name} is private: a published package cannot depend on it`);
    for (const [dep, range] of Object.entries(manifest.dependencies ?? {})) {
      if (String(range).startsWith("workspace:")) todo.push(dep);
    }
  }
  for (const name of seen) console.log(byName.get(name));
' "${entries[@]}")
# Only what is packed is built (turbo's `name...`: the package and its dependencies), which keeps CI short.
step "building ${#dirs[@]} packages"
filters=()
for name in "${entries[@]}"; do filters+=("--filter=$name..."); done
(cd "$root" && pnpm exec turbo run build "${filters[@]}" >"$work/build.log" 2>&1) ||
  { tail -n 50 "$work/build.log"; exit 1; }
step "packing"
mkdir -p "$work/tarballs"
for dir in "${dirs[@]}"; do (cd "$dir" && pnpm pack --pack-destination "$work/tarballs" >/dev/null); done

project="$work/project"
mkdir -p "$project"
cd "$project"
# A plain npm project ("type": "module" as most new ones; the .cjs file is CommonJS by its extension).
printf '{ "name": "llmedit-consumer", "private": true, "type": "module" }\n' >package.json
step "installing the tarballs with npm"
npm i --no-fund --no-audit --loglevel=error "$work"/tarballs/*.tgz typescript@5.9.3 @types/node@20 >"$work/npm.log" 2>&1 ||
  { cat "$work/npm.log"; exit 1; }

# npm ran @llmedit/core's postinstall, which compiles its native kernels with the system's C compiler; both
# builds must find the library (ESM from import.meta.url, CommonJS from tsup's shim of it).
if command -v cc >/dev/null 2>&1; then
  step "loading the native kernels built at install (ESM and CommonJS)"
  node --input-type=module -e "import { loadNativeKernels } from '@llmedit/core'; console.log((await loadNativeKernels()).library)"
  node -e "require('@llmedit/core').loadNativeKernels().then((k) => console.log(k.library))"
fi

# The README block, as written, is the ESM program; the checks follow it in the same module.
awk '/^## Use it/{u=1} u && /^```js$/{c=1; next} c && /^```$/{exit} c' "$root/README.md" >example.mjs
[ -s example.mjs ] || { echo "consumer: no \`\`\`js block under '## Use it' in README.md"; exit 1; }
cat "$here/checks.mjs" >>example.mjs
cp "$here/example.cjs" "$here/example.mts" "$here/tsconfig.json" .

# One cache folder for both runs: the ESM run computes the layer statistics, the CommonJS run reads them.
export LLMEDIT_CACHE_DIR="$work/cache"
step "running the README example as ESM"
node example.mjs
step "running it as CommonJS"
node example.cjs
step "type-checking example.mts"
npx tsc -p tsconfig.json

# @llmedit/multimodal's README example (the default VLM answers a question about a scene), as ESM and as
# CommonJS: its folder is found from the module's own URL, which the CJS build gets from tsup's shim.
awk '/^## Example/{u=1} u && /^```js$/{c=1; next} c && /^```$/{exit} c' \
  "$root/packages/multimodal/README.md" >multimodal.mjs
[ -s multimodal.mjs ] || { echo "consumer: no \`\`\`js block under '## Example' in packages/multimodal/README.md"; exit 1; }
cp "$here/multimodal.cjs" .
step "running @llmedit/multimodal's README example as ESM"
node multimodal.mjs | tee multimodal-esm.txt
step "running it as CommonJS"
node multimodal.cjs | tee multimodal-cjs.txt
grep -qx ' one' multimodal-esm.txt && grep -qx ' one' multimodal-cjs.txt ||
  { echo "consumer: the default VLM did not answer ' one' (the scene has one object)"; exit 1; }
step "passed"
