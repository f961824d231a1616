#!/usr/bin/env bash
# with-db.sh CMD...: run CMD with STOA_DATABASE_URL set. When the caller gave none, the project-local
# PostgreSQL is created or started first (scripts/localdb.sh) and its URL is used; with one given,
# nothing local is touched.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -z "${STOA_DATABASE_URL:-}" ]; then
	STOA_DATABASE_URL=$("$here/scripts/localdb.sh" start)
	export STOA_DATABASE_URL
fi
exec "$@"
