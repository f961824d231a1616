#!/usr/bin/env bash
# localdb.sh: the project-local PostgreSQL cluster that `make run` and `make test` use when
# STOA_DATABASE_URL is not set.
#
#   scripts/localdb.sh start   create the cluster once, start it if it is not running, print its URL
#   scripts/localdb.sh url     print the URL without starting anything
#   scripts/localdb.sh stop    stop the cluster (keeps the data)
#   scripts/localdb.sh reset   stop the cluster and delete its data
#   scripts/localdb.sh status  say whether it runs
#
# Why a script and not a container: a fresh Debian machine with Go has no Docker engine, but it has apt.
# The cluster lives under ./.data/ (git-ignored; STOA_LOCAL_PG_DIR moves it), listens only on 127.0.0.1
# at a fixed non-standard port (STOA_LOCAL_PG_PORT, default 54329) and on a private socket directory.
# Everything it prints on stdout is the URL; progress and errors go to stderr.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
base=${STOA_LOCAL_PG_DIR:-$here/.data}
port=${STOA_LOCAL_PG_PORT:-54329}
datadir=$base/pg
logfile=$base/pg.log
role=stoa
password=stoa
dbname=stoa
url="postgres://$role:$password@127.0.0.1:$port/$dbname?sslmode=disable"

say() { echo "localdb: $*" >&2; }
die() { echo "localdb: error: $*" >&2; exit 1; }

# The socket path must fit in sun_path (107 bytes), so a deep checkout gets a short path in /tmp.
sockdir=$base/sock
if [ ${#sockdir} -gt 90 ]; then
	sockdir=/tmp/stoa-pg-$(printf '%s' "$base" | sha256sum | cut -c1-12)
fi

find_bindir() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
	if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/postgres" ]; then echo "$d"; fi
}

# install_server installs Debian's postgresql package without letting it create or start its own
# cluster: createcluster.conf stops the "main" cluster from being made, and a policy-rc.d that
# answers 101 stops the service from being started by the package scripts.
install_server() {
	local sudo=""
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || die "PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin and not root: install Debian's 'postgresql' package, or set STOA_DATABASE_URL"
		sudo="sudo"
	fi
	say "PostgreSQL server binaries not found; installing Debian's postgresql package"
	$sudo mkdir -p /etc/postgresql-common
	echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.conf >/dev/null
	local policy=/usr/sbin/policy-rc.d added_policy=0
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
		$sudo chmod 755 "$policy"
		added_policy=1
	fi
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || die "apt-get update failed"
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2 ||
		die "apt-get install postgresql failed"
	if [ "$added_policy" = 1 ]; then $sudo rm -f "$policy"; fi
}

bindir=""
need_bindir() {
	bindir=$(find_bindir)
	if [ -z "$bindir" ]; then
		install_server
		bindir=$(find_bindir)
		[ -n "$bindir" ] || die "PostgreSQL was installed but no server binaries are in /usr/lib/postgresql/*/bin"
	fi
}

# as_db runs a command as the user that owns the cluster. initdb and postgres refuse to run as root,
# so as root we use the unprivileged 'postgres' system user (made by the Debian package; created here
# when missing); as anyone else we run as ourselves.
dbuser=""
pick_user() {
	if [ "$(id -u)" -eq 0 ]; then
		dbuser=postgres
		if ! id -u "$dbuser" >/dev/null 2>&1; then
			useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$dbuser" ||
				die "could not create the system user $dbuser"
		fi
	else
		dbuser=$(id -un)
	fi
}
as_db() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$dbuser" -- env LC_ALL=C.UTF-8 LANG=C.UTF-8 "$@"
	else
		env LC_ALL=C.UTF-8 LANG=C.UTF-8 "$@"
	fi
}

is_running() {
	[ -f "$datadir/PG_VERSION" ] || return 1
	as_db "$bindir/pg_ctl" -D "$datadir" status >/dev/null 2>&1
}

port_taken() {
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

prepare_dirs() {
	mkdir -p "$base"
	if [ "$(id -u)" -eq 0 ]; then
		# The database user must be able to reach the data directory through every parent.
		if ! runuser -u "$dbuser" -- test -x "$base"; then
			die "the '$dbuser' user cannot reach $base (a parent directory is not searchable, e.g. /root is 0700).
  Move the checkout somewhere it can reach (such as /srv or /tmp), set STOA_LOCAL_PG_DIR to a reachable
  directory, or set STOA_DATABASE_URL to use an existing PostgreSQL."
		fi
		mkdir -p "$datadir" "$sockdir"
		chown "$dbuser" "$datadir" "$sockdir"
		touch "$logfile" && chown "$dbuser" "$logfile"
	else
		mkdir -p "$datadir" "$sockdir"
	fi
	chmod 700 "$datadir" "$sockdir"
}

init_cluster() {
	say "creating a PostgreSQL cluster in $datadir"
	local pwfile
	pwfile=$(mktemp)
	echo "$password" >"$pwfile"
	chmod 644 "$pwfile"
	as_db "$bindir/initdb" -D "$datadir" --username="$role" --pwfile="$pwfile" \
		--encoding=UTF8 --locale=C.UTF-8 --auth-local=peer --auth-host=scram-sha-256 >"$base/initdb.log" 2>&1 ||
		{ rm -f "$pwfile"; cat "$base/initdb.log" >&2; die "initdb failed"; }
	rm -f "$pwfile"
	# Settings for a development and test cluster: enough connections for parallel test packages and
	# several Stoa instances in the federation tests; durability stays at PostgreSQL's defaults so
	# benchmarks measure what production would see (test databases turn synchronous_commit off
	# for themselves).
	cat >>"$datadir/postgresql.conf" <<-EOF
		# added by scripts/localdb.sh
		listen_addresses = '127.0.0.1'
		port = $port
		max_connections = 400
		shared_buffers = 256MB
		work_mem = 16MB
		maintenance_work_mem = 256MB
		max_wal_size = 4GB
		log_min_duration_statement = -1
		log_line_prefix = '%m [%p] %d '
	EOF
}

start_cluster() {
	if port_taken; then
		die "port $port on 127.0.0.1 is already in use by another program; stop it or set STOA_LOCAL_PG_PORT"
	fi
	say "starting PostgreSQL on 127.0.0.1:$port"
	as_db "$bindir/pg_ctl" -D "$datadir" -l "$logfile" -w -t 60 \
		-o "-p $port -k $sockdir -c listen_addresses=127.0.0.1" start >/dev/null ||
		{ tail -n 20 "$logfile" >&2; die "PostgreSQL did not start (log: $logfile)"; }
}

ensure_database() {
	local exists
	exists=$(PGPASSWORD=$password "$bindir/psql" -h 127.0.0.1 -p "$port" -U "$role" -d postgres -tAc \
		"SELECT 1 FROM pg_database WHERE datname = '$dbname'")
	if [ "$exists" != "1" ]; then
		PGPASSWORD=$password "$bindir/psql" -h 127.0.0.1 -p "$port" -U "$role" -d postgres -qc \
			"CREATE DATABASE $dbname" >/dev/null
	fi
}

cmd=${1:-start}
case "$cmd" in
url)
	echo "$url"
	;;
start)
	need_bindir
	pick_user
	if [ -f "$datadir/PG_VERSION" ] && is_running; then
		echo "$url"
		exit 0
	fi
	prepare_dirs
	[ -f "$datadir/PG_VERSION" ] || init_cluster
	# A crash can leave a stale postmaster.pid; pg_ctl start copes with it when the pid is gone.
	start_cluster
	ensure_database
	echo "$url"
	;;
stop)
	need_bindir
	pick_user
	if is_running; then
		as_db "$bindir/pg_ctl" -D "$datadir" -m fast -w stop >/dev/null
		say "stopped"
	else
		say "not running"
	fi
	;;
reset)
	need_bindir
	pick_user
	if is_running; then as_db "$bindir/pg_ctl" -D "$datadir" -m fast -w stop >/dev/null; fi
	rm -rf "$datadir" "$logfile" "$base/initdb.log"
	say "deleted $datadir"
	;;
status)
	need_bindir
	pick_user
	if is_running; then say "running on 127.0.0.1:$port"; else say "not running"; exit 3; fi
	;;
*)
	die "unknown command '$cmd' (start|url|stop|reset|status)"
	;;
esac
