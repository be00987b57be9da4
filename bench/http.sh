#!/bin/bash
# bench/http.sh: acore http-get against curl, same local nginx, same run.
#
#   bench/http.sh [ACORE] [ROUNDS]
#
# Three workloads, each run ROUNDS times (default 5) alternating the two
# clients; the median time of each is compared.  A ratio is curl's time
# over acore's: 1.0 or more means acore is at least as fast.
#   1 GiB        one 1 GiB download to /dev/null
#   1 GiB -o F   the same into a file (-o FILE, removed before each run):
#                the client's CPU time (user + sys), acore's over curl's,
#                so lower is better (target <= 0.70)
#   parallel     1000 small files, 100 in flight (curl --parallel)
#   sequential   the same 1000 one after another in one invocation
#                (both reuse one kept-alive connection)
#   30 on 1 host 30 files of 1 MiB from one host to /dev/null, each
#                client's defaults for parallel fetches (acore: at most 6
#                connections to the host, the rest queued on them; curl
#                --parallel: up to 50)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
ACORE=${1:-${ACORE:-$here/../acore}}
ROUNDS=${2:-5}
export ACORE_SRCDIR=${ACORE_SRCDIR:-$here/..}
# Logging every request would bench the disk; two workers use both cores.
export NGINX_ACCESS_LOG=off NGINX_WORKERS=${NGINX_WORKERS:-2}
# shellcheck source=../tests/http-helper.bash
. "$ACORE_SRCDIR/tests/http-helper.bash"

command -v curl >/dev/null || { echo "bench: curl not found" >&2; exit 1; }
[ -x "$ACORE" ] || { echo "bench: no acore at $ACORE" >&2; exit 1; }
# Time the program, not libtool's wrapper script around it.
bindir=$(cd "$(dirname "$ACORE")" && pwd)
if [ -x "$bindir/.libs/acore" ]; then
	export LD_LIBRARY_PATH=$bindir/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	ACORE=$bindir/.libs/acore
fi

tmp=$(mktemp -d)
trap 'nginx_stop; rm -rf "$tmp" "${NGINX_DIR:-}"' EXIT
nginx_start
head -c $((1024 * 1024 * 1024)) /dev/zero >"$NGINX_ROOT/1g.bin"
mkdir -p "$NGINX_ROOT/k"
for i in $(seq 1000); do
	printf 'small file %d\n' "$i" >"$NGINX_ROOT/k/$i.txt"
done
urls=()
for i in $(seq 1000); do
	urls+=("$NGINX_URL/k/$i.txt")
done
mkdir -p "$NGINX_ROOT/m"
murls=() aout=() cout=()
for i in $(seq 30); do
	head -c $((1024 * 1024)) /dev/urandom >"$NGINX_ROOT/m/$i.bin"
	murls+=("$NGINX_URL/m/$i.bin")
	aout+=(-o /dev/null)
	cout+=(-o /dev/null "$NGINX_URL/m/$i.bin")
done

# secs CMD...: run CMD once (output discarded), print the seconds taken.
secs() {
	local t0 t1
	t0=$(date +%s%N)
	timeout 300 "$@" >/dev/null
	t1=$(date +%s%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", (b - a) / 1e9 }'
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# bench NAME -- ACORE ARGS... -- CURL ARGS...
bench() {
	local name=$1 a=() c=() i at ct
	shift 2
	while [ "$1" != -- ]; do a+=("$1"); shift; done
	shift
	c=("$@")
	: >"$tmp/a"
	: >"$tmp/c"
	# one warm-up each, then alternate so drift hits both alike
	secs "${a[@]}" >/dev/null
	secs "${c[@]}" >/dev/null
	for i in $(seq "$ROUNDS"); do
		secs "${a[@]}" >>"$tmp/a"
		secs "${c[@]}" >>"$tmp/c"
	done
	at=$(median <"$tmp/a")
	ct=$(median <"$tmp/c")
	printf '%-13s acore %7.3f s   curl %7.3f s   ratio %5.2f\n' "$name" \
	    "$at" "$ct" "$(awk -v a="$at" -v c="$ct" 'BEGIN { print c / a }')"
}

# cpus NAME -- ACORE ARGS... -- CURL ARGS...: as bench, but the median
# client CPU time of each, both writing $tmp/out.
cpus() {
	local name=$1 a=() c=() i at ct who
	shift 2
	while [ "$1" != -- ]; do a+=("$1"); shift; done
	shift
	c=("$@")
	: >"$tmp/a"
	: >"$tmp/c"
	for i in $(seq 0 "$ROUNDS"); do
		for who in a c; do
			rm -f "$tmp/out"
			if [ "$who" = a ]; then set -- "${a[@]}"; else set -- "${c[@]}"; fi
			/usr/bin/time -f '%U %S' -o "$tmp/t" timeout 300 "$@" >/dev/null
			# round 0 warms up
			[ "$i" -eq 0 ] || awk '{ printf "%.2f\n", $1 + $2 }' "$tmp/t" >>"$tmp/$who"
		done
	done
	rm -f "$tmp/out"
	at=$(median <"$tmp/a")
	ct=$(median <"$tmp/c")
	printf '%-13s acore %7.2f s   curl %7.2f s   CPU ratio %5.2f (target <= 0.70)\n' \
	    "$name" "$at" "$ct" "$(awk -v a="$at" -v c="$ct" 'BEGIN { print a / c }')"
}

echo "bench: $("$ACORE" -V | head -1), $(curl -V | head -1 | cut -d' ' -f1-2), nginx $NGINX_WORKERS workers, median of $ROUNDS rounds"
bench "1 GiB" -- "$ACORE" http-get -o /dev/null "$NGINX_URL/1g.bin" \
    -- curl -s -o /dev/null "$NGINX_URL/1g.bin"
cpus "1 GiB -o F" -- "$ACORE" http-get -o "$tmp/out" "$NGINX_URL/1g.bin" \
    -- curl -s -o "$tmp/out" "$NGINX_URL/1g.bin"
bench parallel -- "$ACORE" http-get -Z 100 "${urls[@]}" \
    -- curl -s --no-progress-meter --parallel --parallel-max 100 "${urls[@]}"
bench sequential -- "$ACORE" http-get -Z 1 "${urls[@]}" \
    -- curl -s "${urls[@]}"
bench "30 on 1 host" -- "$ACORE" http-get "${aout[@]}" "${murls[@]}" \
    -- curl -s --no-progress-meter --parallel "${cout[@]}"
