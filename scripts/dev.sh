#!/usr/bin/env bash
# Set up a virtual environment (once) and run the demo or the whole test suite.
#   bash scripts/dev.sh demo [klmle demo options]
#   bash scripts/dev.sh test [pytest options]
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}

setup() {
    if [ ! -x "$VENV/bin/python" ]; then
        "$PYTHON" -c 'import sys; assert sys.version_info >= (3, 11), "klmle needs Python 3.11+"'
        "$PYTHON" -m venv "$VENV"
    fi
    # Reinstall only when pyproject.toml changed since the last install.
    stamp="$VENV/.klmle-installed"
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        "$VENV/bin/python" -m pip install --quiet --upgrade pip
        "$VENV/bin/python" -m pip install --quiet -e ".[test]"
        touch "$stamp"
    fi
}

command=${1:-}
shift || true
case "$command" in
    demo)
        setup
        exec "$VENV/bin/klmle" demo "$@"
        ;;
    test)
        setup
        if [ -f scripts/install-browser.sh ]; then bash scripts/install-browser.sh; fi
        "$VENV/bin/ruff" check toolkit models tests
        "$VENV/bin/ruff" format --check toolkit models tests
        exec "$VENV/bin/python" -m pytest "$@"
        ;;
    *)
        echo "usage: bash scripts/dev.sh demo|test [options]" >&2
        exit 2
        ;;
esac
