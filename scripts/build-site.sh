#!/usr/bin/env bash
# Builds the release server and the site (WASM, CSS, Leaflet) into target/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh "$@"
# npm's wasm-opt must come first on PATH: cargo-leptos uses whatever it finds there.
PATH="$PWD/node_modules/.bin:$PATH" cargo leptos build --release --split
# The site's files compressed once, here, instead of on each request.
node scripts/precompress.mjs target/site
