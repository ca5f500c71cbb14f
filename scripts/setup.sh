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
# an editable install compiles nothing, and with PYTHONDONTWRITEBYTECODE set Python never keeps
# its bytecode: every kb command would compile kb's modules again (0.15 s of a cold kb suggest)
python -m compileall -q kb
if ! command -v chromium >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    # another apt (an unattended upgrade, a second set-up) may hold the dpkg lock: wait for it
    APT="apt-get -qq -o DPkg::Lock::Timeout=600"
    for try in 1 2 3; do
      if { $APT update && DEBIAN_FRONTEND=noninteractive $APT install -y chromium; } >/dev/null; then
        break
      fi
      if [ "$try" = 3 ]; then
        echo "setup: could not install Debian's chromium, which the browser tests need" >&2
        exit 1
      fi
      sleep 15
    done
  else
    echo "setup: no apt-get here: install Chromium as /usr/bin/chromium for the browser tests" \
      "(skipped without it, and failed under CI)" >&2
  fi
fi
# axe-core (npm registry), which the accessibility tests inject into Chromium
if [ ! -f tests/browser/node_modules/axe-core/axe.min.js ]; then
  if ! command -v npm >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=600 install -y npm >/dev/null || true
  fi
  if command -v npm >/dev/null 2>&1; then
    npm ci --prefix tests/browser --no-audit --no-fund --silent
  else
    echo "setup: no npm here: the accessibility tests need axe-core (npm ci --prefix tests/browser)" \
      "(skipped without it, and failed under CI)" >&2
  fi
fi
