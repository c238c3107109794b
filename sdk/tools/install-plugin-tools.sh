#!/usr/bin/env bash
# Installs the pinned Python and JavaScript plugin toolchains into one directory:
#   DIR/python  a venv with componentize-py
#   DIR/js      an npm prefix with componentize-qjs, componentize-js and jco
# Idempotent: a stamp file per toolchain records the pinned versions; a matching stamp
# skips the install. Used by `.ci/run` and `aiops plugin build --install`.
# Usage: install-plugin-tools.sh DIR [python|js|all]
set -euo pipefail
dir=${1:?usage: install-plugin-tools.sh DIR [python|js|all]}
which=${2:-all}
COMPONENTIZE_PY=0.25.1
COMPONENTIZE_QJS=0.4.5
COMPONENTIZE_JS=0.23.0
JCO=1.35.0
mkdir -p "$dir"

if [[ $which == all || $which == python ]]; then
  want="componentize-py==$COMPONENTIZE_PY"
  if [[ "$(cat "$dir/python/.aiops-stamp" 2>/dev/null)" != "$want" ]]; then
    rm -rf "$dir/python"
    python3 -m venv "$dir/python"
    "$dir/python/bin/pip" install --quiet --disable-pip-version-check "$want" pytest
    echo "$want" > "$dir/python/.aiops-stamp"
  fi
fi

if [[ $which == all || $which == js ]]; then
  want="componentize-qjs@$COMPONENTIZE_QJS @bytecodealliance/componentize-js@$COMPONENTIZE_JS @bytecodealliance/jco@$JCO"
  if [[ "$(cat "$dir/js/.aiops-stamp" 2>/dev/null)" != "$want" ]]; then
    rm -rf "$dir/js"
    mkdir -p "$dir/js"
    # shellcheck disable=SC2086
    npm install --silent --no-audit --no-fund --prefix "$dir/js" $want
    echo "$want" > "$dir/js/.aiops-stamp"
  fi
fi
