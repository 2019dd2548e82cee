#!/usr/bin/env bash
# Runs every Fuzz* target of the module for $FUZZTIME each (go test -fuzz
# takes one target of one package at a time).
set -euo pipefail
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-10s}
cd "$(dirname "$0")/.."
count=0
for pkg in $($GO list ./...); do
	for target in $($GO test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		echo "fuzz-smoke: $pkg $target ($FUZZTIME)"
		$GO test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg" >/tmp/fuzz-smoke.$$ 2>&1 || {
			cat /tmp/fuzz-smoke.$$; rm -f /tmp/fuzz-smoke.$$
			echo "fuzz-smoke: $target FAILED; the failing input is under the package's testdata/fuzz/$target"
			exit 1
		}
		count=$((count + 1))
	done
done
rm -f /tmp/fuzz-smoke.$$
echo "fuzz-smoke: $count targets passed"
