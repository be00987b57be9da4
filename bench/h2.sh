#!/bin/bash
# bench/h2.sh: acore http-get over HTTP/2 against curl --http2, same run.
#
#   bench/h2.sh [ACORE] [ROUNDS]
#
# nginx (one worker, pinned to CPU 0) serves https with http2; every client
# is pinned to CPU 1 and the cases are interleaved, ROUNDS times (default
# 3, after a warm-up round).  Medians of wall time, of the client's CPU
# time (user + sys) and of its peak RSS.
#
# 1 GiB over h2        one file to /dev/null.  Target: acore's wall <= curl
#                      --http2's, its CPU <= 0.9x curl's.
# 50 x 20 MiB -Z       50 URLs multiplexed on one connection, each to
#                      /dev/null.  Target: wall <= curl --http2 -Z's.
# 10,000 x 10 KiB      10,000 URLs, bodies to /dev/null (acore and curl
#                      with --parallel-max 100).  Requests per second;
#                      target >= curl's.  h2load -n 10000 -c 1 -m 100 is
#                      the ceiling (no output at all).
# Other processes on the machine skew every number; compare within a run.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
ACORE=${1:-${ACORE:-$here/../acore}}
ROUNDS=${2:-3}
export ACORE_SRCDIR=${ACORE_SRCDIR:-$here/..}
export NGINX_ACCESS_LOG=off NGINX_WORKERS=1 NGINX_H2=1 NGINX_BIG=0
# shellcheck source=../tests/http-helper.bash
. "$ACORE_SRCDIR/tests/http-helper.bash"
# shellcheck source=../tests/tls-helper.bash
. "$ACORE_SRCDIR/tests/tls-helper.bash"

for c in curl h2load taskset python3 /usr/bin/time; do
	command -v "$c" >/dev/null || { echo "bench: $c not found" >&2; exit 1; }
done
[ -x "$ACORE" ] || { echo "bench: no acore at $ACORE" >&2; exit 1; }
bindir=$(cd "$(dirname "$ACORE")" && pwd)
if [ -x "$bindir/.libs/acore" ]; then
	export LD_LIBRARY_PATH=$bindir/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	ACORE=$bindir/.libs/acore
fi
srv_cpu=0 cli_cpu=1
[ "$(nproc)" -ge 2 ] || cli_cpu=0

tmp=$(mktemp -d)
cleanup() {
	nginx_stop
	rm -rf "$tmp" "${NGINX_DIR:-}"
}
trap cleanup EXIT
export NGINX_TLS_DIR=$tmp/pki
tls_pki "$NGINX_TLS_DIR"
CA=$NGINX_TLS_DIR/ca.pem
nginx_start
for p in $(cat "$NGINX_DIR/nginx.pid") $(pgrep -P "$(cat "$NGINX_DIR/nginx.pid")"); do
	taskset -pc "$srv_cpu" "$p" >/dev/null
done
root=$NGINX_ROOT
head -c $((1024 * 1024 * 1024)) /dev/zero >"$root/1g.bin"
head -c $((20 * 1024 * 1024)) /dev/urandom >"$root/20m.bin"
mkdir -p "$root/m" "$root/k"
head -c 10240 /dev/urandom >"$root/10k.bin"
for i in $(seq -w 1 50); do ln "$root/20m.bin" "$root/m/$i.bin"; done
for i in $(seq -w 1 10000); do ln "$root/10k.bin" "$root/k/$i.bin"; done
base=$NGINX_TLS_URL

big=("$base/1g.bin")
multi=() multi_o=() small=()
for i in $(seq -w 1 50); do
	multi+=("$base/m/$i.bin")
	multi_o+=(-o /dev/null "$base/m/$i.bin")
done
for i in $(seq -w 1 10000); do small+=("$base/k/$i.bin"); done

median() {
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# run NAME CMD...: once, pinned; appends "wall cpu rss_kib" to $tmp/NAME.
run() {
	local name=$1
	shift
	/usr/bin/time -f '%e %U %S %M' -o "$tmp/t" taskset -c "$cli_cpu" "$@" \
	    >/dev/null 2>"$tmp/err" || { echo "bench: $name failed:" >&2;
	    cat "$tmp/err" >&2; exit 1; }
	awk '{ printf "%s %.3f %s\n", $1, $2 + $3, $4 }' "$tmp/t" >>"$tmp/$name"
}

cmd_big_acore=("$ACORE" http-get --cacert "$CA" -o /dev/null "${big[@]}")
cmd_big_curl=(curl -s --http2 --cacert "$CA" -o /dev/null "${big[@]}")
cmd_multi_acore=("$ACORE" http-get --cacert "$CA" "${multi_o[@]}")
cmd_multi_curl=(curl -s --http2 -Z --cacert "$CA" "${multi_o[@]}")
cmd_small_acore=("$ACORE" http-get --cacert "$CA" --parallel-max 100 "${small[@]}")
cmd_small_curl=(curl -s --http2 -Z --parallel-max 100 --cacert "$CA" "${small[@]}")
cmd_small_h2load=(h2load -n 10000 -c 1 -m 100 "$base/k/00001.bin")
cases=(big_acore big_curl multi_acore multi_curl small_acore small_curl small_h2load)

echo "bench: $("$ACORE" -V), $(curl -V | head -1 | cut -d' ' -f1-2)," \
    "$(h2load --version | head -1), median of $ROUNDS"
for c in "${cases[@]}"; do : >"$tmp/$c"; done
for i in $(seq 0 "$ROUNDS"); do
	for c in "${cases[@]}"; do
		eval "cmd=(\"\${cmd_$c[@]}\")"
		run "$c" "${cmd[@]}"
		[ "$i" -gt 0 ] || : >"$tmp/$c"	# round 0 warms up
	done
done

stat() {	# stat CASE FIELD
	awk -v f="$2" '{ print $f }' "$tmp/$1" | median
}
printf '\n%-22s %-7s %9s %9s %10s %9s\n' case client "wall s" "CPU s" "peak RSS" "req/s"
for c in "${cases[@]}"; do
	w=$(stat "$c" 1) u=$(stat "$c" 2) r=$(stat "$c" 3)
	n=1
	case $c in
	big_*) label="1 GiB over h2" ;;
	multi_*) label="50 x 20 MiB -Z"; n=50 ;;
	small_*) label="10,000 x 10 KiB"; n=10000 ;;
	esac
	printf '%-22s %-7s %9s %9s %7s KiB %9.0f\n' "$label" "${c#*_}" "$w" "$u" "$r" \
	    "$(awk -v n="$n" -v w="$w" 'BEGIN { print (w > 0 ? n / w : 0) }')"
	eval "w_$c=$w u_$c=$u"
done
awk -v bw="$w_big_acore" -v bc="$w_big_curl" -v bu="$u_big_acore" \
    -v cu="$u_big_curl" -v mw="$w_multi_acore" -v mc="$w_multi_curl" \
    -v sw="$w_small_acore" -v sc="$w_small_curl" 'BEGIN {
	printf "\n1 GiB: wall %.2fx curl (target <= 1.00), CPU %.2fx (target <= 0.90)\n", bw / bc, bu / cu
	printf "50 x 20 MiB: wall %.2fx curl -Z (target <= 1.00)\n", mw / mc
	printf "10,000 x 10 KiB: req/s %.2fx curl (target >= 1.00)\n", sc / sw
}'
