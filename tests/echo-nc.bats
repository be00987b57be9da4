#!/usr/bin/env bats
# echo-server and echo-client for nc hands: -l and -k, HOST:PORT and
# [V6]:PORT as one argument, service names for ports, -s for the source
# address.  Loopback only; every process is stopped by pid in teardown.

bats_require_minimum_version 1.8.0
load helper
load echo-helper

@test "echo-server -lk PORT and -l ADDRESS PORT, the nc -l way" {
	local port
	port=$(free_port)
	acore_argv
	"${ACORE_ARGV[@]}" echo-server -lk "$port" >"$TMP/out" 2>"$TMP/err" 3>&- &
	SPID=$!
	PIDS+=("$SPID")
	wait_listen "$port"
	run bash -c "printf 'nc fingers\n' | timeout 5 nc -N 127.0.0.1 $port"
	assert_output 'nc fingers'
	# -k: still listening for the next one.
	run bash -c "printf 'again\n' | timeout 5 nc -N 127.0.0.1 $port"
	assert_output 'again'
	srv_stop
	[ "$SSTATUS" -eq 0 ]
	port=$(free_port)
	"${ACORE_ARGV[@]}" echo-server -l 127.0.0.1 "$port" -v 2>"$TMP/err" 3>&- &
	SPID=$!
	PIDS+=("$SPID")
	wait_listen "$port"
	acore echo-client -m x 127.0.0.1 "$port"
	srv_stop
	grep -qx "EchoServer: binding to ('127.0.0.1', $port)" "$TMP/err"
}

@test "HOST:PORT and [V6]:PORT as one argument, both sides" {
	local port
	port=$(free_port)
	acore_argv
	"${ACORE_ARGV[@]}" echo-server "127.0.0.1:$port" 3>&- &
	SPID=$!
	PIDS+=("$SPID")
	wait_listen "$port"
	run acore echo-client -m colon -o - "127.0.0.1:$port"
	assert_success
	assert_output colon
	srv_stop
	python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' ||
	    skip "no IPv6 loopback"
	port=$(free_port)
	"${ACORE_ARGV[@]}" echo-server -v "[::1]:$port" 2>"$TMP/err" 3>&- &
	SPID=$!
	PIDS+=("$SPID")
	wait_listen "$port"
	run acore echo-client -m brackets -o - "[::1]:$port"
	assert_success
	assert_output brackets
	srv_stop
	grep -qx "EchoServer: binding to ('::1', $port, 0, 0)" "$TMP/err"
}

@test "service names for ports: http-alt is 8080, http is 80" {
	lock_port 8080
	if ss -ltn | grep -q ':8080 '; then
		skip "port 8080 is in use here"
	fi
	acore_argv
	"${ACORE_ARGV[@]}" echo-server -p http-alt -v 2>"$TMP/err" 3>&- &
	SPID=$!
	PIDS+=("$SPID")
	wait_listen 8080
	run acore echo-client -m alt -o - localhost http-alt
	assert_success
	assert_output alt
	srv_stop
	grep -qx "EchoServer: binding to ('127.0.0.1', 8080)" "$TMP/err"
	if ! ss -ltn | grep -q ':80 '; then
		run --separate-stderr acore echo-client -m x 127.0.0.1 http
		assert_failure 5
		[ "$stderr" = "acore: echo-client: connect to 127.0.0.1 port 80: Connection refused" ]
	fi
}

@test "-s: echo-client connects from the source address given" {
	srv -v
	acore echo-client -s 127.0.0.2 -m from 127.0.0.1 "$PORT"
	srv_stop
	grep -q "^EchoServer: handle_accept() -> ('127.0.0.2', [0-9]*)$" "$TMP/srv.err"
	# A source of the other family: no address of the host can be used.
	run --separate-stderr acore echo-client -s ::1 -m x 127.0.0.1 "$PORT"
	assert_failure 1
	[ "$stderr" = "acore: echo-client: connect to 127.0.0.1 port $PORT: Address family not supported by protocol" ]
	run --separate-stderr acore echo-client -s "$UNRESOLVABLE" -m x 127.0.0.1 "$PORT"
	assert_failure 4
	[ "$stderr" = "acore: echo-client: cannot resolve source address $UNRESOLVABLE: Name or service not known" ]
}
