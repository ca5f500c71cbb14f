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
