#!/usr/bin/env bats
# chat.bats: echo-server --chat and echo-client --chat, the asynchat echo
# protocol of PyMOTW's asynchat article (example 7).

bats_require_minimum_version 1.8.0
load helper

setup() {
	setup_tmp
	server=
}

teardown() {
	bg_stop "$server"
}

# start_server ARGS...: a --chat server on a port the kernel picks; sets PORT.
start_server() {
	acore_argv
	bg_start server "${ACORE_ARGV[@]}" echo-server --chat -p 0 \
	    --port-file "$TMP/port" "$@" 2> "$TMP/server.err" > /dev/null
	wait_for_file "$TMP/port" 20
	PORT=$(cat "$TMP/port")
}

# stop_server: SIGTERM; the server must exit 0 with nothing on standard
# error (under valgrind: no errors and no leaks).
stop_server() {
	local st=0
	kill -TERM "$server"
	wait "$server" || st=$?
	server=
	cat "$TMP/server.err"
	[ "$st" -eq 0 ] && [ ! -s "$TMP/server.err" ]
}

# peer BAD: while a well-behaved client is half-way through its message,
# another connection sends BAD (Python escapes) and prints the reply it gets
# before the server closes; then the first client finishes and prints its
# echo.  Every socket call is bounded by a 10 s timeout.
peer() {
	python3 - "$PORT" "$1" <<'EOF'
import socket, sys

port = int(sys.argv[1])
bad = sys.argv[2].encode("latin-1").decode("unicode_escape").encode("latin-1")

def conn():
    return socket.create_connection(("127.0.0.1", port), timeout=10)

def until_eof(s):
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            return out
        out += d

good = conn()
good.sendall(b"ECHO 10\n01234")
b = conn()
b.sendall(bad)
reply = until_eof(b)
good.sendall(b"56789")
echo = until_eof(good)
print(reply.decode("latin-1").replace("\n", "\\n"))
print(echo.decode("latin-1"))
EOF
}

@test "one process prints the asynchat article's transcript exactly" {
	acore echo-server -v --chat --once -p 0 --chunk-size 64 \
	    --with-client "$DATA/lorem-asynchat.txt" 2> "$TMP/err" > "$TMP/out"
	port=$(sed -n "1s/^EchoClient: connecting to ('127.0.0.1', \([0-9]*\))$/\1/p" "$TMP/err")
	[ -n "$port" ]
	sed 1d "$TRANSCRIPTS/asynchat_echo_main.txt" | sed "1s/59601/$port/" > "$TMP/want"
	diff -u "$TMP/want" "$TMP/err"
	# The article's program prints nothing on stdout.
	[ ! -s "$TMP/out" ]
}

@test "two processes: the client's own lines are the article's" {
	start_server --chunk-size 64
	acore echo-client -v --chat --chunk-size 64 -f "$DATA/lorem-asynchat.txt" \
	    127.0.0.1 "$PORT" 2> "$TMP/err"
	for who in EchoClient EchoProducer; do
		sed -e 1d -e 's/59601/PORT/' "$TRANSCRIPTS/asynchat_echo_main.txt" |
		    awk -v w="$who" '/^[A-Za-z]+: / { keep = index($0, w ": ") == 1 } keep' \
		    > "$TMP/want"
		sed "1s/('127.0.0.1', $PORT)/('127.0.0.1', PORT)/" "$TMP/err" |
		    awk -v w="$who" '/^[A-Za-z]+: / { keep = index($0, w ": ") == 1 } keep' \
		    > "$TMP/got"
		diff -u "$TMP/want" "$TMP/got"
	done
	stop_server
}

# The server is held stopped while the 100 connect, as a loaded machine
# may starve it for seconds: the kernel must queue every handshake until
# it accepts again.  With the docs' listen(5) it reset the clients whose
# handshakes found the queue full ("closed the connection after 0 of N
# bytes echoed", one run in twenty under load before this was forced).
@test "100 concurrent chat clients with random messages all get their echo" {
	start_server --chunk-size 4096
	local i pids=() fails=0 queued=0
	for i in $(seq 100); do
		head -c $(( (RANDOM * 7) % 200000 )) /dev/urandom > "$TMP/m$i"
	done
	# SIGCONT comes whatever happens, and only here: sent at a server
	# that is exiting it can cancel the stop of LeakSanitizer's ptrace
	# attach, which then waits for ever.
	kill -STOP "$server"
	for i in $(seq 100); do
		timeout -k 5 120 "${ACORE_ARGV[@]}" echo-client --chat \
		    -f "$TMP/m$i" -o "$TMP/o$i" 127.0.0.1 "$PORT" \
		    2> "$TMP/e$i" 3>&- &
		pids+=("$!")
	done
	wait_queued "$PORT" 100 120 || queued=$?
	kill -CONT "$server"
	[ "$queued" -eq 0 ]
	for i in $(seq 100); do
		wait "${pids[$((i - 1))]}" || { fails=$((fails + 1)); cat "$TMP/e$i"; }
	done
	[ "$fails" -eq 0 ]
	for i in $(seq 100); do
		cmp "$TMP/m$i" "$TMP/o$i"
	done
	stop_server
}

@test "a line that is not ECHO <length>: ERR, closed, others unaffected" {
	start_server
	run peer 'HELLO 5\n'
	assert_success
	assert_output $'ERR expected ECHO <length>\\n\n0123456789'
	stop_server
}

@test "a negative length: ERR, closed, others unaffected" {
	start_server
	run peer 'ECHO -5\n'
	assert_output $'ERR bad length\\n\n0123456789'
	stop_server
}

@test "a length that is not decimal: ERR, closed, others unaffected" {
	start_server
	run peer 'ECHO 0x10\n'
	assert_output $'ERR bad length\\n\n0123456789'
	stop_server
}

@test "an absurd length: ERR, closed, others unaffected" {
	start_server
	run peer 'ECHO 99999999999999999999999999\n'
	assert_output $'ERR length above 16777216\\n\n0123456789'
	stop_server
}

@test "a length above --max-message: ERR, closed, others unaffected" {
	start_server --max-message 1k
	run peer 'ECHO 1025\n'
	assert_output $'ERR length above 1024\\n\n0123456789'
	head -c 1024 /dev/urandom > "$TMP/m"
	acore echo-client --chat -f "$TMP/m" -o "$TMP/o" 127.0.0.1 "$PORT"
	cmp "$TMP/m" "$TMP/o"
	stop_server
}

@test "an over-long command line: ERR, closed, others unaffected" {
	start_server
	run peer "ECHO $(printf '%0100d' 7)"
	assert_output $'ERR command line too long\\n\n0123456789'
	stop_server
}

@test "CRLF after the command is accepted; ECHO 0 echoes nothing" {
	start_server
	run peer 'ECHO 3\r\nabc'
	assert_output $'abc\n0123456789'
	run peer 'ECHO 0\n'
	assert_output $'\n0123456789'
	stop_server
}

@test "a client that half-closes after its message still gets the echo" {
	start_server --chunk-size 64
	head -c 100000 /dev/urandom > "$TMP/m"
	{ printf 'ECHO 100000\n'; cat "$TMP/m"; } |
	    timeout 20 nc.openbsd -N 127.0.0.1 "$PORT" > "$TMP/o"
	cmp "$TMP/m" "$TMP/o"
	stop_server
}

@test "echo-client --chat: a server that refuses says so, exit 8" {
	start_server --max-message 10
	run acore echo-client --chat -m "far more than ten bytes" 127.0.0.1 "$PORT"
	assert_failure 8
	assert_output "acore: echo-client: 127.0.0.1 port $PORT refused the message: ERR length above 10"
	stop_server
}

@test "echo-client --chat: a server that closes early, exit 7" {
	python3 - "$TMP/port" <<'EOF' 3>&- &
import socket, sys
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(1)
open(sys.argv[1] + ".tmp", "w").write("%d\n" % l.getsockname()[1])
__import__("os").rename(sys.argv[1] + ".tmp", sys.argv[1])
l.settimeout(20)
c, _ = l.accept()
c.settimeout(20)
got = b""
while b"\n" not in got:
    got += c.recv(100)
c.sendall(b"abc")
c.close()
EOF
	server=$!
	wait_for_file "$TMP/port"
	run acore echo-client --chat -m "abcdef" 127.0.0.1 "$(cat "$TMP/port")"
	assert_failure 7
	assert_output "acore: echo-client: 127.0.0.1 port $(cat "$TMP/port") closed the connection after 3 of 6 bytes echoed"
}

# chat_peer REPLY: a server that reads the ECHO line, answers REPLY and
# closes; sets PORT.
chat_peer() {
	python3 - "$TMP/port" "$1" <<'EOF' 3>&- &
import os, socket, sys
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(1)
open(sys.argv[1] + ".tmp", "w").write("%d\n" % l.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
l.settimeout(20)
c, _ = l.accept()
c.settimeout(20)
got = b""
while b"\n" not in got:
    got += c.recv(100)
c.sendall(sys.argv[2].encode())
c.close()
EOF
	server=$!
	wait_for_file "$TMP/port"
	PORT=$(cat "$TMP/port")
}

@test "echo-client --chat: a wrong echo names the byte, exit 1; -v logs both sides" {
	chat_peer abXdef
	run --separate-stderr acore echo-client --chat -v -m abcdef 127.0.0.1 "$PORT"
	assert_failure 1
	[ "$(tail -n 4 <<<"$stderr")" = 'EchoClient: ERROR IN TRANSMISSION
EchoClient: EXPECTED "abcdef"
EchoClient: RECEIVED "abXdef"
acore: echo-client: echo from 127.0.0.1 port '"$PORT"' differs from the message at byte 2' ]
}

@test "echo-client --chat -v: a server that echoes nothing, RECEIVED is empty, exit 7" {
	chat_peer ""
	run --separate-stderr acore echo-client --chat -v -m abcdef 127.0.0.1 "$PORT"
	assert_failure 7
	grep -qx 'EchoClient: RECEIVED ""' <<<"$stderr"
	[ "$(tail -n 1 <<<"$stderr")" = "acore: echo-client: 127.0.0.1 port $PORT closed the connection after 0 of 6 bytes echoed" ]
}

@test "echo-client --chat: nothing listening, exit 5" {
	start_server
	bg_stop "$server"
	server=
	run acore echo-client --chat -m x 127.0.0.1 "$PORT"
	assert_failure 5
	assert_output --partial "acore: echo-client: connect to 127.0.0.1 port $PORT: "
}

@test "--max-message: bad values and use without --chat, exit 2" {
	run acore echo-server --chat --max-message lots
	assert_failure 2
	assert_line --index 0 "acore: echo-server: max message is invalid: lots"
	run acore echo-server --chat --max-message 5G
	assert_failure 2
	run acore echo-server --max-message 10
	assert_failure 2
	assert_line --index 0 "acore: echo-server: --max-message needs --chat"
}
