#!/usr/bin/env bash
# check-generated.sh: fail when `templ generate` would change or add a generated *_templ.go file,
# i.e. when a .templ file was edited without regenerating and committing its Go code.
set -euo pipefail
cd "$(dirname "$0")/.."
snapshot() { find . -name '*_templ.go' -not -path './.data/*' -print0 | sort -z | xargs -0 -r sha256sum; }
before=$(snapshot)
go tool templ generate -log-level error
after=$(snapshot)
if [ "$before" != "$after" ]; then
	echo "check-generated: templ generate changed generated files; run 'go tool templ generate' and commit:" >&2
	diff <(echo "$before") <(echo "$after") >&2 || true
	exit 1
fi
echo "check-generated: templ output up to date"
