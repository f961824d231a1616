#!/usr/bin/env bash
# secret.sh FILE: print FILE, creating it first with a random 32-byte secret (base64) if missing.
# `make run` keeps its development secret in .data/ so restarts keep verifying stored HTML and
# opening the actors' sealed keys. Production sets STOA_SECRET_KEY or STOA_SECRET_KEY_FILE itself.
set -euo pipefail
f=$1
if [ ! -s "$f" ]; then
	mkdir -p "$(dirname "$f")"
	(umask 077 && head -c 32 /dev/urandom | base64 >"$f")
fi
echo "$f"
