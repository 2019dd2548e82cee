#!/usr/bin/env bash
# Fetches Pacemaker's scheduler regression cases (cts/scheduler: xml/*.xml
# inputs, summary/*.summary expected crm_simulate output, exp/*.exp expected
# transition graphs, scores/*.scores expected allocation scores) from the
# Debian source package, for crm/pe's agreement tests (HBD_PCMK_CASES).
#
# Usage: scripts/pacemaker-cases.sh [CACHE_DIR]
#   CACHE_DIR defaults to ${XDG_CACHE_HOME:-$HOME/.cache}/hbd/pacemaker-cases.
# Prints the directory holding xml/, summary/, exp/ and scores/ on its last line.
#
# Idempotent: a cache that already holds the cases is reused without touching
# the network. Otherwise it needs apt (a deb-src entry is written for the
# configured Debian suite when none exists, which needs root) and the Debian
# archive. Debian 12 (bookworm) ships Pacemaker 2.1.5, the version the
# summaries must come from; another version is fetched but warned about.
set -euo pipefail

cache=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/hbd/pacemaker-cases}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
out="$cache/scheduler"

have_cases() {
	[ -d "$out/xml" ] && [ -d "$out/summary" ] && [ -d "$out/exp" ] && [ -d "$out/scores" ] &&
		[ -n "$(ls "$out/xml" 2>/dev/null | head -1)" ] &&
		[ -n "$(ls "$out/summary" 2>/dev/null | head -1)" ]
}

if have_cases; then
	echo "pacemaker-cases: cached ($(cat "$out/VERSION" 2>/dev/null || echo unknown version))" >&2
	echo "$out"
	exit 0
fi

dl="$cache/download"
mkdir -p "$dl"

if ! ls "$dl"/pacemaker_*.orig.tar.* >/dev/null 2>&1; then
	# apt-get source needs a deb-src entry; Debian's images ship only deb.
	if ! grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		if [ "$(id -u)" != 0 ]; then
			echo "pacemaker-cases: no deb-src entry in /etc/apt and not root to add one" >&2
			exit 1
		fi
		. /etc/os-release
		suite=${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}
		cat >/etc/apt/sources.list.d/hbd-deb-src.sources <<EOF
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
		echo "pacemaker-cases: wrote /etc/apt/sources.list.d/hbd-deb-src.sources ($suite)" >&2
		apt-get update -qq >&2
	fi
	# As root, apt drops to _apt, which cannot write an arbitrary cache
	# directory; the warning about that is harmless (the download is
	# verified against the signed Sources index either way).
	(cd "$dl" && apt-get source --download-only pacemaker >&2)
fi

tarball=$(ls "$dl"/pacemaker_*.orig.tar.* | head -1)
version=$(basename "$tarball" | sed -E 's/^pacemaker_([^.]+\.[^.]+\.[^.]+)\.orig.*/\1/')
case "$version" in
2.1.5) ;;
*) echo "pacemaker-cases: warning: Pacemaker $version, not 2.1.5 (summaries may differ)" >&2 ;;
esac

tmp=$(mktemp -d "$cache/extract.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
tar -xf "$tarball" -C "$tmp" --wildcards '*/cts/scheduler/xml/*' '*/cts/scheduler/summary/*' \
	'*/cts/scheduler/exp/*' '*/cts/scheduler/scores/*'
src=$(ls -d "$tmp"/*/cts/scheduler | head -1)
rm -rf "$out"
mkdir -p "$out"
mv "$src/xml" "$src/summary" "$src/exp" "$src/scores" "$out/"
echo "$version" >"$out/VERSION"
echo "pacemaker-cases: $(ls "$out/xml" | wc -l) inputs, $(ls "$out/summary" | wc -l) summaries (Pacemaker $version)" >&2
echo "$out"
