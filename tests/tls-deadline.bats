#!/usr/bin/env bats
# TLS handshakes under attack (issue 18.1, 18.2, 18.7): clients that stop
# in mid-handshake against echo-server --tls, servers that stall or drop
# the connection in mid-handshake against echo-client --tls and http-get.
# Under make check-valgrind every acore here runs under valgrind.

bats_require_minimum_version 1.8.0

load helper
load echo-helper
load tls-helper

setup_file() {
	tls_setup_file
}

# Limits short enough for a quick test.  Under valgrind a real client's
# handshake costs seconds of CPU, and a loaded machine multiplies that: a
# limit it cannot meet would close it too.  The stalled peers wait for up
# to 4 limits but return as soon as the server has closed them all.
if [ "${ACORE_VALGRIND:-0}" = 1 ]; then LIM=20; else LIM=1; fi

# echo_ok: a real TLS client gets its echo from the server on PORT.
echo_ok() {
	run --separate-stderr acore echo-client --tls --cacert "$PKI/ca.pem" \
	    --servername localhost -m hello -o "$TMP/back" 127.0.0.1 "$PORT"
	assert_success
	[ "$(cat "$TMP/back")" = hello ]
}

@test "stalled handshakes closed by -i leave the server serving (use-after-free)" {
	tls_srv -i "$LIM"
	run python3 "$PEER" stall "$PORT" 5 $((LIM * 4))
	assert_output "closed 5"
	echo_ok
	echo_ok
	echo_ok
	srv_stop
	[ "$SSTATUS" -eq 0 ]
}

@test "--handshake-timeout closes a client that stops in mid-handshake" {
	tls_srv --handshake-timeout "$LIM"
	run python3 "$PEER" stall "$PORT" 3 $((LIM * 4))
	assert_output "closed 3"
	echo_ok
	srv_stop
	[ "$SSTATUS" -eq 0 ]
	run acore echo-server --handshake-timeout 1 -p 0
	assert_failure 2
	assert_output --partial "--cert, --key and --handshake-timeout need --tls"
}

@test "SIGTERM with handshakes pending: the server ends at once, status 0" {
	tls_srv
	python3 "$PEER" stall "$PORT" 5 20 >/dev/null 3>&- &
	PIDS+=("$!")
	for _ in $(seq 100); do
		[ "$(ss -Htn state established "( sport = :$PORT )" | wc -l)" -ge 5 ] && break
		sleep 0.05
	done
	local t0=$SECONDS
	srv_stop
	[ "$SSTATUS" -eq 0 ]
	[ $((SECONDS - t0)) -le 3 ]
}

@test "at the descriptor limit, stalled handshakes give way to real clients" {
	# valgrind opens descriptors of its own under the same limit, at
	# times of its choosing, so the limit the server meets is not 128.
	[ "${ACORE_VALGRIND:-0}" = 0 ] || skip "the descriptor limit is valgrind's under valgrind"
	acore_argv
	rm -f "$TMP/port"
	bash -c 'ulimit -n 128 && exec "$@"' sh "${ACORE_ARGV[@]}" echo-server \
	    --tls --cert "$PKI/chain.pem" --key "$PKI/srv.key" -p 0 \
	    --port-file "$TMP/port" >"$TMP/srv.out" 2>"$TMP/srv.err" 3>&- &
	SPID=$!
	PIDS+=("$SPID")
	wait_for_file "$TMP/port" 20
	PORT=$(cat "$TMP/port")
	python3 "$PEER" stall "$PORT" 150 $((LIM * 90)) >"$TMP/stall" 3>&- &
	PIDS+=("$!")
	# All 150 connected (some already closed to make room), none left in
	# the accept queue: the real clients come last, so the oldest
	# unfinished handshakes are the stalled ones.
	for _ in $(seq 400); do
		[ "$(ss -Htn "( dport = :$PORT )" | wc -l)" -ge 150 ] &&
		    [ "$(ss -Hltn "( sport = :$PORT )" | awk '{ print $2 }')" = 0 ] && break
		sleep 0.05
	done
	echo_ok
	echo_ok
	echo_ok
	srv_stop
	[ "$SSTATUS" -eq 0 ]
}

@test "echo-client --tls: a server that never answers the ClientHello" {
	peer_srv silent
	run --separate-stderr acore echo-client --tls -k -w 0.5 -m x 127.0.0.1 "$PPORT"
	assert_failure 6
	[ "$stderr" = "acore: echo-client: connect to 127.0.0.1 port $PPORT: timed out after 0.5 s" ]
	# -i counts during the handshake too, with no -w.
	run --separate-stderr acore echo-client --tls -k -i 0.5 -m x 127.0.0.1 "$PPORT"
	assert_failure 6
	[ "$stderr" = "acore: echo-client: no data from 127.0.0.1 port $PPORT: timed out after 0.5 s" ]
}

@test "echo-client --tls: a server that stops after 6 bytes of ServerHello" {
	peer_srv hello6
	run --separate-stderr acore echo-client --tls -k -w 0.5 -m x 127.0.0.1 "$PPORT"
	assert_failure 6
	[ "$stderr" = "acore: echo-client: connect to 127.0.0.1 port $PPORT: timed out after 0.5 s" ]
}

@test "echo-client --tls: a server that drops the connection in the handshake: 13" {
	peer_srv drop
	run --separate-stderr acore echo-client --tls -k -m x 127.0.0.1 "$PPORT"
	assert_failure 13
	[ "$stderr" = "acore: echo-client: connect to 127.0.0.1 port $PPORT: TLS handshake failed: connection closed by peer" ]
}

@test "http-get https://: a stalled handshake meets --connect-timeout and -m" {
	peer_srv silent
	run --separate-stderr acore http-get -k --connect-timeout 0.5 "https://127.0.0.1:$PPORT/"
	assert_failure 6
	[ "$stderr" = "acore: http-get: https://127.0.0.1:$PPORT/: connect to 127.0.0.1 port $PPORT: timed out after 0.5 s" ]
	peer_srv hello6
	run --separate-stderr acore http-get -k -m 0.5 "https://127.0.0.1:$PPORT/"
	assert_failure 6
	[ "$stderr" = "acore: http-get: https://127.0.0.1:$PPORT/: timed out after 0.5 s (--max-time)" ]
}

@test "http-get https:// to a server that closes in the handshake: 13" {
	peer_srv drop
	run --separate-stderr acore http-get -k "https://127.0.0.1:$PPORT/"
	assert_failure 13
	[ "$stderr" = "acore: http-get: https://127.0.0.1:$PPORT/: connect to 127.0.0.1 port $PPORT: TLS handshake failed: connection closed by peer" ]
}
