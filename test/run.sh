#!/usr/bin/env bash
# The whole test suite: typecheck, then every unit, contract, generated-code
# and end-to-end test. `npm test` runs this; so does CI (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

npx tsc --noEmit -p tsconfig.json

mapfile -t files < <(find src test plugins -name '*.test.ts' -not -path '*/node_modules/*' 2>/dev/null | sort)
# Each file runs in its own process; two at a time keeps this 2-core machine responsive.
exec node --import tsx --test --test-concurrency=2 "$@" "${files[@]}"
