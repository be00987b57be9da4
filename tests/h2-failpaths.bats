#!/usr/bin/env bats
# The failure-path matrix on the real binary, for HTTP/2 streams: two
# streams open on one connection (tests/h2-peer.py sent each a head and
# part of its body) against each way out: the --max-time deadline,
# SIGTERM (the loop stopped from a signal), the peer ending the connection
# (FIN) or resetting it, and an output that fails while the other stream
# goes on.  Every case ends with the loop freed at exit.  make
# check-valgrind runs the acore binary through it (status 99 on any
# valgrind report), as .ci/run's valgrind step does.

bats_require_minimum_version 1.8.0

load helper

H2PEER=$ACORE_SRCDIR/tests/h2-peer.py

setup() {
	setup_tmp
	PIDS=()
	OUT=$TMP/out
	mkdir "$OUT"
}

teardown() {
	bg_stop "${PIDS[@]}"
}

# h2peer MODE: tests/h2-peer.py on a free port; sets URL (no path).
h2peer() {
	bg_start pid python3 "$H2PEER" "$TMP/port" "$TMP/peer.log" "$1" \
	    </dev/null >/dev/null 2>"$TMP/peer.err"
	PIDS+=("$pid")
	wait_for_file "$TMP/port"
	URL=http://127.0.0.1:$(cat "$TMP/port")
}

# Two streams, each into its own file.
two_streams() {
	GET=(acore http-get --http2-prior-knowledge -o "$OUT/a" -o "$OUT/b"
	    "$URL/a" "$URL/b")
}

# No output file for a failed fetch, nor a temporary one left behind.
no_files() {
	run -0 ls -A "$OUT"
	[ "$output" = "" ]
}

@test "h2 streams mid-body, --max-time: exit 6, a line per stream, no files" {
	h2peer stall
	two_streams
	# Long enough for both streams to be under way, under valgrind too.
	local secs=2
	[ "${ACORE_VALGRIND:-0}" = 0 ] || secs=6
	run -6 --separate-stderr "${GET[@]}" -m "$secs"
	[ "$stderr" = "acore: http-get: $URL/a: timed out after $secs s (--max-time)
acore: http-get: $URL/b: timed out after $secs s (--max-time)" ]
	[ "$output" = "" ]
	[ "$(grep -c stream "$TMP/peer.log")" = 2 ]
	no_files
}

@test "h2 streams mid-body, SIGTERM: exit 1, 'interrupted' per stream, no files" {
	h2peer stall
	two_streams
	local pid st=0
	bg_start pid "$ACORE" http-get --http2-prior-knowledge -o "$OUT/a" \
	    -o "$OUT/b" "$URL/a" "$URL/b" 2>"$TMP/err"
	PIDS+=("$pid")
	# Both streams under way: the peer logged them.
	for _ in $(seq 100); do
		[ "$(grep -c stream "$TMP/peer.log" 2>/dev/null)" = 2 ] && break
		sleep 0.05
	done
	sleep 0.2
	kill -TERM "$pid"
	wait "$pid" || st=$?
	[ "$st" = 1 ]
	[ "$(cat "$TMP/err")" = "acore: http-get: $URL/a: interrupted
acore: http-get: $URL/b: interrupted" ]
	no_files
}

@test "h2 streams mid-body, the peer ends the connection: exit 7, each stream named" {
	h2peer cut
	two_streams
	run -7 --separate-stderr "${GET[@]}"
	local hp=${URL#http://}
	[ "$stderr" = "acore: http-get: $URL/a: ${hp%:*} port ${hp##*:} closed the connection before stream 1 ended
acore: http-get: $URL/b: ${hp%:*} port ${hp##*:} closed the connection before stream 3 ended" ]
	no_files
}

@test "h2 streams mid-body, the peer resets the connection: exit 7, said as for HTTP/1.1" {
	h2peer reset
	two_streams
	run -7 --separate-stderr "${GET[@]}"
	local hp=${URL#http://}
	[ "$stderr" = "acore: http-get: $URL/a: connection reset by ${hp%:*} port ${hp##*:}
acore: http-get: $URL/b: connection reset by ${hp%:*} port ${hp##*:}" ]
	no_files
}

@test "h2: one stream's output fails (exit 10); the other stream on the connection completes" {
	h2peer goaway
	run -10 --separate-stderr acore http-get --http2-prior-knowledge \
	    -o /dev/full -o "$OUT/b" "$URL/a" "$URL/b"
	[ "$stderr" = "acore: http-get: $URL/a: /dev/full: No space left on device" ]
	[ "$(cat "$OUT/b")" = "conn 1 stream 3" ]
}
