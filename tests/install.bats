#!/usr/bin/env bats
# make install / uninstall into a scratch DESTDIR, and the examples/ programs
# built against the installed library with pkg-config alone.

bats_require_minimum_version 1.8.0
load helper

setup_file() {
	export DEST=$BATS_FILE_TMPDIR/dest
	make -s -C "$ACORE_BUILDDIR" install DESTDIR="$DEST" >/dev/null 2>&1
	export ROOT=$DEST${ACORE_PREFIX:-/usr/local}
}

teardown_file() {
	make -s -C "$ACORE_BUILDDIR" uninstall DESTDIR="$DEST" >/dev/null 2>&1 || true
}

pc() {
	PKG_CONFIG_PATH=$ROOT/lib/pkgconfig pkg-config \
	    --define-variable=prefix="$ROOT" "$@" libacore
}

@test "install puts the binary, library, header, .pc and man pages in place" {
	[ -x "$ROOT/bin/acore" ]
	[ -f "$ROOT/include/acore.h" ]
	[ -f "$ROOT/lib/pkgconfig/libacore.pc" ]
	ls "$ROOT"/lib/libacore.so.* >/dev/null
	[ -f "$ROOT/lib/libacore.a" ]
	[ -f "$ROOT/share/man/man1/acore.1" ]
	[ -f "$ROOT/share/man/man1/acore-cat-file.1" ]
	[ -f "$ROOT/share/man/man3/libacore.3" ]
	[ -f "$ROOT/share/bash-completion/completions/acore" ]
}

@test "the installed acore runs against the installed library" {
	run env LD_LIBRARY_PATH="$ROOT/lib" "$ROOT/bin/acore" --version
	assert_success
	assert_output --regexp '^acore [0-9]'
}

@test "libacore exports only acore_* symbols" {
	run sh -c "nm -D --defined-only '$ROOT'/lib/libacore.so | awk '{ print \$3 }' | grep -v '^acore_'"
	assert_output ''
	run sh -c "nm -D --defined-only '$ROOT'/lib/libacore.so | grep -c ' acore_'"
	[ "$output" -gt 40 ]
}

@test "libacore.pc: libevent is private, the header needs no libevent" {
	grep -q '^Requires.private: libevent' "$ROOT/lib/pkgconfig/libacore.pc"
	! grep -q 'event2/' "$ROOT/include/acore.h"
	[ "$(pc --libs | xargs)" = "-L$ROOT/lib -lacore" ]
}

# The configure-time compiler and flags: a sanitizer build's library
# needs the same runtime in the program.
build_example() {
	${ACORE_CC:-cc} ${ACORE_CFLAGS:-} -std=c11 -Wall -Wextra -Werror \
	    -D_GNU_SOURCE "$ACORE_SRCDIR/examples/$1.c" $(pc --cflags --libs) \
	    ${ACORE_LDFLAGS:-} -o "$BATS_TEST_TMPDIR/$1"
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

@test "examples/echo-server.c builds with pkg-config and echoes" {
	build_example echo-server
	port=$(free_port)
	LD_LIBRARY_PATH=$ROOT/lib bg_start srv "$BATS_TEST_TMPDIR/echo-server" "$port"
	head -c 200000 /dev/urandom > "$BATS_TEST_TMPDIR/in"
	for i in $(seq 50); do
		timeout 10 nc.openbsd -N 127.0.0.1 "$port" < "$BATS_TEST_TMPDIR/in" \
		    > "$BATS_TEST_TMPDIR/out" 2>/dev/null && break
		sleep 0.1
	done
	bg_stop "$srv"
	cmp "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/out"
}

@test "examples/fetch.c builds with pkg-config and fetches from a real server" {
	build_example fetch
	port=$(free_port)
	mkdir -p "$BATS_TEST_TMPDIR/www"
	echo 'hello from the test server' > "$BATS_TEST_TMPDIR/www/hello.txt"
	bg_start srv python3 -m http.server --bind 127.0.0.1 \
	    --directory "$BATS_TEST_TMPDIR/www" "$port"
	for i in $(seq 50); do
		LD_LIBRARY_PATH=$ROOT/lib run timeout 10 "$BATS_TEST_TMPDIR/fetch" 127.0.0.1 "$port" /hello.txt
		[ "$status" -eq 0 ] && break
		sleep 0.1
	done
	bg_stop "$srv"
	assert_success
	assert_line --regexp '^HTTP/1\.[01] 200 OK'
	assert_line 'hello from the test server'
}

@test "examples/chat-server.c builds with pkg-config and relays lines" {
	build_example chat-server
	port=$(free_port)
	LD_LIBRARY_PATH=$ROOT/lib bg_start srv "$BATS_TEST_TMPDIR/chat-server" "$port"
	run timeout 20 python3 - "$port" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
for _ in range(100):
    try:
        a = socket.create_connection(("127.0.0.1", port)); break
    except OSError:
        time.sleep(0.05)
b = socket.create_connection(("127.0.0.1", port))
time.sleep(0.2)                      # both are members before anyone talks
a.sendall(b"hello\r\nsecond line\n")
want = "('127.0.0.1', %d): hello\n('127.0.0.1', %d): second line\n" % (
    a.getsockname()[1], a.getsockname()[1])
got = b""
b.settimeout(10)
while len(got) < len(want):
    chunk = b.recv(4096)
    if not chunk: break
    got += chunk
print(got.decode() == want)
print(got.decode())
PY
	bg_stop "$srv"
	assert_success
	assert_line --index 0 'True'
}

@test "examples/forward.c builds with pkg-config and relays both ways, half-closes passed on" {
	build_example forward
	cd "$BATS_TEST_TMPDIR"
	acore echo-server -p 0 --port-file eport --pid-file epid --background
	port=$(free_port)
	LD_LIBRARY_PATH=$ROOT/lib bg_start fwd "$BATS_TEST_TMPDIR/forward" \
	    "$port" 127.0.0.1 "$(cat eport)" 2>"$BATS_TEST_TMPDIR/fwd.err"
	# 3 MB one way, then nc -N's half-close: the echo server sees the end
	# only through forward's acore_shutdown_when_done, and its echo must
	# still come back through the half-closed connection.
	head -c 3000000 /dev/urandom >in
	for i in $(seq 50); do
		timeout 20 nc.openbsd -N 127.0.0.1 "$port" <in >out 2>/dev/null &&
		    [ -s out ] && break
		sleep 0.1
	done
	printf 'hello\n' | timeout 10 nc.openbsd -N 127.0.0.1 "$port" >out2
	# Nothing listening behind it: the client's connection just ends.
	# kill(1) returns before the server has gone: wait until it has (its
	# listener closed), else forward may still reach it.
	epid=$(cat epid)
	kill "$epid"
	for i in $(seq 200); do
		kill -0 "$epid" 2>/dev/null || break
		sleep 0.05
	done
	! kill -0 "$epid" 2>/dev/null
	run timeout 10 nc.openbsd -N 127.0.0.1 "$port" </dev/null
	bg_stop "$fwd"
	cmp in out
	[ "$(cat out2)" = hello ]
	assert_success
	assert_output ''
	run cat "$BATS_TEST_TMPDIR/fwd.err"
	assert_output 'forward: forward: Connection refused'
}

@test "libacore(3) EXAMPLES: the echo server builds as printed and echoes" {
	awk '/^\.Sh EXAMPLES/ { ex = 1 } ex && /^\.Ed/ { exit }
	    ex && go { print } ex && /^\.Bd -literal/ { go = 1 }' \
	    "$ACORE_SRCDIR/man/libacore.3" > "$BATS_TEST_TMPDIR/echo.c"
	grep -q '^main(int argc' "$BATS_TEST_TMPDIR/echo.c"
	${ACORE_CC:-cc} ${ACORE_CFLAGS:-} -std=c11 -D_GNU_SOURCE \
	    "$BATS_TEST_TMPDIR/echo.c" $(pc --cflags --libs) ${ACORE_LDFLAGS:-} \
	    -o "$BATS_TEST_TMPDIR/echo"
	port=$(free_port)
	LD_LIBRARY_PATH=$ROOT/lib bg_start srv "$BATS_TEST_TMPDIR/echo" "$port"
	for i in $(seq 50); do
		out=$(printf 'ping\n' | timeout 10 nc.openbsd -N 127.0.0.1 "$port" 2>/dev/null) && [ -n "$out" ] && break
		sleep 0.1
	done
	bg_stop "$srv"
	[ "$out" = ping ]
}

@test "make uninstall removes every installed file" {
	make -s -C "$ACORE_BUILDDIR" uninstall DESTDIR="$DEST" >/dev/null 2>&1
	run find "$DEST" -type f
	assert_output ''
	make -s -C "$ACORE_BUILDDIR" install DESTDIR="$DEST" >/dev/null 2>&1
}
