#!/usr/bin/env bash
# bench-read.sh: `make bench-read`, the read-path benchmark of BENCHMARKS.md ("Read path").
#
#   scripts/bench-read.sh        seed the benchmark database if needed, then measure
#   scripts/bench-read.sh drop   drop the benchmark database
#
# The benchmark database is kept between runs, because seeding 1,000,000 threads and 10,000,000
# posts takes tens of minutes and reading it changes little (member pages mark posts read): it is
# BENCH_DB (default stoa_bench_read) on the cluster of STOA_DATABASE_URL, or on the project-local
# cluster (scripts/localdb.sh) when that is unset; STOA_BENCH_DATABASE_URL names another database
# outright. `stoa seed` fills it on the first run, resumes an interrupted seed, and does nothing
# when the seed is complete (a seed of other sizes is refused: drop it first). Its secret key is
# kept in .data/bench-read-secret.key; posts are MACed with it, so keep the two together.
#
# Settings: BENCH_THREADS (1000000), BENCH_POSTS_PER_THREAD (10), BENCH_FLAGS (extra stoa-bench
# flags, e.g. "--rounds 5 --duration 10s"), BENCH_OUT (directory for binaries and the report,
# /tmp/stoa-bench-read).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"

threads=${BENCH_THREADS:-1000000}
posts=${BENCH_POSTS_PER_THREAD:-10}
out=${BENCH_OUT:-/tmp/stoa-bench-read}
db=${BENCH_DB:-stoa_bench_read}
[[ $db =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "bench-read: BENCH_DB must be a plain lower-case name" >&2; exit 1; }

admin_url=${STOA_DATABASE_URL:-}
if [ -z "$admin_url" ]; then
	admin_url=$(scripts/localdb.sh start)
fi
if [ -n "${STOA_BENCH_DATABASE_URL:-}" ]; then
	bench_url=$STOA_BENCH_DATABASE_URL
else
	base=${admin_url%%\?*}
	bench_url="${base%/*}/$db${admin_url#"$base"}"
fi

psql_bin=$(command -v psql || ls -d /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$psql_bin" ] || { echo "bench-read: psql not found (install Debian's postgresql-client)" >&2; exit 1; }
psql_admin() { "$psql_bin" "$admin_url" -v ON_ERROR_STOP=1 -qtAc "$1"; }

if [ "${1:-}" = drop ]; then
	psql_admin "DROP DATABASE IF EXISTS $db"
	echo "bench-read: dropped $db"
	exit 0
fi

mkdir -p "$out"
go build -o "$out/stoa" ./cmd/stoa
go build -o "$out/stoa-bench" ./cmd/stoa-bench
if [ -z "${STOA_BENCH_DATABASE_URL:-}" ] && [ "$(psql_admin "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]; then
	echo "bench-read: creating database $db" >&2
	psql_admin "CREATE DATABASE $db"
fi
secret=$(scripts/secret.sh .data/bench-read-secret.key)
export STOA_DATABASE_URL=$bench_url STOA_SECRET_KEY_FILE=$here/$secret
unset STOA_SECRET_KEY

echo "bench-read: $(uptime)" >&2
"$out/stoa" seed --threads "$threads" --posts-per-thread "$posts"
# shellcheck disable=SC2086 # BENCH_FLAGS is a list of flags
"$out/stoa-bench" --stoa "$out/stoa" --out "$out/bench-read.md" --plans "$out/bench-read-plans.txt" \
	--server-log "$out/serve.log" ${BENCH_FLAGS:-}
echo "bench-read: report in $out/bench-read.md, every plan in $out/bench-read-plans.txt" >&2
