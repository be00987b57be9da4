#!/usr/bin/env bats
# echo-server -u and echo-client -u: datagrams on loopback, against real
# nc -u and socat UDP peers and small misbehaving UDP peers
# (echo-peer.py udp ...).  Every wait is bounded; every process is stopped
# by pid in teardown.

bats_require_minimum_version 1.8.0
load helper
load echo-helper

@test "nc -u and socat UDP: as clients of echo-server -u" {
	srv -u -v
	# nc -u waits -w 1 for more after its input ends: that is its exit.
	run bash -c "printf 'hello from nc\n' | timeout 10 nc -u -w 1 127.0.0.1 $PORT"
	assert_success
	assert_output 'hello from nc'
	run bash -c "printf 'hello from socat\n' | timeout 10 socat -t 1 - UDP:127.0.0.1:$PORT"
	assert_success
	assert_output 'hello from socat'
	srv_stop
	[ "$SSTATUS" -eq 0 ]
	grep -qx "EchoServer: binding to ('127.0.0.1', $PORT)" "$TMP/srv.err"
	grep -q "^EchoServer: handle_read() ('127.0.0.1', [0-9]*) -> (14) \"hello from nc$" "$TMP/srv.err"
}

@test "echo-client -u against echo-server -u: datagrams of --chunk-size, checked" {
	srv -u
	run --separate-stderr acore echo-client -u -v -m 'hello, world' -o - \
	    127.0.0.1 "$PORT"
	assert_success
	assert_output 'hello, world'
	[ "$stderr" = "EchoClient: connecting to ('127.0.0.1', $PORT)
EchoClient: handle_connect()
EchoClient: handle_write() -> (12) \"hello, world\"
EchoClient: handle_read() -> (12) \"hello, world\"
EchoClient: RECEIVED COPY OF MESSAGE" ]
	# Text, so the -v log can be counted by line.
	head -c 300000 /dev/urandom | base64 -w 0 | head -c 300000 >"$TMP/rand"
	run --separate-stderr acore echo-client -u -v --chunk-size 1000 \
	    -f "$TMP/rand" -o "$TMP/back" 127.0.0.1 "$PORT"
	assert_success
	cmp "$TMP/rand" "$TMP/back"
	# 300 datagrams of 1000 bytes, each sent once and echoed once.
	[ "$(grep -c '^EchoClient: handle_write() -> (1000) ' <<<"$stderr")" -eq 300 ]
	[ "$(grep -c '^EchoClient: handle_read() -> (1000) ' <<<"$stderr")" -eq 300 ]
	grep -qx 'EchoClient: RECEIVED COPY OF MESSAGE' <<<"$stderr"
	# From a pipe: each datagram is what one read of the input gave.
	run bash -c "seq 100000 | timeout 30 '$ACORE' echo-client -u -o - 127.0.0.1 $PORT | tail -n 1"
	assert_success
	assert_output 100000
	# Nothing to send: nothing sent, a copy of nothing.
	run acore echo-client -u -m '' 127.0.0.1 "$PORT"
	assert_success
	srv_stop
	[ "$SSTATUS" -eq 0 ]
}

@test "echo-client -u against socat UDP-LISTEN PIPE and service names" {
	local port
	port=$(free_port)
	# No fork: socat would not stop a forked child when it is stopped.
	socat -T 5 "UDP-LISTEN:$port,bind=127.0.0.1,reuseaddr" PIPE 3>&- &
	PIDS+=("$!")
	wait_listen "$port" udp
	run acore echo-client -u -m 'to socat' -o - "127.0.0.1:$port"
	assert_success
	assert_output 'to socat'
	# echo is UDP port 7: nothing listens there, so the kernel refuses.
	if ! ss -lun | grep -q ':7 '; then
		run --separate-stderr acore echo-client -u -m x 127.0.0.1 echo
		assert_failure 5
		[ "$stderr" = "acore: echo-client: connect to 127.0.0.1 port 7: Connection refused" ]
	fi
}

@test "a lost datagram is sent again; a peer that never answers is a timeout" {
	# Exactly two sends: the peer must answer the second within -w even
	# on a loaded machine, so 1 s (0.2 s was a race).
	peer_srv drop udp
	run --separate-stderr acore echo-client -u -v -w 1 -m 'one' -o - \
	    127.0.0.1 "$PPORT"
	assert_success
	assert_output one
	[ "$(grep -c '^EchoClient: handle_write() -> (3) "one"$' <<<"$stderr")" -eq 2 ]
	grep -qx 'EchoClient: no echo in 1 s: sending again' <<<"$stderr"
	# nc -u -l takes datagrams and answers none.
	local port
	port=$(free_port)
	nc -u -l 127.0.0.1 "$port" >"$TMP/sink" 3>&- &
	PIDS+=("$!")
	wait_listen "$port" udp
	run --separate-stderr acore echo-client -u -w 0.2 --retries 2 -m 'lost' \
	    127.0.0.1 "$port"
	assert_failure 6
	[ "$stderr" = "acore: echo-client: no echo of datagram 1 (4 bytes) from 127.0.0.1 port $port after 3 tries of 0.2 s" ]
	[ "$(cat "$TMP/sink")" = lostlostlost ]
}

@test "duplicated echoes are ignored; a changed one is an error at its byte" {
	peer_srv dup udp
	run acore echo-client -u --chunk-size 4 -m 'abcdefghij' -o - \
	    127.0.0.1 "$PPORT"
	assert_success
	assert_output abcdefghij
	peer_srv garble udp
	run --separate-stderr acore echo-client -u --chunk-size 4 \
	    -m 'abcdefghij' 127.0.0.1 "$PPORT"
	assert_failure 1
	[ "$stderr" = "acore: echo-client: echo from 127.0.0.1 port $PPORT differs from the message at byte 4" ]
}

@test "-u usage errors: the problem, then the usage line" {
	run --separate-stderr acore echo-server -u --chat
	assert_failure 2
	[ "${stderr_lines[0]}" = "acore: echo-server: -u cannot be used with --chat, --once, -U, --with-client, --max-conns, -i or --backlog" ]
	run --separate-stderr acore echo-client -u --chat 127.0.0.1 7
	assert_failure 2
	[ "${stderr_lines[0]}" = "acore: echo-client: -u cannot be used with --chat, -U, --late-shutdown or -q" ]
	run --separate-stderr acore echo-client --retries 2 127.0.0.1 7
	assert_failure 2
	[ "${stderr_lines[0]}" = "acore: echo-client: --retries needs -u" ]
	[[ "${stderr_lines[1]}" == "usage: acore echo-client "* ]]
}

@test "echo-server -u: a port in use is exit 12, a -b that does not resolve exit 4" {
	srv -u
	run --separate-stderr acore echo-server -u -p "$PORT"
	assert_failure 12
	[ "$stderr" = "acore: echo-server: cannot listen on localhost port $PORT: Address already in use" ]
	run --separate-stderr acore echo-server -u -b "$UNRESOLVABLE" -p 0
	assert_failure 4
	[ "$stderr" = "acore: echo-server: cannot resolve $UNRESOLVABLE: Name or service not known" ]
	srv_stop
	[ "$SSTATUS" -eq 0 ]
}
