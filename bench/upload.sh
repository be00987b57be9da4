#!/bin/bash
# bench/upload.sh: acore http-get -T against curl -T, same local nginx
# (its DAV module), same run.
#
#   bench/upload.sh [ACORE] [ROUNDS] [MIB]
#
# One upload of MIB MiB (default 1024) from a file to nginx's /dav/,
# ROUNDS times (default 5) alternating the two clients.  For each client:
# the median wall time, client CPU (user + system) and peak RSS, from
# GNU time's wait4() figures.  Ratios are acore's over curl's: 1.0 or
# less means acore used no more.  Targets: wall and CPU at most curl's,
# peak RSS at most 8 MiB whatever the size.  Both clients send
# Expect: 100-continue and nginx answers it at once, so neither waits.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
ACORE=${1:-${ACORE:-$here/../acore}}
ROUNDS=${2:-5}
MIB=${3:-1024}
export ACORE_SRCDIR=${ACORE_SRCDIR:-$here/..}
export NGINX_ACCESS_LOG=off NGINX_WORKERS=${NGINX_WORKERS:-1} NGINX_BIG=0
# shellcheck source=../tests/http-helper.bash
. "$ACORE_SRCDIR/tests/http-helper.bash"

command -v curl >/dev/null || { echo "bench: curl not found" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: GNU time (/usr/bin/time) not found" >&2; exit 1; }
[ -x "$ACORE" ] || { echo "bench: no acore at $ACORE" >&2; exit 1; }
# Measure the program, not libtool's wrapper script around it.
bindir=$(cd "$(dirname "$ACORE")" && pwd)
if [ -x "$bindir/.libs/acore" ]; then
	export LD_LIBRARY_PATH=$bindir/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	ACORE=$bindir/.libs/acore
fi

tmp=$(mktemp -d)
trap 'nginx_stop; rm -rf "$tmp" "${NGINX_DIR:-}"' EXIT
nginx_start
# random bytes, so nothing on the way can shortcut zeros
head -c $((MIB * 1024 * 1024)) /dev/urandom >"$tmp/up.bin"

# run NAME CMD...: one upload; appends "wall cpu rss_kib" to $tmp/NAME
# and checks the server got every byte.
run() {
	local name=$1 t0 t1 stat
	shift
	rm -f "$NGINX_ROOT/dav/up.bin"
	t0=$(date +%s%N)
	/usr/bin/time -f '%U %S %M' -o "$tmp/time" timeout 600 "$@" >/dev/null
	t1=$(date +%s%N)
	stat=$(stat -c %s "$NGINX_ROOT/dav/up.bin")
	[ "$stat" = $((MIB * 1024 * 1024)) ] || {
		echo "bench: $name uploaded $stat bytes" >&2; exit 1; }
	awk -v a="$t0" -v b="$t1" '{ printf "%.4f %.3f %d\n", (b - a) / 1e9, $1 + $2, $3 }' \
	    "$tmp/time" >>"$tmp/$name"
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

col() {
	awk -v c="$2" '{ print $c }' "$tmp/$1" | median
}

echo "bench: $("$ACORE" -V | head -1), $(curl -V | head -1 | cut -d' ' -f1-2), -T of $MIB MiB to nginx DAV, median of $ROUNDS rounds"
: >"$tmp/acore"
: >"$tmp/curl"
a=("$ACORE" http-get -s -T "$tmp/up.bin" "$NGINX_URL/dav/up.bin")
c=(curl -s -T "$tmp/up.bin" "$NGINX_URL/dav/up.bin")
# a warm-up each (the file into the page cache), then alternate
run warm "${a[@]}"
run warm "${c[@]}"
for i in $(seq "$ROUNDS"); do
	run acore "${a[@]}"
	run curl "${c[@]}"
done
for k in 1 2 3; do
	av[k]=$(col acore "$k")
	cv[k]=$(col curl "$k")
done
ratio() {
	awk -v a="$1" -v c="$2" 'BEGIN { printf "%.2f", (c > 0 ? a / c : 0) }'
}
printf '%-10s %10s %10s %12s\n' "" "wall s" "cpu s" "peak RSS KiB"
printf '%-10s %10.3f %10.3f %12d\n' acore "${av[1]}" "${av[2]}" "${av[3]}"
printf '%-10s %10.3f %10.3f %12d\n' curl "${cv[1]}" "${cv[2]}" "${cv[3]}"
printf '%-10s %10s %10s %12s\n' acore/curl "$(ratio "${av[1]}" "${cv[1]}")" \
    "$(ratio "${av[2]}" "${cv[2]}")" "$(ratio "${av[3]}" "${cv[3]}")"
awk -v w="$(ratio "${av[1]}" "${cv[1]}")" -v c="$(ratio "${av[2]}" "${cv[2]}")" \
    -v r="${av[3]}" 'BEGIN {
	printf "targets: wall <= curl %s, cpu <= curl %s, rss <= 8 MiB %s\n",
	    w <= 1 ? "met" : "MISSED", c <= 1 ? "met" : "MISSED",
	    r <= 8192 ? "met" : "MISSED" }'
