#!/usr/bin/env bats
# echo-server --workers N: N processes, each with its own loop, accepting
# on the one listening socket of a master that owns it, the files and the
# signals, and replaces a worker that dies.  Loopback only; every process
# stopped by pid.

bats_require_minimum_version 1.8.0
load helper
load echo-helper

# workers_of PID: the worker pids of master PID, one a line.
workers_of() {
	pgrep -P "$1" | sort
}

# holders PROTO PORT: the pids that hold the listening socket on PORT.
holders() {
	ss -Hl"$1"np "( sport = :$2 )" | grep -o 'pid=[0-9]*' | sed 's/pid=//' |
	    sort -u
}

@test "--workers 2: one listening socket, the master's, and both workers serve" {
	srv --workers 2 -b 127.0.0.1
	local w a b
	w=$(workers_of "$SPID")
	[ "$(echo "$w" | wc -l)" -eq 2 ]
	# One socket (a second server could not join it), held by all three.
	[ "$(ss -Hltn "( sport = :$PORT )" | wc -l)" -eq 1 ]
	[ "$(holders t "$PORT")" = "$(printf '%s\n' "$SPID" $w | sort -u)" ]
	# Either worker alone serves: the other one stopped, clients still
	# get their echo, each from the one that runs.
	a=$(echo "$w" | head -n 1)
	b=$(echo "$w" | tail -n 1)
	kill -STOP "$a"
	acore echo-client -m 'b alone' 127.0.0.1 "$PORT"
	kill -CONT "$a"
	kill -STOP "$b"
	acore echo-client -m 'a alone' 127.0.0.1 "$PORT"
	kill -CONT "$b"
	acore echo-client -m 'both' 127.0.0.1 "$PORT"
	[ "$(grep -c '^Incoming connection from' "$TMP/srv.out")" -eq 3 ]
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

@test "--workers: a worker killed is replaced, with a line on stderr; SIGTERM stops all" {
	srv --workers 2
	local w new all
	w=$(workers_of "$SPID" | head -n 1)
	kill -KILL "$w"
	# Bounded wait for the master's line about it.
	timeout 10 bash -c "until grep -q 'worker $w' '$TMP/srv.err'; do sleep 0.05; done"
	new=$(sed -n "s/^acore: echo-server: worker $w killed by signal 9 (Killed); started worker \([0-9]*\)$/\1/p" "$TMP/srv.err")
	[ -n "$new" ]
	[ "$(wc -l <"$TMP/srv.err")" -eq 1 ]
	all=$(workers_of "$SPID")
	[ "$(echo "$all" | wc -l)" -eq 2 ]
	grep -qx "$new" <<<"$all"
	! grep -qx "$w" <<<"$all"
	# Still serving, with the new worker among those that do.
	for i in 1 2 3 4; do acore echo-client -m "after $i" 127.0.0.1 "$PORT"; done
	srv_stop
	[ "$SSTATUS" -eq 0 ]
	for pid in $all; do [ ! -e "/proc/$pid" ]; done
	[ ! -e "$TMP/port" ]
}

@test "--workers: workers that keep dying stop the server, exit 1, one line" {
	srv --workers 2
	local i
	# 2 deaths a round, far more than the 2 + 5 a second allowed.
	for i in $(seq 400); do
		kill -0 "$SPID" 2>/dev/null || break
		pkill -KILL -P "$SPID" || true
		sleep 0.01
	done
	SSTATUS=0
	timeout 10 tail --pid="$SPID" -f /dev/null
	wait "$SPID" || SSTATUS=$?
	[ "$SSTATUS" -eq 1 ]
	grep -q "^acore: echo-server: worker [0-9]* killed by signal 9 (Killed); workers keep dying (more than 7 in a second): stopping$" "$TMP/srv.err"
	[ "$(grep -c 'keep dying' "$TMP/srv.err")" -eq 1 ]
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

@test "--workers 2 --max-conns 2: the places of a worker killed are given back" {
	srv --workers 2 --max-conns 2
	python3 -c 'import socket, sys, time
cs = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(2)]
for c in cs:
    c.sendall(b"x")
    assert c.recv(1) == b"x"
print("held", flush=True)
time.sleep(30)' "$PORT" >"$TMP/held" 3>&- &
	PIDS+=("$!")
	wait_for_file "$TMP/held" 20
	# The full server refuses a third client...
	run acore echo-client -m third 127.0.0.1 "$PORT"
	assert_failure
	# ...until the workers that held the two die.
	local who pid
	who=$(ss -Htnp state established "( sport = :$PORT )" |
	    grep -o 'pid=[0-9]*' | sort -u | sed 's/pid=//')
	[ -n "$who" ]
	for pid in $who; do
		kill -KILL "$pid"
		timeout 10 bash -c "until grep -q 'worker $pid killed' '$TMP/srv.err'; do sleep 0.05; done"
	done
	acore echo-client -m 'places back' 127.0.0.1 "$PORT"
	srv_stop
	[ "$SSTATUS" -eq 0 ]
}

@test "--workers with -u, --background; usage errors" {
	mkdir "$TMP/d" && cd "$TMP/d"
	acore echo-server -u -p 0 --workers 2 --port-file port --pid-file pid \
	    --background
	# Stopped by teardown too, should a check below fail.
	PIDS+=("$(cat pid)")
	[ "$(ss -Hlun "( sport = :$(cat port) )" | wc -l)" -eq 1 ]
	[ "$(holders u "$(cat port)" | wc -l)" -eq 3 ]
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
	srv_stop
	# Nor can a second server, of either kind, join a --workers one.
	srv --workers 2
	run --separate-stderr acore echo-server --workers 2 -p "$PORT"
	assert_failure 12
	[ "$stderr" = "acore: echo-server: cannot listen on localhost port $PORT: Address already in use" ]
	run --separate-stderr acore echo-server -p "$PORT"
	assert_failure 12
	[ "$stderr" = "acore: echo-server: cannot listen on localhost port $PORT: Address already in use" ]
	srv_stop
	srv -u --workers 2
	run --separate-stderr acore echo-server -u --workers 2 -p "$PORT"
	assert_failure 12
	[ "$stderr" = "acore: echo-server: cannot listen on localhost port $PORT: Address already in use" ]
	srv_stop
	[ "$SSTATUS" -eq 0 ]
}
