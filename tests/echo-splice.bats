#!/usr/bin/env bats
# echo-server's zero-copy path (issue 23): when nothing looks at the bytes
# the docs handler moves them with splice(2), socket to pipe to socket;
# -v, --chunk-size and --tls keep reading them into user space.  strace
# tells which calls moved the bytes; real clients (socat, nc, python)
# check that the echo, half-close and the idle timeout are unchanged.  A
# client that never reads (the server stops reading) is tests/echo.bats's
# "a client that never reads", on the same default, zero-copy server.

bats_require_minimum_version 1.8.0
load helper
load echo-helper

# traced_srv ARGS...: the docs echo-server with ARGS under strace, which
# writes the server's splice, recvfrom and read calls, and its signal-mask
# calls, to $TMP/trace.
# SPID is strace's pid, SRVPID the server's (from --pid-file).
traced_srv() {
	[ "${ACORE_VALGRIND:-0}" != 1 ] || skip "strace of valgrind says nothing"
	command -v strace >/dev/null || skip "no strace"
	rm -f "$TMP/port"
	# LeakSanitizer cannot run under ptrace (it aborts at exit): in the
	# sanitizer build the traced server keeps ASan and UBSan, not LSan.
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	LD_LIBRARY_PATH=$ACORE_BUILDDIR/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
	    strace -f -qq -o "$TMP/trace" -e trace=splice,recvfrom,read,rt_sigprocmask,rt_sigpending,rt_sigtimedwait \
	    "$ACORE_BUILDDIR/.libs/acore" echo-server -p 0 \
	    --port-file "$TMP/port" --pid-file "$TMP/pid" "$@" \
	    >"$TMP/srv.out" 2>"$TMP/srv.err" 3>&- &
	SPID=$!
	PIDS+=("$SPID")
	wait_for_file "$TMP/port" 20
	PORT=$(cat "$TMP/port")
	[[ "$PORT" =~ ^[0-9]+$ ]]
	wait_for_file "$TMP/pid" 20
	SRVPID=$(cat "$TMP/pid")
	PIDS+=("$SRVPID")
}

# traced_stop: SIGTERM to the server; strace ends with it.
traced_stop() {
	kill -TERM "$SRVPID"
	run timeout 20 tail --pid="$SPID" -f /dev/null
	assert_success
	wait "$SPID"
}

# echo_1m: 1 MB of random bytes through socat (which shuts down its write
# side at the end of its input), back whole; then the server stops.
echo_1m() {
	head -c 1000000 /dev/urandom >"$TMP/in"
	timeout 30 socat -t 30 - "TCP:127.0.0.1:$PORT" <"$TMP/in" >"$TMP/out"
	cmp "$TMP/in" "$TMP/out"
	traced_stop
}

# calls NAME: how many NAME calls moved bytes (a positive result).
calls() {
	grep -cE "^[0-9]+ +$1\(.*\) = [1-9]" "$TMP/trace" || true
}

@test "the default echo moves the bytes with splice(2), none through recv" {
	traced_srv
	echo_1m
	[ "$(calls splice)" -gt 0 ]
	[ "$(calls recvfrom)" -eq 0 ]
}

# The CLI ignores SIGPIPE through acore_ignore_sigpipe(3), so the library
# no longer blocks it around every splice into the socket: one system call
# per splice, not four.
@test "the zero-copy echo makes no signal-mask calls around its splices" {
	traced_srv
	echo_1m
	[ "$(calls splice)" -gt 0 ]
	run grep -cE '^[0-9]+ +rt_sig(procmask|pending|timedwait)\(' "$TMP/trace"
	assert_output 0
}

@test "-v logs every read: the copy, not splice(2)" {
	traced_srv -v
	echo_1m
	[ "$(calls splice)" -eq 0 ]
	[ "$(calls recvfrom)" -gt 0 ]
	grep -q 'handle_read() -> (' "$TMP/srv.err"
}

@test "--chunk-size N reads N bytes at a time: the copy, not splice(2)" {
	traced_srv --chunk-size 1000
	echo_1m
	[ "$(calls splice)" -eq 0 ]
	# Every read asked for exactly 1000 bytes.
	[ "$(calls recvfrom)" -ge 1000 ]
	! grep -E '^[0-9]+ +recvfrom\(' "$TMP/trace" | grep -vq ', 1000, '
}

@test "--tls decrypts: the copy, not splice(2)" {
	load tls-helper
	tls_pki "$TMP/pki"
	traced_srv --tls --cert "$TMP/pki/chain.pem" --key "$TMP/pki/srv.key"
	head -c 100000 /dev/urandom >"$TMP/in"
	run acore echo-client --tls --cacert "$TMP/pki/ca.pem" -f "$TMP/in" \
	    -o /dev/null localhost "$PORT"
	assert_success
	traced_stop
	[ "$(calls splice)" -eq 0 ]
}

@test "zero copy keeps half-close: nc -N gets its whole echo, then the end" {
	srv
	head -c 3000000 /dev/urandom >"$TMP/in"
	timeout 30 nc -N 127.0.0.1 "$PORT" <"$TMP/in" >"$TMP/out"
	cmp "$TMP/in" "$TMP/out"
}

# As tests/echo.bats's --idle-timeout test, but with 64 KiB pieces, which
# the zero-copy path moves: the idle timer must see them.
@test "zero copy keeps --idle-timeout: a busy client stays, a silent one goes" {
	srv -i 2
	run bash -c "for i in 1 2 3 4 5 6 7 8; do head -c 65536 /dev/zero; sleep 0.4; done |
	    timeout 15 nc -N 127.0.0.1 $PORT | wc -c"
	assert_success
	assert_output 524288
	run timeout 15 python3 "$PEER" idle "$PORT" 8
	assert_success
	assert_output --regexp '^closed after (1\.[5-9]|[2-7]\.[0-9])$'
}
