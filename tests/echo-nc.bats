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

# hosts_argv HOSTS: sets HOSTS_ARGV to a command prefix that runs a command
# with HOSTS as /etc/hosts and names looked up there only, in a mount
# namespace of its own (the machine's files are never touched).  Each
# step execs the next, so a background pid is the command's own.
hosts_argv() {
	printf 'hosts: files\n' >"$TMP/nsswitch.conf"
	HOSTS_ARGV=(unshare -m sh -c 'mount --bind "$0" /etc/hosts &&
	    mount --bind "$1" /etc/nsswitch.conf && shift && exec "$@"'
	    "$1" "$TMP/nsswitch.conf")
}

need_hosts_ns() {
	hosts_argv "$1"
	"${HOSTS_ARGV[@]}" true 2>/dev/null || skip "no mount namespace here (needs root)"
	python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' ||
	    skip "no IPv6 loopback"
}

@test "a name with an IPv4 and an IPv6 address: echo-server listens on both" {
	# ::1 listed first: the listeners still go IPv4 first.
	printf '::1 localhost\n127.0.0.1 localhost\n' >"$TMP/hosts"
	need_hosts_ns "$TMP/hosts"
	acore_argv
	"${HOSTS_ARGV[@]}" "${ACORE_ARGV[@]}" echo-server -v -lk -p 0 \
	    --port-file "$TMP/port" 2>"$TMP/err" 3>&- &
	SPID=$!
	PIDS+=("$SPID")
	wait_for_file "$TMP/port" 20
	local port
	port=$(cat "$TMP/port")
	run --separate-stderr acore echo-client -m four 127.0.0.1 "$port"
	assert_success
	assert_output four
	run --separate-stderr acore echo-client -m six "[::1]:$port"
	assert_success
	assert_output six
	srv_stop
	[ "$SSTATUS" -eq 0 ]
	[ "$(grep 'binding to' "$TMP/err")" = "EchoServer: binding to ('127.0.0.1', $port)
EchoServer: binding to ('::1', $port, 0, 0)" ]
	# The article's server binds one address, as its Python program does.
	timeout -k 5 60 "${HOSTS_ARGV[@]}" "${ACORE_ARGV[@]}" echo-server --once -p 0 \
	    --chunk-size 256 --with-client "$DATA/lorem.txt" -v 2>"$TMP/err"
	[ "$(grep -c 'binding to' "$TMP/err")" -eq 1 ]
	grep -q "^EchoServer: binding to ('127.0.0.1', [0-9]*)$" "$TMP/err"
}

@test "a name with an IPv4 and an IPv6 address: echo-server -u answers on both" {
	printf '127.0.0.1 localhost\n::1 localhost\n' >"$TMP/hosts"
	need_hosts_ns "$TMP/hosts"
	acore_argv
	"${HOSTS_ARGV[@]}" "${ACORE_ARGV[@]}" echo-server -u -v -p 0 \
	    --port-file "$TMP/port" 2>"$TMP/err" 3>&- &
	SPID=$!
	PIDS+=("$SPID")
	wait_for_file "$TMP/port" 20
	local port
	port=$(cat "$TMP/port")
	run --separate-stderr acore echo-client -u -m four 127.0.0.1 "$port"
	assert_success
	assert_output four
	run --separate-stderr acore echo-client -u -m six "[::1]:$port"
	assert_success
	assert_output six
	srv_stop
	[ "$SSTATUS" -eq 0 ]
	[ "$(grep 'binding to' "$TMP/err")" = "EchoServer: binding to ('127.0.0.1', $port)
EchoServer: binding to ('::1', $port, 0, 0)" ]
	# each datagram came to the socket of its family
	[ "$(grep 'handle_read()' "$TMP/err" | sed 's/, [0-9]*/, N/')" = "EchoServer: handle_read() ('127.0.0.1', N) -> (4) \"four\"
EchoServer: handle_read() ('::1', N, 0, 0) -> (3) \"six\"" ]
}

@test "-6 with a name that has no IPv6 address: one resolve error, exit 4, from every command" {
	printf '127.0.0.1 localhost v4only.test\n' >"$TMP/hosts"
	need_hosts_ns "$TMP/hosts"
	acore_argv
	run --separate-stderr timeout -k 5 60 "${HOSTS_ARGV[@]}" "${ACORE_ARGV[@]}" echo-server -6 localhost 0
	assert_failure 4
	[ "$stderr" = "acore: echo-server: cannot resolve localhost: Name or service not known" ]
	run --separate-stderr timeout -k 5 60 "${HOSTS_ARGV[@]}" "${ACORE_ARGV[@]}" echo-client -6 -m x localhost 9
	assert_failure 4
	[ "$stderr" = "acore: echo-client: cannot resolve localhost port 9: Name or service not known" ]
	run --separate-stderr timeout -k 5 60 "${HOSTS_ARGV[@]}" "${ACORE_ARGV[@]}" http-get -6 http://v4only.test:9/
	assert_failure 4
	[ "$stderr" = "acore: http-get: http://v4only.test:9/: cannot resolve v4only.test: Name or service not known" ]
	# A numeric address of the other family says the same everywhere.
	run --separate-stderr acore echo-server -6 127.0.0.1 0
	assert_failure 4
	[ "$stderr" = "acore: echo-server: cannot resolve 127.0.0.1: Address family for hostname not supported" ]
	run --separate-stderr acore echo-client -4 -m x ::1 9
	assert_failure 4
	[ "$stderr" = "acore: echo-client: cannot resolve ::1 port 9: Address family for hostname not supported" ]
	run --separate-stderr acore http-get -4 'http://[::1]:9/'
	assert_failure 4
	[ "$stderr" = "acore: http-get: http://[::1]:9/: cannot resolve ::1: Address family for hostname not supported" ]
}

@test "echo-server -s ADDR listens on ADDR, as nc -l -s" {
	srv -v -s 127.0.0.2
	grep -qx "EchoServer: binding to ('127.0.0.2', $PORT)" "$TMP/srv.err"
	run --separate-stderr acore echo-client -m there 127.0.0.2 "$PORT"
	assert_success
	assert_output there
	srv_stop
	[ "$SSTATUS" -eq 0 ]
}
