#!/usr/bin/env bats
# echo-server --workers N: N processes, each with its own loop and its own
# socket on one port (SO_REUSEPORT), under a master that owns the files
# and the signals.  Loopback only; every process stopped by pid.

bats_require_minimum_version 1.8.0
load helper
load echo-helper

# workers_of PID: the worker pids of master PID, one a line.
workers_of() {
	pgrep -P "$1" | sort
}

@test "--workers 2: two processes listen on the port and both serve" {
	srv --workers 2
	[ "$(workers_of "$SPID" | wc -l)" -eq 2 ]
	# Two listening sockets, one per worker, on the one port.
	[ "$(ss -Hltn "( sport = :$PORT )" | wc -l)" -eq 2 ]
	# 40 clients held open: the kernel spreads them over both workers
	# (all on one would be a 2^-39 chance).
	python3 -c 'import socket, sys, time
cs = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(40)]
for c in cs:
    c.sendall(b"x")
    assert c.recv(1) == b"x"
print("held", flush=True)
time.sleep(30)' "$PORT" >"$TMP/held" 3>&- &
	PIDS+=("$!")
	wait_for_file "$TMP/held" 20
	local who
	who=$(ss -Htnp state established "( sport = :$PORT )" |
	    grep -o 'pid=[0-9]*' | sort -u | sed 's/pid=//')
	[ "$(echo "$who")" = "$(workers_of "$SPID")" ]
	bg_stop "${PIDS[-1]}"
	acore echo-client -m 'after' 127.0.0.1 "$PORT"
	[ "$(grep -c '^Incoming connection from' "$TMP/srv.out")" -eq 41 ]
	srv_stop
	[ "$SSTATUS" -eq 0 ]
}

@test "--workers: SIGTERM or SIGINT to the master stops all; files go" {
	local sig w
	for sig in TERM INT; do
		srv --workers 3 --pid-file "$TMP/pid"
		[ "$(cat "$TMP/pid")" = "$SPID" ]
		w=$(workers_of "$SPID")
		[ "$(echo "$w" | wc -l)" -eq 3 ]
		srv_stop "$sig"
		[ "$SSTATUS" -eq 0 ]
		# The master reaps its workers before it exits.
		for pid in $w; do [ ! -e "/proc/$pid" ]; done
		[ ! -e "$TMP/port" ]
		[ ! -e "$TMP/pid" ]
		[ ! -s "$TMP/srv.err" ]
	done
}

@test "--workers: a worker that dies stops the server, exit 1" {
	srv --workers 2
	local w
	w=$(workers_of "$SPID" | head -n 1)
	kill -KILL "$w"
	SSTATUS=0
	timeout 10 bash -c "while kill -0 $SPID 2>/dev/null; do sleep 0.05; done"
	wait "$SPID" || SSTATUS=$?
	[ "$SSTATUS" -eq 1 ]
	[ -z "$(workers_of "$SPID")" ]
	[ ! -e "$TMP/port" ]
}

@test "--workers 2 --max-conns 2: one limit for the whole server" {
	srv --workers 2 --max-conns 2
	run timeout 20 python3 "$PEER" maxconns "$PORT" 2
	assert_success
	assert_output ok
	srv_stop
	[ "$SSTATUS" -eq 0 ]
}

@test "--workers with -u, --background; usage errors" {
	mkdir "$TMP/d" && cd "$TMP/d"
	acore echo-server -u -p 0 --workers 2 --port-file port --pid-file pid \
	    --background
	[ "$(ss -Hlun "( sport = :$(cat port) )" | wc -l)" -eq 2 ]
	run bash -c "printf 'udp workers\n' | timeout 10 nc -u -w 1 127.0.0.1 $(cat port)"
	assert_output 'udp workers'
	run acore echo-client -u -m 'and acore' -o - 127.0.0.1 "$(cat port)"
	assert_output 'and acore'
	local pid
	pid=$(cat pid)
	kill "$pid"
	timeout 10 tail --pid="$pid" -f /dev/null
	[ -z "$(ls -A)" ]
	run --separate-stderr acore echo-server --workers 2 --once
	assert_failure 2
	[ "${stderr_lines[0]}" = "acore: echo-server: --workers cannot be used with --once, --with-client or -U" ]
	run --separate-stderr acore echo-server --workers 0
	assert_failure 2
	[ "$stderr" = "acore: echo-server: workers is too small: 0" ]
}

@test "--workers: a port in use fails at once, no worker left behind" {
	srv
	run --separate-stderr acore echo-server --workers 2 -p "$PORT"
	assert_failure 12
	[ "$stderr" = "acore: echo-server: cannot listen on localhost port $PORT: Address already in use" ]
}
