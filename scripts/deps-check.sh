#!/usr/bin/env bash
# deps-check.sh: enforce the one-way import rule of docs/ARCHITECTURE (README "Architecture"):
#   cmd -> web, inbox, outbox, federation, migrations -> forum
# over each package's transitive, non-test dependencies, so a rule cannot be dodged through a helper.
# "go-fed only in federation" is about imports: inbox and outbox use federation (which wraps go-fed)
# and so depend on go-fed through it, but may not import it themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
mod=$(go list -m)
fail=0
while read -r pkg imports deps; do
	rel=${pkg#"$mod"}
	rel=${rel#/}
	forbid=()
	case "$rel" in
	forum | forum/*)
		# The domain: standard library (but not HTTP), pgx, golang.org/x and internal/gencache (a
		# standard-library-only helper, checked below) only.
		for d in $deps; do
			case "$d" in
			net/http | net/http/*) forbid+=("$d") ;;
			vendor/*) ;; # the standard library's own vendored packages
			"$mod/internal/gencache") ;;
			*.*/*) case "$d" in github.com/jackc/* | golang.org/x/*) ;; *) forbid+=("$d") ;; esac ;;
			esac
		done
		;;
	internal/gencache)
		# Shared by the domain and the web: the standard library only.
		for d in $deps; do
			case "$d" in
			vendor/*) ;;
			*.*/*) forbid+=("$d") ;;
			esac
		done
		;;
	web | web/*) forbid=($(printf '%s\n' $deps | grep -E "^$mod/(federation|inbox|outbox|migrations|cmd)(/|$)|^github.com/go-fed/|^github.com/riverqueue/" || true)) ;;
	inbox | inbox/*) forbid=($(printf '%s\n' $deps | grep -E "^$mod/(outbox|web|cmd)(/|$)" || true) $(printf '%s\n' ${imports//,/ } | grep -E "^github.com/go-fed/" || true)) ;;
	outbox | outbox/*) forbid=($(printf '%s\n' $deps | grep -E "^$mod/(inbox|web|cmd)(/|$)" || true) $(printf '%s\n' ${imports//,/ } | grep -E "^github.com/go-fed/" || true)) ;;
	federation | federation/*) forbid=($(printf '%s\n' $deps | grep -E "^$mod/(inbox|outbox|web|cmd)(/|$)" || true)) ;;
	migrations | migrations/*) forbid=($(printf '%s\n' $deps | grep -E "^$mod/" || true)) ;;
	internal/*) forbid=($(printf '%s\n' $deps | grep -E "^$mod/(web|inbox|outbox|cmd)(/|$)" || true)) ;;
	esac
	if [ ${#forbid[@]} -gt 0 ]; then
		echo "deps-check: $rel must not depend on: ${forbid[*]}" >&2
		fail=1
	fi
done < <(go list -f '{{.ImportPath}} ,{{join .Imports ","}} {{join .Deps " "}}' ./...)
if [ "$fail" -ne 0 ]; then exit 1; fi
echo "deps-check: import direction OK"
