#!/usr/bin/env bash
# Install everything kb needs on a fresh machine (idempotent): PyTorch CPU first, then kb with all extras,
# then Debian's Chromium for the browser tests. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PIP="python -m pip"
if ! python -c "import torch" 2>/dev/null; then
  # the CPU wheel of this exact version lies on the machine's disk; any other spec pulls a multi-GB CUDA build
  $PIP install -q torch==2.13.0
fi
$PIP install -q -e ".[ml,site,server,dev]"
if ! command -v chromium >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null \
      || echo "setup: could not install chromium; browser tests will be skipped" >&2
  fi
fi
