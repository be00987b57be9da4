#!/bin/bash
# bench/https.sh: acore over TLS against curl, wget and socat, same run.
#
#   bench/https.sh [ACORE] [ROUNDS]
#
# 1 GiB over https   nginx (one worker, pinned to CPU 0) serves a 1 GiB
#                    file over TLS; acore http-get, curl and wget (pinned to
#                    CPU 1) download it to /dev/null in turn, ROUNDS times
#                    (default 5).  Medians of wall time and of the client's
#                    CPU time (user + sys).  Targets: acore's wall no worse
#                    than the faster of curl and wget, its CPU at most 0.8x
#                    the lower of theirs.
# TLS echo bulk      256 MiB through an echo server and back: acore
#                    echo-server --tls and socat OPENSSL-LISTEN EXEC:cat
#                    (client: acore echo-client --tls), and plain acore
#                    echo-server (client: acore echo-client); MiB/s of the
#                    round trip, the server pinned to CPU 0.
# idle TLS conns     bytes of server RSS per TLS connection held idle after
#                    its handshake (2000 connections; target <= 8 KiB).
# Other processes on the machine skew every number; compare within a run.
# BENCH_PARTS picks some of: download echo idle (default all three).
set -eu
parts=" ${BENCH_PARTS:-download echo idle} "

here=$(cd "$(dirname "$0")" && pwd)
ACORE=${1:-${ACORE:-$here/../acore}}
ROUNDS=${2:-5}
export ACORE_SRCDIR=${ACORE_SRCDIR:-$here/..}
export NGINX_ACCESS_LOG=off NGINX_WORKERS=1
# shellcheck source=../tests/http-helper.bash
. "$ACORE_SRCDIR/tests/http-helper.bash"
# shellcheck source=../tests/tls-helper.bash
. "$ACORE_SRCDIR/tests/tls-helper.bash"

for c in curl wget socat taskset python3 /usr/bin/time; do
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
spid=
cleanup() {
	[ -z "$spid" ] || { kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null; } || true
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
head -c $((1024 * 1024 * 1024)) /dev/zero >"$NGINX_ROOT/1g.bin"
url=$NGINX_TLS_URL/1g.bin

median() {
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# run NAME CMD...: once, pinned to the client CPU; appends "wall cpu" to
# $tmp/NAME.
run() {
	local name=$1
	shift
	/usr/bin/time -f '%e %U %S' -o "$tmp/t" taskset -c "$cli_cpu" "$@" \
	    >/dev/null 2>&1 || { echo "bench: $name failed" >&2; exit 1; }
	awk '{ printf "%s %.3f\n", $1, $2 + $3 }' "$tmp/t" >>"$tmp/$name"
}

# acore asks for AES-128-GCM first (libacore's default); curl and wget
# take OpenSSL's order, AES-256-GCM first.  acore-256 asks for that too,
# so the row compares the clients on the same cipher.
clients=(acore acore-256 curl wget)
cmd_acore=("$ACORE" http-get --cacert "$CA" -o /dev/null "$url")
cmd_acore_256=("$ACORE" http-get --ciphers 'ECDHE+AESGCM+AES256' \
    --cacert "$CA" -o /dev/null "$url")
cmd_curl=(curl -s --cacert "$CA" -o /dev/null "$url")
cmd_wget=(wget -q --ca-certificate="$CA" -O /dev/null "$url")

if [[ $parts == *" download "* ]]; then
echo "bench: $("$ACORE" -V), $(curl -V | head -1 | cut -d' ' -f1-2)," \
    "$(wget -V | head -1 | cut -d' ' -f1-3), median of $ROUNDS"
for c in "${clients[@]}"; do : >"$tmp/$c"; done
for i in $(seq 0 "$ROUNDS"); do
	for c in "${clients[@]}"; do
		eval "cmd=(\"\${cmd_${c//-/_}[@]}\")"
		run "$c" "${cmd[@]}"
		[ "$i" -gt 0 ] || : >"$tmp/$c"	# round 0 warms up
	done
done
printf '\n1 GiB over https      wall s   client CPU s (user+sys)\n'
for c in "${clients[@]}"; do
	w=$(awk '{ print $1 }' "$tmp/$c" | median)
	u=$(awk '{ print $2 }' "$tmp/$c" | median)
	printf '  %-9s %12s %14s\n' "$c" "$w" "$u"
	eval "w_${c//-/_}=$w u_${c//-/_}=$u"
done
awk -v aw="$w_acore" -v au="$u_acore" -v cw="$w_curl" -v cu="$u_curl" \
    -v ww="$w_wget" -v wu="$u_wget" -v a2="$u_acore_256" 'BEGIN {
	bw = cw < ww ? cw : ww; bu = cu < wu ? cu : wu
	printf "  wall vs faster of curl/wget: %.2fx (target <= 1.00)\n", aw / bw
	printf "  CPU vs lower of curl/wget:   %.2fx (target <= 0.80)\n", au / bu
	printf "  the same, acore on AES-256:  %.2fx\n", a2 / bu
}'
fi
nginx_stop

# ------------------------------------------------------------ echo bulk
head -c $((256 * 1024 * 1024)) /dev/urandom >"$tmp/256m"
PKI=$NGINX_TLS_DIR
free() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_port() {
	local i
	for i in $(seq 100); do
		ss -ltn | grep -q ":$1 " && return 0
		sleep 0.05
	done
	return 1
}
# bulk NAME CLIENT-ARGS... -- SERVER CMD...
bulk() {
	local name=$1 cargs=() port t best=
	shift
	while [ "$1" != -- ]; do cargs+=("$1"); shift; done
	shift
	port=$(free)
	eval "taskset -c $srv_cpu $* &"
	spid=$!
	wait_port "$port"
	for i in 1 2 3; do
		/usr/bin/time -f '%e' -o "$tmp/t" taskset -c "$cli_cpu" \
		    "$ACORE" echo-client --chunk-size 64k "${cargs[@]}" \
		    -f "$tmp/256m" -o /dev/null localhost "$port" ||
		    { echo "bench: $name failed" >&2; exit 1; }
		t=$(cat "$tmp/t")
		if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$t
		fi
	done
	kill "$spid"; wait "$spid" 2>/dev/null || true; spid=
	printf '  %-34s %8.0f MiB/s\n' "$name" "$(awk -v t="$best" 'BEGIN { print 256 / t }')"
}
if [[ $parts == *" echo "* ]]; then
printf '\nEcho bulk, 256 MiB round trip (best of 3)\n'
bulk "acore echo-server --tls" --tls --cacert "$PKI/ca.pem" -- \
    "$ACORE" echo-server --tls --cert "$PKI/chain.pem" --key "$PKI/srv.key" -p '$port' '>/dev/null'
bulk "socat OPENSSL-LISTEN EXEC:cat" --tls --cacert "$PKI/ca.pem" -- \
    socat "OPENSSL-LISTEN:\$port,bind=127.0.0.1,reuseaddr,fork,cert=$PKI/chain.pem,key=$PKI/srv.key,verify=0" EXEC:cat
bulk "acore echo-server (plain)" -- \
    "$ACORE" echo-server -p '$port' '>/dev/null'

fi

# ---------------------------------------------------------- idle memory
[[ $parts == *" idle "* ]] || exit 0
printf '\nIdle TLS connections\n'
ulimit -n 8192
port=$(free)
taskset -c "$srv_cpu" "$ACORE" echo-server --tls --cert "$PKI/chain.pem" \
    --key "$PKI/srv.key" -p "$port" --backlog 512 >/dev/null &
spid=$!
wait_port "$port"
python3 - "$port" 2000 "$PKI/ca.pem" "$spid" <<'PY'
import socket, ssl, sys
port, n, ca, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
def rss():
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) * 1024
ctx = ssl.create_default_context(cafile=ca)
conns, before = [], rss()
for i in range(n):
    t = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)),
                        server_hostname="localhost")
    t.sendall(b"x")
    assert t.recv(1) == b"x"
    conns.append(t)
per = (rss() - before) / n
print("  server RSS per idle TLS connection: %.0f bytes (%d held; "
      "target <= 8192)" % (per, n))
PY
