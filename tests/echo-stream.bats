#!/usr/bin/env bats
# acore echo-client as a stream: input goes out as it arrives, the echo
# comes back and is checked as it arrives, memory stays bounded, and end
# of input shuts down the sending side.  Loopback only; every process is
# stopped by pid in teardown.

bats_require_minimum_version 1.8.0
load helper
load echo-helper

# socat_srv ADDRESS: socat listening on a free port, serving ADDRESS per
# connection; sets SPORT.  ADDRESS must end with its connection (tr does):
# socat does not stop its children when it is stopped.
socat_srv() {
	SPORT=$(free_port)
	socat "TCP-LISTEN:$SPORT,bind=127.0.0.1,reuseaddr,fork" "$1" 3>&- &
	PIDS+=("$!")
	wait_listen "$SPORT"
}

@test "the echo of -m or stdin goes to stdout, as nc; -f FILE, --chat, --check-only: nowhere" {
	srv
	run --separate-stderr acore echo-client -m 'hello, world' 127.0.0.1 "$PORT"
	assert_success
	[ "$output" = 'hello, world' ]
	[ -z "$stderr" ]
	run --separate-stderr acore echo-client 127.0.0.1 "$PORT" <<<'from stdin'
	assert_success
	[ "$output" = 'from stdin' ]
	run --separate-stderr acore echo-client -f - 127.0.0.1 "$PORT" <<<'dash'
	assert_success
	[ "$output" = 'dash' ]
	# The article's client: a file is checked, nothing printed.
	run --separate-stderr acore echo-client -f "$DATA/lorem.txt" 127.0.0.1 "$PORT"
	assert_success
	[ -z "$output" ]
	run --separate-stderr acore echo-client --check-only -m quiet 127.0.0.1 "$PORT"
	assert_success
	[ -z "$output" ]
	run --separate-stderr acore echo-client -o "$TMP/o" -m 'to a file' 127.0.0.1 "$PORT"
	assert_success
	[ -z "$output" ]
	[ "$(cat "$TMP/o")" = 'to a file' ]
	run --separate-stderr acore echo-client -f "$DATA/lorem.txt" -o - 127.0.0.1 "$PORT"
	assert_success
	[ "$output" = "$(cat "$DATA/lorem.txt")" ]
	run --separate-stderr acore echo-client --check-only -o - -m x 127.0.0.1 "$PORT"
	assert_failure 2
	[ "${stderr_lines[0]}" = "acore: echo-client: -o and --check-only cannot be used together" ]
	srv_stop
	# The asynchat article's client prints nothing either.
	srv --chat
	run --separate-stderr acore echo-client --chat -m 'chat text' 127.0.0.1 "$PORT"
	assert_success
	[ -z "$output" ]
	srv_stop
}

@test "a line comes back before the input ends (fifo in, fifo out)" {
	srv
	mkfifo "$TMP/in" "$TMP/out"
	acore_argv
	"${ACORE_ARGV[@]}" echo-client -o - 127.0.0.1 "$PORT" \
	    <"$TMP/in" >"$TMP/out" 2>"$TMP/err" 3>&- &
	local cpid=$! line
	PIDS+=("$cpid")
	exec 5>"$TMP/in" 6<"$TMP/out"
	# The input is still open: the echo can only come from streaming.
	printf 'first line\n' >&5
	read -r -t 10 line <&6
	[ "$line" = 'first line' ]
	printf 'second line\n' >&5
	read -r -t 10 line <&6
	[ "$line" = 'second line' ]
	exec 5>&-
	# End of input: the client shuts down, the server closes, verdict 0.
	local st=0
	wait "$cpid" || st=$?
	exec 6<&-
	[ "$st" -eq 0 ]
	[ ! -s "$TMP/err" ]
}

@test "a line typed on a terminal comes straight back; ^D ends it" {
	srv
	acore_argv
	# A pty as standard input, in canonical mode as a shell leaves it.
	run timeout 30 python3 - "$PORT" "${ACORE_ARGV[@]}" <<'PY'
import os, pty, select, subprocess, sys
m, s = pty.openpty()
p = subprocess.Popen(sys.argv[2:] + ["echo-client", "-o", "-", "127.0.0.1",
    sys.argv[1]], stdin=s, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
os.close(s)
os.write(m, b"typed line\n")
if not select.select([p.stdout], [], [], 10)[0]:
    sys.exit("no echo before end of input")
print(p.stdout.readline().decode().rstrip())
os.write(m, b"\x04")
print(p.wait(timeout=10), p.stderr.read().decode())
PY
	assert_success
	assert_output "$(printf 'typed line\n0 ')"
	srv_stop
}

@test "200 MB through echo-client with bounded memory" {
	[ "${ACORE_VALGRIND:-0}" != 1 ] || skip "too slow under valgrind"
	srv
	# The client checks every byte; the count shows all of it came out.
	run bash -c "head -c 200000000 /dev/zero | tr '\\0' 'x' |
	    /usr/bin/time -f 'maxrss %M' -o '$TMP/rss' \
	    timeout 60 '$ACORE' echo-client --chunk-size 64k -o - 127.0.0.1 $PORT |
	    wc -c"
	assert_success
	assert_output 200000000
	local rss
	rss=$(sed -n 's/^maxrss //p' "$TMP/rss")
	echo "echo-client max RSS for 200 MB: $rss KiB" >&3
	# ASan's shadow memory and quarantine: no RSS bound there.
	if ! grep -q __asan_init "$ACORE_BUILDDIR/.libs/acore" 2>/dev/null; then
		[ "$rss" -lt 16384 ]
	fi
	srv_stop
	[ "$SSTATUS" -eq 0 ]
}

@test "a peer that answers only at end of input (tr behind socat)" {
	socat_srv "EXEC:tr a-z A-Z"
	run --separate-stderr acore echo-client -o - 127.0.0.1 "$SPORT" \
	    <<<'HELLO, 123'
	assert_success
	assert_output 'HELLO, 123'
	# The echo differs: exit 1 naming the first differing byte.
	run --separate-stderr acore echo-client 127.0.0.1 "$SPORT" \
	    <<<'HELLO, world'
	assert_failure 1
	[ "$stderr" = "acore: echo-client: echo from 127.0.0.1 port $SPORT differs from the message at byte 7" ]
}

# -q 2, not less: the peer's echo must be in within it even when a loaded
# machine makes the peer wait for a core (0.3 s was a race).
@test "-q: a peer that echoes but never closes; and one that stops short" {
	peer_srv echohold
	run --separate-stderr acore echo-client -q 2 -m hello \
	    127.0.0.1 "$PPORT"
	assert_success
	[ -z "$stderr" ]
	peer_srv shorthold
	run --separate-stderr acore echo-client -q 2 -m hello \
	    127.0.0.1 "$PPORT"
	assert_failure 6
	[ "$stderr" = "acore: echo-client: 127.0.0.1 port $PPORT: 3 of 5 bytes echoed 2 s after the end of input" ]
}

@test "-w is the idle timeout too (nc): a peer that stops answering" {
	peer_srv shorthold
	run --separate-stderr acore echo-client -w 0.3 -m hello \
	    127.0.0.1 "$PPORT"
	assert_failure 6
	[ "$stderr" = "acore: echo-client: no data from 127.0.0.1 port $PPORT: timed out after 0.3 s" ]
}

@test "-N is accepted (shutting down at end of input is the default)" {
	srv
	run acore echo-client -N -m hi -o - 127.0.0.1 "$PORT"
	assert_success
	assert_output hi
	srv_stop
}
