#!/usr/bin/env bash
# bench/echo.sh: acore echo-server against three baselines built and run in
# the same go, so the ratios hold on whatever machine runs it.
#
#   epoll     bench/epoll-echo.c: hand-written epoll, the practical limit
#   bev       bench/bev-echo.c: libevent bufferevents, the textbook server
#   asyncore  bench/asyncore_echo.py: the Python library-docs server
#   acore     acore echo-server (the binary under test)
#   acore-w2  acore echo-server --workers 2 (not pinned: both workers may
#             use both cores, but the load generator needs one of the two,
#             so on a 2-core machine this shows the cost of the workers,
#             not their scaling; its CPU columns read "-", as the load
#             generator sees only the master's CPU time)
#
# Rows: bulk throughput with 1 and 100 connections, 64-byte ping-pong with
# 1, 100 and 1000 connections, and 10,000 idle connections held then
# verified (time to accept them all, server RSS per connection).  Then
# echo-client against socat as the client side: 100 MB (BENCH_CLIENT_MB)
# through acore echo-server, each client pinned to the load core.  The
# server runs pinned to one core and bench/loadgen.c to another; every
# server starts fresh for every row.  Every row also compares the server's
# CPU time per MiB or per round trip (from /proc/PID/stat): when the load
# generator uses a whole core, or the kernel's network stack is the limit
# (as under gVisor), rates measure those, and CPU per unit of work is what
# tells the servers apart.
#
# usage: bench/echo.sh [path/to/acore]     (default: ./acore, then $ACORE)
# Environment: BENCH_SECS (measured seconds per run, default 1.5),
# BENCH_REPS (runs per row and server, best kept, default 3),
# BENCH_IDLE (idle connections, default 10000), BENCH_ONLY (servers, e.g.
# "epoll acore"), BENCH_ROWS (some of: bulk1 bulk100 pp1 pp100 pp1000 idle).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
acore=${1:-${ACORE:-./acore}}
secs=${BENCH_SECS:-1.5}
reps=${BENCH_REPS:-3}
nidle=${BENCH_IDLE:-10000}
servers=${BENCH_ONLY:-epoll bev asyncore acore acore-w2}
python=${PYTHON:-python3.11}

work=$(mktemp -d "${TMPDIR:-/tmp}/acore-bench.XXXXXX")
spid=
cleanup() {
	if [ -n "$spid" ]; then
		kill "$spid" 2>/dev/null || true
		wait "$spid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Each side needs nidle descriptors plus change; root may raise the hard cap.
need=$((nidle + 1024))
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt "$need" ]; then
	ulimit -Hn "$need" 2>/dev/null ||
	    { echo "echo.sh: need ulimit -n $need (hard limit $(ulimit -Hn))" >&2; exit 1; }
fi
ulimit -n "$need"

ncpu=$(nproc)
if [ "$ncpu" -ge 2 ]; then
	pin_srv="taskset -c 0"
	pin_load="taskset -c 1"
else
	pin_srv=
	pin_load=
	echo "echo.sh: one CPU: server and load share it, ratios only" >&2
fi

cc=${CC:-cc}
cflags="-O2 -Wall -Wextra"
$cc $cflags -o "$work/epoll-echo" "$here/epoll-echo.c"
$cc $cflags -o "$work/loadgen" "$here/loadgen.c"
# shellcheck disable=SC2046
$cc $cflags -o "$work/bev-echo" "$here/bev-echo.c" $(pkg-config --cflags --libs libevent)

if ! "$acore" echo-server --help >/dev/null 2>&1; then
	echo "echo.sh: $acore has no working echo-server; skipping acore" >&2
	servers=${servers//acore-w2/}
	servers=${servers/acore/}
fi
if ! "$python" -c 'import asyncore' 2>/dev/null; then
	echo "echo.sh: $python has no asyncore; skipping asyncore" >&2
	servers=${servers/asyncore/}
fi

# start_server NAME: start it pinned, set spid and port.
start_server() {
	local pf=$work/port i
	rm -f "$pf"
	case $1 in
	epoll)	$pin_srv "$work/epoll-echo" "$pf" 4096 & ;;
	bev)	$pin_srv "$work/bev-echo" "$pf" 4096 & ;;
	asyncore) $pin_srv "$python" "$here/asyncore_echo.py" "$pf" 4096 >/dev/null & ;;
	acore)	$pin_srv "$acore" echo-server -b 127.0.0.1 -p 0 \
		    --port-file "$pf" >/dev/null & ;;
	acore-w2) "$acore" echo-server -b 127.0.0.1 -p 0 \
		    --workers 2 --port-file "$pf" >/dev/null & ;;
	esac
	spid=$!
	for i in $(seq 100); do
		if [ -s "$pf" ] && grep -q '^[0-9]*$' "$pf"; then
			port=$(cat "$pf")
			return 0
		fi
		sleep 0.05
	done
	echo "echo.sh: $1 server did not start" >&2
	exit 1
}

stop_server() {
	kill "$spid" 2>/dev/null || true
	wait "$spid" 2>/dev/null || true
	spid=
}

rows=(
	"bulk1|-m bulk -c 1"
	"bulk100|-m bulk -c 100"
	"pp1|-m pingpong -c 1"
	"pp100|-m pingpong -c 100"
	"pp1000|-m pingpong -c 1000"
	"idle|-m idle -c $nidle -k 1 -T ${BENCH_IDLE_LIMIT:-15}"
)

results=$work/results
: >"$results"
start=$(date +%s)
for row in "${rows[@]}"; do
	key=${row%%|*}
	args=${row#*|}
	case " ${BENCH_ROWS:-$key} " in *" $key "*) ;; *) continue ;; esac
	# Repeats take turns between the servers, so a burst of outside load
	# hits one run, not one server; the table keeps each one's best run.
	n=$reps
	[ "$key" != idle ] || n=1
	for rep in $(seq "$n"); do
	for s in $servers; do
		start_server "$s"
		# shellcheck disable=SC2086
		if line=$($pin_load "$work/loadgen" -p "$port" -P "$spid" \
		    -d "$secs" $args 2>"$work/err"); then :; else
			line="$line failed=1"
			sed 's/^/  /' "$work/err" >&2
		fi
		stop_server
		# The master's CPU is not the server's: no CPU figures.
		[ "$s" != acore-w2 ] || line=$(echo "$line" | sed 's/srv_us_per_[a-z]*=[^ ]*//g')
		echo "$s $key $line" >>"$results"
		echo "$s $key#$rep: $line" >&2
	done
	done
done

status=0
# The table: one column per server, a ratio against epoll under each row.
awk -v servers="$servers" -v elapsed=$(($(date +%s) - start)) '
function get(s, k, f) {
	return ((s, k, f) in best) ? best[s, k, f] : ""
}
# Keep the best of the repeats: highest rate, lowest cost.
function keep(s, k, f, v,    old) {
	if (!((s, k, f) in best)) {
		best[s, k, f] = v
		return
	}
	old = best[s, k, f]
	if (f == "mib_s" || f == "rt_s" || f == "lg_cpu") {
		if (v + 0 > old + 0)
			best[s, k, f] = v
	} else if (f ~ /^srv_us_per/) {
		if (v + 0 > 0 && (old + 0 == 0 || v + 0 < old + 0))
			best[s, k, f] = v
	}
}
function row(label, k, f, fmt, ratio_label, inverse,    i, s, v, b) {
	printf "%-30s", label
	for (i = 1; i <= ns; i++) {
		v = get(sv[i], k, f)
		# A ">" marks a limit that ran out (-T in the idle row).
		printf "%12s", v == "" ? "-" : v ~ /^>/ ? v : sprintf(fmt, v)
	}
	printf "\n"
	if (ratio_label == "")
		return
	b = get("epoll", k, f)
	printf "%-30s", "  " ratio_label
	for (i = 1; i <= ns; i++) {
		v = get(sv[i], k, f)
		if (v == "" || b == "" || b + 0 == 0 || v + 0 == 0)
			printf "%12s", "-"
		else
			printf "%12.2f", inverse ? b / v : v / b
	}
	printf "\n"
}
function lgbound(k,    i, c) {
	for (i = 1; i <= ns; i++)
		if ((c = get(sv[i], k, "lg_cpu")) != "" && c + 0 >= 0.9)
			return 1
	return 0
}
{
	for (i = 3; i <= NF; i++)
		if ((j = index($i, "=")) > 0)
			keep($1, $2, substr($i, 1, j - 1), substr($i, j + 1))
	if ($0 ~ /failed=1/ && !($1 in failed)) {
		failed[$1] = 1
		nfailed++
	}
}
END {
	ns = split(servers, sv, " ")
	printf "%-30s", ""
	for (i = 1; i <= ns; i++)
		printf "%12s", sv[i]
	printf "\n"
	row("bulk, 1 conn (MiB/s)", "bulk1", "mib_s", "%.0f", "x epoll", 0)
	row("  server CPU us/MiB", "bulk1", "srv_us_per_mib", "%.0f", "epoll/this", 1)
	row("bulk, 100 conns (MiB/s)", "bulk100", "mib_s", "%.0f", "x epoll", 0)
	row("  server CPU us/MiB", "bulk100", "srv_us_per_mib", "%.0f", "epoll/this", 1)
	split("pp1 pp100 pp1000", pk, " ")
	split("1 100 1000", pn, " ")
	for (j = 1; j <= 3; j++) {
		row("ping-pong, " pn[j] " conns (rt/s)", pk[j], "rt_s", "%.0f", "x epoll", 0)
		row("  server CPU us/rt" (lgbound(pk[j]) ? " [lg-bound]" : ""),
		    pk[j], "srv_us_per_rt", "%.2f", "epoll/this", 1)
	}
	row("idle: time to accept all (s)", "idle", "connect_s", "%.3f", "", 0)
	row("idle: server RSS B/conn", "idle", "rss_per_conn_b", "%.0f", "", 0)
	row("idle: still echoing", "idle", "verified", "%d", "", 0)
	printf "\nratios: x epoll = this/epoll (higher is better); epoll/this for CPU\n"
	printf "(lower CPU is better, so a ratio >= 0.91 means <= 1.1x the epoll CPU).\n"
	printf "[lg-bound]: the load generator used >= 90%% of its core, so compare CPU.\n"
	for (s in failed)
		printf "FAILED: %s (see messages above)\n", s
	printf "total %d s\n", elapsed
	exit nfailed > 0
}' "$results" || status=$?

# echo-client against socat as the client of one echo server: MB through
# and back, best of reps.  echo-client also checks every byte; socat only
# copies.  -t: socat would otherwise stop 0.5 s after its input ends.
client_bench() {
	local mb=${BENCH_CLIENT_MB:-100} best t0 t1 s r
	case " ${BENCH_ROWS:-client} " in *" client "*) ;; *) return 0 ;; esac
	start_server acore
	printf '\n%-30s%12s%12s\n' "client, ${mb} MB through" acore socat
	for s in acore socat; do
		best=
		for r in $(seq "$reps"); do
			t0=$(date +%s.%N)
			if [ "$s" = acore ]; then
				head -c "${mb}000000" /dev/zero | $pin_load "$acore" \
				    echo-client --chunk-size 64k -o /dev/null \
				    127.0.0.1 "$port"
			else
				head -c "${mb}000000" /dev/zero | $pin_load socat \
				    -b 65536 -t 30 - "TCP:127.0.0.1:$port" >/dev/null
			fi
			t1=$(date +%s.%N)
			best=$(awk -v b="$best" -v t0="$t0" -v t1="$t1" 'BEGIN {
			    t = t1 - t0; print (b == "" || t < b + 0) ? t : b }')
		done
		eval "best_$s=$best"
	done
	stop_server
	awk -v mb="$mb" -v a="$best_acore" -v s="$best_socat" 'BEGIN {
		printf "%-30s%12.0f%12.0f\n", "  MB/s (best of runs)", mb / a, mb / s
		printf "%-30s%12.2f\n", "  x socat", s / a
	}'
}
client_bench
exit "$status"
