#!/usr/bin/env bats
# acore echo-server and echo-client: the asyncore echo examples (PyMOTW,
# library docs) and their behaviour as network tools.  Loopback and Unix
# sockets only; ports come from -p 0 and --port-file; every process started
# here is stopped by pid in teardown.

bats_require_minimum_version 1.8.0
load helper
load echo-helper

# ------------------------------------------------------------- transcripts

@test "--with-client: example 4 in one process matches the transcript per logger" {
	acore echo-server --once -p 0 --chunk-size 256 \
	    --with-client "$DATA/lorem.txt" -v >"$TMP/out" 2>"$TMP/err"
	# The article's program prints nothing on stdout: all is in the log.
	[ ! -s "$TMP/out" ]
	python3 "$NORM" "$TRANSCRIPTS/asyncore_echo_server.txt" >"$TMP/want"
	python3 "$NORM" "$TMP/err" >"$TMP/got"
	diff -u "$TMP/want" "$TMP/got"
	# Chunk sizes fixed by the buffers: 512+225, 256/256/225, 256/256/225/0.
	[ "$(grep -o '^EchoClient: handle_write() -> ([0-9]*)' "$TMP/err" |
	    tr -dc '0-9\n' | paste -sd,)" = 512,225 ]
	[ "$(grep -o '^EchoClient: handle_read() -> ([0-9]*)' "$TMP/err" |
	    tr -dc '0-9\n' | paste -sd,)" = 256,256,225,0 ]
	[ "$(grep -o '^EchoHandler([^)]*): handle_write() -> ([0-9]*)' "$TMP/err" |
	    sed 's/.*(//' | tr -dc '0-9\n' | paste -sd,)" = 256,256,225 ]
}

@test "the EchoHandler logger is named by the server side's address" {
	acore echo-server --once -p 0 --chunk-size 256 \
	    --with-client "$DATA/lorem.txt" -v >/dev/null 2>"$TMP/err"
	local port
	port=$(sed -n "s/^EchoServer: binding to ('127.0.0.1', \([0-9]*\))$/\1/p" "$TMP/err")
	[ -n "$port" ]
	grep -q "^EchoHandler('127.0.0.1', $port): handle_close()$" "$TMP/err"
	grep -q "^EchoClient: connecting to ('127.0.0.1', $port)$" "$TMP/err"
	! grep "^EchoServer: handle_accept() -> ('127.0.0.1', $port)$" "$TMP/err"
}

@test "example 4 as two processes: --once server and echo-client" {
	srv --once --chunk-size 256 -v
	acore echo-client -v -f "$DATA/lorem.txt" 127.0.0.1 "$PORT" \
	    >"$TMP/cout" 2>"$TMP/cerr"
	wait "$SPID"
	[ ! -s "$TMP/srv.out" ] && [ ! -s "$TMP/cout" ]
	python3 "$NORM" --loose "$TRANSCRIPTS/asyncore_echo_server.txt" >"$TMP/want"
	cat "$TMP/srv.err" "$TMP/cerr" >"$TMP/err"
	python3 "$NORM" --loose "$TMP/err" >"$TMP/got"
	diff -u "$TMP/want" "$TMP/got"
	# The server side needs no allowance for timing but the read order.
	tail -n 2 "$TMP/srv.err" | grep -q '^EchoHandler(.*): writable() -> False$'
	tail -n 1 "$TMP/srv.err" | grep -q '^EchoHandler(.*): handle_close()$'
}

# The article's client holds its whole message, so both of its sends go
# out before its first read whenever the socket takes them; a fast
# server in another process must not get an echo in between.  20 runs,
# each bounded by the acore wrapper's timeout.
@test "example 4 as two processes, 20 runs: the client's two writes always precede its first read" {
	local i order
	for i in $(seq 20); do
		srv --once --chunk-size 256 -v
		acore echo-client -v -f "$DATA/lorem.txt" 127.0.0.1 "$PORT" \
		    >"$TMP/cout" 2>"$TMP/cerr"
		wait "$SPID"
		[ ! -s "$TMP/cout" ]
		order=$(grep -o '^EchoClient: handle_\(write\|read\)() -> ([0-9]*)' "$TMP/cerr" |
		    head -n 3 | sed 's/^EchoClient: handle_\([a-z]*\)() -> (\([0-9]*\))$/\1 \2/' |
		    paste -sd,)
		[[ "$order" == "write 512,write 225,read "* ]] ||
		    { echo "run $i: $order"; false; }
	done
}

# ------------------------------------------------------------- docs server

@test "docs server: 3 concurrent clients, one stdout line each, flushed at once" {
	srv
	local i pids=()
	for i in 1 2 3; do
		timeout 10 "$ACORE" echo-client -m "client $i" -o "$TMP/c$i" \
		    127.0.0.1 "$PORT" 3>&- &
		pids+=("$!")
	done
	for i in 0 1 2; do wait "${pids[$i]}"; done
	for i in 1 2 3; do [ "$(cat "$TMP/c$i")" = "client $i" ]; done
	# Read while the server still runs: stdout is line-buffered.
	[ "$(grep -c "^Incoming connection from ('127.0.0.1', [0-9]*)$" "$TMP/srv.out")" -eq 3 ]
	[ "$(wc -l <"$TMP/srv.out")" -eq 3 ]
	[ "$(sort -u "$TMP/srv.out" | wc -l)" -eq 3 ]
	srv_stop
	[ "$SSTATUS" -eq 0 ]
	[ ! -s "$TMP/srv.err" ]
}

@test "docs server -v logs EchoServer and EchoHandler lines" {
	srv -v
	acore echo-client -m hello 127.0.0.1 "$PORT"
	srv_stop INT
	[ "$SSTATUS" -eq 0 ]
	grep -q "^EchoServer: binding to ('127.0.0.1', $PORT)$" "$TMP/srv.err"
	grep -q "^EchoServer: handle_accept() -> ('127.0.0.1', [0-9]*)$" "$TMP/srv.err"
	grep -q "^EchoHandler('127.0.0.1', $PORT): handle_read() -> (5) \"hello\"$" "$TMP/srv.err"
	grep -q "^EchoHandler('127.0.0.1', $PORT): handle_close()$" "$TMP/srv.err"
}

# The server is held stopped while the 200 connect (a loaded machine may
# starve it for seconds): the default backlog must queue them all.
@test "200 concurrent clients each echo 1 MiB of random data byte for byte" {
	head -c 1048576 /dev/urandom >"$TMP/rand"
	srv
	local i pids=() fails=0 queued=0
	# SIGCONT whatever happens (teardown's SIGTERM would wait for ever).
	kill -STOP "$SPID"
	for i in $(seq 200); do
		timeout 60 "$ACORE" echo-client --chunk-size 64k -f "$TMP/rand" \
		    127.0.0.1 "$PORT" 3>&- &
		pids+=("$!")
	done
	wait_queued "$PORT" 200 60 || queued=$?
	kill -CONT "$SPID"
	[ "$queued" -eq 0 ]
	for i in "${pids[@]}"; do wait "$i" || fails=$((fails + 1)); done
	[ "$fails" -eq 0 ]
	# echo-client compares; check its own output path on one as well.
	acore echo-client --chunk-size 64k -f "$TMP/rand" -o "$TMP/back" \
	    127.0.0.1 "$PORT"
	cmp "$TMP/rand" "$TMP/back"
	[ "$(wc -l <"$TMP/srv.out")" -eq 201 ]
	srv_stop
	[ "$SSTATUS" -eq 0 ]
}

# 1000 clients connect at once while the server is held stopped (as a
# loaded machine may starve it): every handshake must wait in the listen
# queue, the system's most by default, until the server accepts again.
# With the docs' --backlog 5 the kernel queues 6 and drops the rest.
@test "1000 clients at once to a default server: every one is echoed" {
	[ "$(cat /proc/sys/net/core/somaxconn)" -ge 1000 ] ||
	    skip "net.core.somaxconn is below 1000"
	srv
	kill -STOP "$SPID"
	python3 - "$PORT" 1000 >"$TMP/burst" 2>&1 3>&- <<'EOF' &
import selectors, socket, sys, time

port, n = int(sys.argv[1]), int(sys.argv[2])
sel = selectors.DefaultSelector()
for i in range(n):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", port))
    sel.register(s, selectors.EVENT_WRITE, [b"client %d\n" % i, b""])
echoed = 0
deadline = time.monotonic() + 60
while sel.get_map() and time.monotonic() < deadline:
    for key, ev in sel.select(1):
        s, (msg, got) = key.fileobj, key.data
        try:
            if ev & selectors.EVENT_WRITE:
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    raise OSError(err, "connect")
                s.send(msg)
                sel.modify(s, selectors.EVENT_READ, key.data)
                continue
            b = s.recv(64)
            if not b:
                raise OSError(0, "closed")
            key.data[1] = got = got + b
            if not msg.startswith(got):
                raise OSError(0, "wrong bytes %r" % got)
            if got != msg:
                continue
            echoed += 1
        except OSError as e:
            print("%r: %s" % (msg, e))
        sel.unregister(s)
        s.close()
print("%d of %d echoed" % (echoed, n))
EOF
	local cpid=$!
	PIDS+=("$cpid")
	wait_queued "$PORT" 1000 20
	kill -CONT "$SPID"
	wait "$cpid"
	[ "$(cat "$TMP/burst")" = "1000 of 1000 echoed" ]
	[ "$(grep -c "^Incoming connection from " "$TMP/srv.out")" -eq 1000 ]
	srv_stop
	[ "$SSTATUS" -eq 0 ]
}

@test "default address is localhost port 8080, backlog the system's most" {
	lock_port 8080
	if ss -ltn | grep -q '127.0.0.1:8080 '; then
		skip "port 8080 is in use here"
	fi
	acore_argv
	"${ACORE_ARGV[@]}" echo-server -v >"$TMP/srv.out" 2>"$TMP/srv.err" 3>&- &
	SPID=$!
	PIDS+=("$SPID")
	local i
	for i in $(seq 400); do
		grep -q binding "$TMP/srv.err" && break
		sleep 0.05
	done
	grep -qx "EchoServer: binding to ('127.0.0.1', 8080)" "$TMP/srv.err"
	local most
	most=$(cat /proc/sys/net/core/somaxconn)
	[ "$most" -le 65535 ] || most=65535
	ss -ltn | grep -q "^LISTEN *0 *$most *127.0.0.1:8080 "
	srv_stop
	[ "$SSTATUS" -eq 0 ]
}

@test "--backlog N is the listen queue length; the docs' 5 is one option away" {
	srv --backlog 5
	[ "$(ss -Hltn "sport = :$PORT" | awk '{ print $3 }')" = 5 ]
	srv_stop
	[ "$SSTATUS" -eq 0 ]
}

# ------------------------------------------------------------ real peers

@test "nc and socat as clients of echo-server" {
	srv
	run bash -c "printf 'hello nc\n' | timeout 10 nc -N 127.0.0.1 $PORT"
	assert_success
	assert_output 'hello nc'
	head -c 300000 /dev/urandom >"$TMP/rand"
	timeout 10 socat -t 5 - "TCP:127.0.0.1:$PORT" <"$TMP/rand" >"$TMP/back"
	cmp "$TMP/rand" "$TMP/back"
	srv_stop
	[ "$SSTATUS" -eq 0 ]
}

@test "echo-client against socat EXEC:cat and ncat --exec /bin/cat" {
	local port
	port=$(free_port)
	socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" EXEC:cat 3>&- &
	PIDS+=("$!")
	for _ in $(seq 400); do ss -ltn | grep -q ":$port " && break; sleep 0.05; done
	acore echo-client -f "$DATA/lorem.txt" -o "$TMP/back" 127.0.0.1 "$port"
	cmp "$DATA/lorem.txt" "$TMP/back"
	head -c 200000 /dev/urandom >"$TMP/rand"
	acore echo-client --chunk-size 4096 -f "$TMP/rand" -o "$TMP/back" \
	    127.0.0.1 "$port"
	cmp "$TMP/rand" "$TMP/back"
	# ncat --exec itself stalls now and then on bulk data (nc(1) sees
	# the same), so it gets the article's message only.  It drops what
	# cat still owes once it sees end of input: --late-shutdown waits
	# for the whole echo before shutting down.
	port=$(free_port)
	ncat -l -k --exec /bin/cat 127.0.0.1 "$port" 3>&- &
	PIDS+=("$!")
	for _ in $(seq 400); do ss -ltn | grep -q ":$port " && break; sleep 0.05; done
	acore echo-client --late-shutdown -v -f "$DATA/lorem.txt" \
	    127.0.0.1 "$port" 2>"$TMP/err"
	grep -qx 'EchoClient: RECEIVED COPY OF MESSAGE' "$TMP/err"
}

# ------------------------------------------------------- server behaviour

@test "half-close: the whole echo arrives after the client shuts down writing" {
	srv
	run timeout 40 python3 "$PEER" halfclose "$PORT" 4194304
	assert_success
	assert_output 'ok 4194304'
	srv --once --chunk-size 256
	run timeout 40 python3 "$PEER" halfclose "$PORT" 100000
	assert_success
	assert_output 'ok 100000'
}

# noread_bounded ARGS...: a server with ARGS keeps its memory bounded while
# a client sends and never reads.
noread_bounded() {
	srv "$@"
	local rss0 rss1 sent
	rss0=$(awk '/^VmRSS/ { print $2 }' "/proc/$SPID/status")
	rm -f "$TMP/noread"
	python3 "$PEER" noread "$PORT" >"$TMP/noread" 3>&- &
	PIDS+=("$!")
	wait_for_file "$TMP/noread" 30
	rss1=$(awk '/^VmRSS/ { print $2 }' "/proc/$SPID/status")
	# It sent what the kernel buffers and the 1 MiB high-water mark take,
	# then the server stopped reading.
	sent=$(sed -n 's/^sent //p' "$TMP/noread")
	echo "$*: rss before $rss0 KiB, after $rss1 KiB, sent $sent" >&3
	[ "$sent" -gt 1048576 ]
	[ "$sent" -lt 33554432 ]
	# ASan's quarantine keeps freed memory resident: no RSS bound there.
	if ! grep -q __asan_init "$ACORE_BUILDDIR/.libs/acore" 2>/dev/null; then
		[ $((rss1 - rss0)) -lt 4096 ]
	fi
}

@test "a client that never reads: the server stops reading, memory stays bounded" {
	[ "${ACORE_VALGRIND:-0}" != 1 ] || skip "RSS means nothing under valgrind"
	noread_bounded
	# And the server still serves others meanwhile.
	acore echo-client -m still 127.0.0.1 "$PORT"
	noread_bounded --once --chunk-size 4096
}

# Time is what is tested, so the margins are wide: a busy client's lines
# come 0.4 s apart against an idle limit of 2 s (0.3 s against 0.5 s was
# a race on a loaded machine), and a silent one may be closed late.
@test "--idle-timeout closes a silent client, not a busy one" {
	srv -i 2
	run timeout 15 python3 "$PEER" idle "$PORT" 8
	assert_success
	assert_output --regexp '^closed after (1\.[5-9]|[2-7]\.[0-9])$'
	# A client that keeps talking, longer than the limit, is not idle.
	run bash -c "{ for i in 1 2 3 4 5 6 7 8; do echo \$i; sleep 0.4; done; } |
	    timeout 15 nc -N 127.0.0.1 $PORT"
	assert_success
	assert_output "$(printf '1\n2\n3\n4\n5\n6\n7\n8')"
}

@test "--max-conns: a client over the limit is refused, not left hanging" {
	srv --max-conns 2
	run timeout 20 python3 "$PEER" maxconns "$PORT" 2
	assert_success
	assert_output ok
}

@test "SIGTERM and SIGINT: stop accepting, close clients, exit 0" {
	srv
	python3 "$PEER" hold "$PORT" >"$TMP/hold" 3>&- &
	local hpid=$!
	PIDS+=("$hpid")
	wait_for_file "$TMP/hold" 10
	srv_stop TERM
	[ "$SSTATUS" -eq 0 ]
	wait "$hpid"
	[ "$(cat "$TMP/hold")" = "$(printf 'connected\neof')" ]
	run timeout 5 nc -z 127.0.0.1 "$PORT"
	assert_failure
	srv
	srv_stop INT
	[ "$SSTATUS" -eq 0 ]
}

# ------------------------------------------------------------ server errors

@test "echo-server: address in use, unresolvable, not local, not permitted" {
	srv
	run --separate-stderr acore echo-server -p "$PORT"
	assert_failure 12
	[ "$stderr" = "acore: echo-server: cannot listen on localhost port $PORT: Address already in use" ]
	run --separate-stderr acore echo-server -b "$UNRESOLVABLE" -p 0
	assert_failure 4
	[ "$stderr" = "acore: echo-server: cannot resolve $UNRESOLVABLE: Name or service not known" ]
	local addr
	addr=$(nonlocal_addr)
	[ -n "$addr" ]
	run --separate-stderr acore echo-server -b "$addr" -p 0
	assert_failure 12
	[ "$stderr" = "acore: echo-server: cannot listen on $addr port 0: Cannot assign requested address" ]
	if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
		# Root without the capability to bind low ports: as nobody
		# instead it could not even reach a build under a 0700
		# directory (mktemp -d), and the case failed for that.
		run --separate-stderr setpriv --bounding-set -net_bind_service \
		    timeout -k 5 60 "$ACORE" echo-server -p 1
		assert_failure 12
		[ "$stderr" = "acore: echo-server: cannot listen on localhost port 1: Permission denied" ]
	fi
	run --separate-stderr acore echo-server -U /nonexistent/dir/sock
	assert_failure 12
	[ "$stderr" = "acore: echo-server: cannot listen on /nonexistent/dir/sock: No such file or directory" ]
}

@test "echo-server usage errors: the problem (then the usage line), exit 2" {
	run --separate-stderr acore echo-server -p 70000
	assert_failure 2
	[ "$stderr" = "acore: echo-server: port is too large: 70000" ]
	run --separate-stderr acore echo-server --bogus
	assert_failure 2
	[ "${stderr_lines[0]}" = "acore: echo-server: unknown option '--bogus'" ]
	[[ "${stderr_lines[1]}" == "usage: acore echo-server "* ]]
	run --separate-stderr acore echo-server --max-conns 0
	assert_failure 2
	[ "$stderr" = "acore: echo-server: max conns is too small: 0" ]
	run --separate-stderr acore echo-server -i -1
	assert_failure 2
	[ "$stderr" = "acore: echo-server: idle timeout is invalid: -1" ]
	run --separate-stderr acore echo-server -U "$TMP/s" -p 5
	assert_failure 2
	[ "${stderr_lines[0]}" = "acore: echo-server: -U cannot be used with -4, -6, -b, -p or --port-file" ]
	[[ "${stderr_lines[1]}" == "usage: acore echo-server "* ]]
	run --separate-stderr acore echo-server -4 -6
	assert_failure 2
	[ "${stderr_lines[0]}" = "acore: echo-server: -4 and -6 cannot be used together" ]
	[[ "${stderr_lines[1]}" == "usage: acore echo-server "* ]]
	[ "${#stderr_lines[@]}" -eq 2 ]
	run --separate-stderr acore echo-server extra
	assert_failure 2
	[ "$stderr" = "acore: echo-server: unknown port or service: extra" ]
	run --separate-stderr acore echo-server -l 127.0.0.1 7 8
	assert_failure 2
	[ "${stderr_lines[0]}" = "acore: echo-server: too many arguments: '8'" ]
	run --separate-stderr acore echo-server -p 7 8
	assert_failure 2
	[ "${stderr_lines[0]}" = "acore: echo-server: port given twice: -p and '8'" ]
	run --separate-stderr acore echo-server -p 0 --port-file /nonexistent/dir/port
	assert_failure 10
	[ "$stderr" = "acore: echo-server: /nonexistent/dir/port: No such file or directory" ]
}

# ------------------------------------------------------------ client errors

@test "echo-client: refused, DNS failure, missing Unix socket: one line each" {
	local port
	port=$(free_port)
	run --separate-stderr acore echo-client -m x 127.0.0.1 "$port"
	assert_failure 5
	[ "$stderr" = "acore: echo-client: connect to 127.0.0.1 port $port: Connection refused" ]
	run --separate-stderr acore echo-client -m x "$UNRESOLVABLE" 7
	assert_failure 4
	[ "$stderr" = "acore: echo-client: cannot resolve $UNRESOLVABLE port 7: Non-recoverable failure in name resolution" ]
	run --separate-stderr acore echo-client -m x -U "$TMP/nosock"
	assert_failure 5
	[ "$stderr" = "acore: echo-client: connect to $TMP/nosock: No such file or directory" ]
}

@test "echo-client: connect timeout (-w) and idle timeout (-i) exit 6" {
	peer_srv blackhole
	run --separate-stderr acore echo-client -w 0.5 -m x 127.0.0.1 "$PPORT"
	assert_failure 6
	[ "$stderr" = "acore: echo-client: connect to 127.0.0.1 port $PPORT: timed out after 0.5 s" ]
	peer_srv silent
	run --separate-stderr acore echo-client -i 0.5 -m x 127.0.0.1 "$PPORT"
	assert_failure 6
	[ "$stderr" = "acore: echo-client: no data from 127.0.0.1 port $PPORT: timed out after 0.5 s" ]
}

@test "echo-client: reset mid-stream and a short echo exit 7" {
	head -c 200000 /dev/urandom >"$TMP/rand"
	peer_srv reset
	run --separate-stderr acore echo-client --chunk-size 4096 -f "$TMP/rand" \
	    127.0.0.1 "$PPORT"
	assert_failure 7
	[ "$stderr" = "acore: echo-client: 127.0.0.1 port $PPORT closed the connection after 1000 of 200000 bytes echoed" ]
	peer_srv short
	run --separate-stderr acore echo-client -f "$DATA/lorem.txt" 127.0.0.1 "$PPORT"
	assert_failure 7
	[ "$stderr" = "acore: echo-client: 127.0.0.1 port $PPORT closed the connection after 368 of 737 bytes echoed" ]
}

@test "echo-client: a wrong echo is ERROR IN TRANSMISSION, exit 1" {
	peer_srv garble
	run --separate-stderr acore echo-client -v -f "$DATA/lorem.txt" 127.0.0.1 "$PPORT"
	assert_failure 1
	grep -qx "acore: echo-client: echo from 127.0.0.1 port $PPORT differs from the message at byte 100" <<<"$stderr"
	[[ "$stderr" == *$'\nEchoClient: ERROR IN TRANSMISSION\nEchoClient: EXPECTED "Lorem ipsum'* ]]
	grep -q '^EchoClient: RECEIVED "Lorem ipsum' <<<"$stderr"
	! grep -q 'RECEIVED COPY' <<<"$stderr"
}

@test "echo-client usage and local errors" {
	# usage_error PROBLEM ARGS...: exit 2, the problem, the usage line.
	usage_error() {
		local want=$1
		shift
		run --separate-stderr acore echo-client "$@"
		assert_failure 2
		[ "${stderr_lines[0]}" = "acore: echo-client: $want" ]
		[[ "${stderr_lines[1]}" == "usage: acore echo-client "* ]]
		[ "${#stderr_lines[@]}" -eq 2 ]
	}
	usage_error 'missing port' 127.0.0.1
	usage_error "'bad:host:port' is not HOST:PORT or [V6]:PORT" bad:host:port
	usage_error "'[::1:80' is not HOST:PORT or [V6]:PORT" '[::1:80'
	usage_error 'missing host and port' -m a
	usage_error "too many arguments: '8'" 127.0.0.1 7 8
	usage_error '-f and -m cannot be used together' -m a -f b 127.0.0.1 7
	usage_error '-4 and -6 cannot be used together' -4 -6 127.0.0.1 7
	usage_error '-U takes no host or port' -U "$TMP/s" 127.0.0.1 7
	usage_error '-U cannot be used with -4, -6 or -s' -U "$TMP/s" -s 127.0.0.1
	local long
	long=$TMP/$(printf '%0108d' 0)
	usage_error "-U path is longer than a socket address holds (107 bytes): '$long'" -U "$long"
	run --separate-stderr acore echo-client -m a 127.0.0.1 nosuchservice
	assert_failure 2
	[ "$stderr" = "acore: echo-client: unknown port or service: nosuchservice" ]
	run --separate-stderr acore echo-client -m a 127.0.0.1 0
	assert_failure 2
	[ "$stderr" = "acore: echo-client: port is too small: 0" ]
	run --separate-stderr acore echo-client -f "$TMP/missing" 127.0.0.1 7
	assert_failure 1
	[ "$stderr" = "acore: echo-client: $TMP/missing: No such file or directory" ]
	run --separate-stderr acore echo-client -m a -o /nonexistent/dir/out 127.0.0.1 7
	assert_failure 10
	[ "$stderr" = "acore: echo-client: /nonexistent/dir/out: No such file or directory" ]
}

# ------------------------------------------------------ client input/output

@test "echo-client message from stdin: pipe, regular file, /dev/null; binary-safe" {
	srv
	head -c 100000 /dev/urandom >"$TMP/rand"
	cat "$TMP/rand" | timeout 10 "$ACORE" echo-client -o - 127.0.0.1 "$PORT" >"$TMP/back"
	cmp "$TMP/rand" "$TMP/back"
	acore echo-client -o "$TMP/back2" 127.0.0.1 "$PORT" <"$TMP/rand"
	cmp "$TMP/rand" "$TMP/back2"
	run acore echo-client -v 127.0.0.1 "$PORT" </dev/null
	assert_success
	assert_line 'EchoClient: RECEIVED COPY OF MESSAGE'
	printf 'a\0b\r\n' >"$TMP/nul"
	acore echo-client -f "$TMP/nul" -o "$TMP/nulback" 127.0.0.1 "$PORT"
	cmp "$TMP/nul" "$TMP/nulback"
	srv_stop
	[ "$SSTATUS" -eq 0 ]
}

@test "echo-client with stdin, stdout or stderr closed: /dev/null in their place" {
	# The redirection inside the function: on `run` itself, bats' output
	# pipe would take the closed fd 0.
	no_stdin() { "$@" <&-; }
	srv
	run --separate-stderr no_stdin acore echo-client 127.0.0.1 "$PORT"
	assert_success
	[ -z "$stderr" ]
	run --separate-stderr no_stdin acore echo-client -o - 127.0.0.1 "$PORT"
	assert_success
	[ -z "$output" ] && [ -z "$stderr" ]
	run bash -c "'$ACORE' echo-client -m hello -o - 127.0.0.1 $PORT >&-"
	assert_failure 10
	assert_output "acore: echo-client: stdout: Bad file descriptor"
	# The binary itself: valgrind does not start (127) with stderr closed.
	timeout 20 "$ACORE" echo-client -v -m hello -o - 127.0.0.1 "$PORT" \
	    2>&- >"$TMP/out"
	[ "$(cat "$TMP/out")" = hello ]
	srv_stop
	[ "$SSTATUS" -eq 0 ]
	srv -u
	run --separate-stderr no_stdin acore echo-client -u 127.0.0.1 "$PORT"
	assert_success
	[ -z "$stderr" ]
	srv_stop
	[ "$SSTATUS" -eq 0 ]
}

@test "IPv6: -6 server on ::1 and echo-client -6" {
	python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' ||
	    skip "no IPv6 loopback"
	srv -6 -b ::1
	acore echo-client -6 -m six -o "$TMP/back" ::1 "$PORT"
	[ "$(cat "$TMP/back")" = six ]
	run acore echo-client -4 -m six ::1 "$PORT"
	assert_failure 4
	srv_stop
	grep -qx "Incoming connection from ('::1', [0-9]*, 0, 0)" "$TMP/srv.out"
}

@test "IPv6: the URL form [::1] is a literal for server and client alike" {
	python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null ||
	    skip "no IPv6 loopback"
	srv -b '[::1]'
	acore echo-client -m six -o "$TMP/back" '[::1]' "$PORT"
	[ "$(cat "$TMP/back")" = six ]
	run acore echo-client -m six '[::1' "$PORT"
	assert_failure 4
	srv_stop
	grep -qx "Incoming connection from ('::1', [0-9]*, 0, 0)" "$TMP/srv.out"
}

@test "Unix socket: -U server and client; the socket file goes at exit" {
	srv -U "$TMP/sock"
	local i
	for i in $(seq 100); do [ -S "$TMP/sock" ] && break; sleep 0.05; done
	acore echo-client -U "$TMP/sock" -f "$DATA/lorem.txt" -o "$TMP/back"
	cmp "$DATA/lorem.txt" "$TMP/back"
	run acore echo-server -U "$TMP/sock"
	assert_failure 12
	srv_stop
	[ "$SSTATUS" -eq 0 ]
	[ ! -e "$TMP/sock" ]
}

# ------------------------------------------------------- man page EXAMPLES

@test "acore-echo-server(1) EXAMPLES" {
	# acore echo-server --once -p 0 --chunk-size 256 --with-client lorem.txt -v
	run acore echo-server --once -p 0 --chunk-size 256 \
	    --with-client "$DATA/lorem.txt" -v
	assert_success
	assert_line 'EchoClient: RECEIVED COPY OF MESSAGE'
	# acore echo-server -p 0 --port-file port &  ...  kill %1
	srv
	acore echo-client -m 'hello, world' localhost "$PORT"
	srv_stop
	[ "$SSTATUS" -eq 0 ]
	# acore echo-server -U /tmp/echo.sock --max-conns 100 -i 60 &
	srv -U "$TMP/echo.sock" --max-conns 100 -i 60
	for i in $(seq 100); do [ -S "$TMP/echo.sock" ] && break; sleep 0.05; done
	run bash -c "printf 'over unix\n' | timeout 5 nc -N -U '$TMP/echo.sock'"
	assert_output 'over unix'
	srv_stop
}

@test "acore-echo-client(1) EXAMPLES" {
	srv
	# acore echo-client -m 'hello, world' localhost 8080
	run acore echo-client -v -m 'hello, world' localhost "$PORT"
	assert_success
	assert_line "EchoClient: connecting to ('localhost', $PORT)"
	assert_line 'EchoClient: RECEIVED COPY OF MESSAGE'
	# acore echo-client -f lorem.txt -o - localhost 8080
	run acore echo-client -f "$DATA/lorem.txt" -o - localhost "$PORT"
	assert_success
	[ "$output" = "$(cat "$DATA/lorem.txt")" ]
	# tar cf - dir | acore echo-client -w 5 -i 10 -o - localhost 8080 | tar tf -
	mkdir "$TMP/dir"
	cp "$DATA/lorem.txt" "$TMP/dir"
	run bash -c "cd '$TMP' && tar cf - dir | timeout 20 '$ACORE' echo-client -w 5 -i 10 -o - localhost $PORT | tar tf -"
	assert_success
	assert_line 'dir/lorem.txt'
	srv_stop
}
