#!/usr/bin/env bash
# Install everything (scripts/setup.sh), then lint, type-check and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
bash scripts/setup.sh
ruff check kb tests bench
ruff format --check kb tests bench
mypy kb
python -m pytest -q -n 2 -p no:cacheprovider "$@"
if [ "$#" = 0 ]; then
  # the site tests again on ProperDocs, the maintained continuation of MkDocs 1.x
  KB_ENGINE=properdocs python -m pytest -q -n 2 -p no:cacheprovider tests/test_site*.py tests/test_init.py
fi
