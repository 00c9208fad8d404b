#!/usr/bin/env bash
# The playground's end-to-end test (apps/playground/test/e2e.test.ts): builds the page, serves it, and in
# headless Chromium loads the default model on the wasm backend, edits a fact with ROME, checks the answer
# flips and reverts. Uses the system's Chromium (never downloads one): Debian's `chromium` package, installed
# here when missing and possible (root with apt-get), like .ci/run does for OpenBLAS; CHROMIUM names another.
set -euo pipefail
cd "$(dirname "$0")/.."

chromium_bin="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium_bin" ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "installing Debian's chromium for the playground test"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 || true
  fi
  if [ ! -x "$chromium_bin" ]; then
    echo "no Chromium at $chromium_bin and it could not be installed (apt-get install chromium, or set CHROMIUM)"
    exit 1
  fi
fi
export CHROMIUM="$chromium_bin"
pnpm --filter @llmedit/playground test:e2e
