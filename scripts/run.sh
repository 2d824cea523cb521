#!/usr/bin/env bash
# Runs the workbench on http://127.0.0.1:3000 with the embedded database (./data/anpr.db,
# created and migrated on first start). On first start it creates one demo account per role and
# prints their passwords. The simulated London feed sends ~20 reads a second through the ingest
# API so the map is alive. Configuration: anpr.toml or ANPR_* variables (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-site.sh
exec target/release/server serve --demo --simulate "${ANPR_SIMULATE_RATE:-20}"
