#!/usr/bin/env bats
# echo-server in scripts: the port and pid files (whole or absent, gone at
# exit), --background (returns once the server accepts connections), the
# man page's script patterns as printed, and README's bats example.

bats_require_minimum_version 1.8.0
load helper
load echo-helper

# stop_pidfile FILE: SIGTERM the server whose pid FILE holds; wait (bounded)
# until it is gone.
stop_pidfile() {
	local pid
	pid=$(cat "$1")
	kill "$pid"
	timeout 10 tail --pid="$pid" -f /dev/null
}

# man_examples PATTERN DIR: each EXAMPLES block of acore-echo-server(1)
# that mentions PATTERN becomes DIR/N.sh: its "$ " commands and their
# continuation lines, \e read as the page prints it; prints the count.
man_examples() {
	awk -v pat="$1" -v dir="$2" '
	/^\.Sh EXAMPLES/ { ex = 1 }
	ex && /^\.Bd -literal/ { inb = 1; blk = ""; cont = 0; next }
	ex && /^\.Ed/ {
		if (inb && index(blk, pat)) {
			f = dir "/" n++ ".sh"
			printf "set -e\n%s", blk >f
			close(f)
		}
		inb = 0
		next
	}
	inb {
		line = $0
		gsub(/\\e/, "\\", line)
		if (line ~ /^\$ /) {
			sub(/^\$ /, "", line)
			blk = blk line "\n"
		} else if (cont)
			blk = blk line "\n"
		cont = (line ~ /(\\|&&|\|)$/)
	}
	END { print n + 0 }' "$ACORE_SRCDIR/man/acore-echo-server.1"
}

@test "--background returns once the server accepts connections" {
	mkdir "$TMP/d" && cd "$TMP/d"
	local i
	# No retry, no wait: connecting right away must work, every time.
	for i in 1 2 3 4 5; do
		acore echo-server -p 0 --port-file port --pid-file pid --background
		acore echo-client -m "try $i" 127.0.0.1 "$(cat port)"
		[ "$(cat pid)" -gt 1 ]
		stop_pidfile pid
		[ ! -e port ]
		[ ! -e pid ]
	done
	# Nothing left behind: no temporary names.
	[ -z "$(ls -A)" ]
}

@test "--background: the server holds no caller descriptor; \$(...) returns" {
	mkdir "$TMP/d" && cd "$TMP/d"
	run --separate-stderr timeout 10 "$ACORE" echo-server -p 0 \
	    --port-file port --pid-file pid --background
	assert_success
	[ -z "$output" ]
	[ -z "$stderr" ]
	[ "$(readlink "/proc/$(cat pid)/fd/1")" = /dev/null ]
	local fd ours
	ours=$(readlink /proc/$$/fd/3)
	for fd in /proc/"$(cat pid)"/fd/*; do
		[ "$(readlink "$fd")" != "$ours" ]
	done
	stop_pidfile pid
}

@test "--background: a server that cannot listen fails in the foreground" {
	local addr
	addr=$(nonlocal_addr)
	[ -n "$addr" ]
	mkdir "$TMP/d" && cd "$TMP/d"
	run --separate-stderr acore echo-server -b "$addr" -p 0 \
	    --port-file port --pid-file pid --background
	assert_failure 12
	[ "$stderr" = "acore: echo-server: cannot listen on $addr port 0: Cannot assign requested address" ]
	[ -z "$(ls -A)" ]
}

@test "the port file replaces a stale one whole and goes at exit" {
	mkdir "$TMP/d" && cd "$TMP/d"
	echo 1 >port
	srv_in_dir() {
		acore_argv
		"${ACORE_ARGV[@]}" echo-server -p 0 --port-file port \
		    --pid-file pid 2>err 3>&- &
		SPID=$!
		PIDS+=("$SPID")
	}
	srv_in_dir
	# The stale port stays until the new one replaces it, never empty.
	# Up to 60 s: valgrind's start on a loaded machine has taken more
	# than the 10 s this waited, and the test then failed.
	local p i
	for i in $(seq 1200); do
		p=$(cat port)
		[[ "$p" =~ ^[0-9]+$ ]]
		[ "$p" != 1 ] && break
		sleep 0.05
	done
	[ "$p" != 1 ]
	[ "$(cat pid)" = "$SPID" ]
	acore echo-client -m hi 127.0.0.1 "$p"
	srv_stop INT
	[ "$SSTATUS" -eq 0 ]
	[ ! -e port ]
	[ ! -e pid ]
	[ ! -s err ]
}

@test "--pid-file that cannot be written: exit 10, the port file removed" {
	mkdir "$TMP/d" && cd "$TMP/d"
	run --separate-stderr acore echo-server -p 0 --port-file port \
	    --pid-file /nonexistent/dir/pid
	assert_failure 10
	[ "$stderr" = "acore: echo-server: /nonexistent/dir/pid: No such file or directory" ]
	[ -z "$(ls -A)" ]
}

# Device nodes of our own, not /dev's: a server that replaced or removed
# its --port-file would take /dev/full from every other process here.
mknod_or_skip() {
	mknod "$1" c "$2" "$3" 2>/dev/null && [ -c "$1" ] ||
	    skip "cannot make device nodes here"
}

@test "--port-file and --pid-file on devices: written in place, never replaced or removed" {
	mknod_or_skip "$TMP/full" 1 7
	mknod_or_skip "$TMP/null" 1 3
	# A write error on the device is reported: exit 10, the device stays.
	run --separate-stderr acore echo-server -p 0 --port-file "$TMP/full"
	assert_failure 10
	[ "$stderr" = "acore: echo-server: $TMP/full: No space left on device" ]
	[ -c "$TMP/full" ]
	srv --pid-file "$TMP/null"
	acore echo-client -m hi 127.0.0.1 "$PORT"
	srv_stop
	[ "$SSTATUS" -eq 0 ]
	[ -c "$TMP/null" ]
	[ ! -s "$TMP/srv.err" ]
}

@test "--port-file on a FIFO: the reader gets the port, the FIFO stays" {
	mkfifo "$TMP/fifo"
	acore_argv
	"${ACORE_ARGV[@]}" echo-server -p 0 --port-file "$TMP/fifo" \
	    2>"$TMP/err" >/dev/null 3>&- &
	SPID=$!
	PIDS+=("$SPID")
	local p
	# valgrind's start on a loaded machine has taken more than 10 s
	p=$(timeout 60 cat "$TMP/fifo")
	[[ "$p" =~ ^[0-9]+$ ]]
	acore echo-client -m hi 127.0.0.1 "$p"
	srv_stop
	[ "$SSTATUS" -eq 0 ]
	[ -p "$TMP/fifo" ]
	[ ! -s "$TMP/err" ]
}

@test "--port-file on a FIFO nobody reads: SIGTERM and SIGINT still stop the server, status 0" {
	local sig rc
	acore_argv
	for sig in TERM INT; do
		rm -f "$TMP/fifo"
		mkfifo "$TMP/fifo"
		"${ACORE_ARGV[@]}" echo-server -p 0 --pid-file "$TMP/pid" \
		    --port-file "$TMP/fifo" 2>"$TMP/err" >/dev/null 3>&- &
		SPID=$!
		PIDS+=("$SPID")
		# The pid file first, then open(2) of the FIFO, waiting for
		# a reader: the kernel says where the server sleeps.
		wait_for_file "$TMP/pid" 60
		for _ in $(seq 1200); do
			[ "$(cat "/proc/$SPID/wchan")" = wait_for_partner ] && break
			sleep 0.05
		done
		[ "$(cat "/proc/$SPID/wchan")" = wait_for_partner ]
		kill -"$sig" "$SPID"
		# bounded: a server that restarts its open(2) never ends
		rc=0
		timeout 20 tail --pid="$SPID" -f /dev/null || rc=$?
		[ "$rc" -eq 0 ] || kill -KILL "$SPID"
		[ "$rc" -eq 0 ]
		wait "$SPID"	# status 0
		[ -p "$TMP/fifo" ]
		[ ! -e "$TMP/pid" ]
		[ ! -s "$TMP/err" ]
	done
}

@test "--port-file through a link of ours such as /dev/stdout: in place, the link stays" {
	# What /dev/stdout is, made here: the real one must not be put at
	# risk by a server that would replace it.
	ln -s /proc/self/fd/1 "$TMP/stdout"
	acore_argv
	"${ACORE_ARGV[@]}" echo-server -p 0 --port-file "$TMP/stdout" \
	    --pid-file "$TMP/pid" >"$TMP/out" 2>"$TMP/err" 3>&- &
	SPID=$!
	PIDS+=("$SPID")
	wait_for_file "$TMP/out" 20
	PORT=$(head -n 1 "$TMP/out")
	[[ "$PORT" =~ ^[0-9]+$ ]]
	acore echo-client -m hi 127.0.0.1 "$PORT"
	srv_stop
	[[ "$(sed 1d "$TMP/out")" =~ ^"Incoming connection from ('127.0.0.1', "[0-9]+")"$ ]]
	[ ! -s "$TMP/err" ]
	# A link of ours to a file: the file is rewritten, link and file stay.
	echo 123456789 >"$TMP/real"
	ln -s real "$TMP/link"
	srv --pid-file "$TMP/link"
	[ "$(cat "$TMP/real")" = "$SPID" ]
	srv_stop
	[ "$SSTATUS" -eq 0 ]
	[ "$(readlink "$TMP/link")" = real ]
	[ "$(cat "$TMP/real")" = "$SPID" ]
	[ "$SSTATUS" -eq 0 ]
	[ "$(readlink "$TMP/stdout")" = /proc/self/fd/1 ]
	[ ! -e "$TMP/pid" ]
}

@test "planted links: the old PATH.PID.tmp name is not written through; another user's link in a sticky directory is replaced" {
	mkdir "$TMP/d"
	echo precious >"$TMP/victim"
	# The pid is the shell's, which exec makes acore's.
	acore_argv
	bash -c 'ln -s "$0/victim" "$0/d/port.$$.tmp" && exec "$@"' "$TMP" \
	    "${ACORE_ARGV[@]}" echo-server -p 0 --port-file "$TMP/d/port" \
	    >/dev/null 2>"$TMP/err" 3>&- &
	SPID=$!
	PIDS+=("$SPID")
	wait_for_file "$TMP/d/port" 20
	[ "$(cat "$TMP/victim")" = precious ]
	srv_stop
	[ "$SSTATUS" -eq 0 ]
	[ "$(cat "$TMP/victim")" = precious ]
	[ -L "$TMP/d/port.$SPID.tmp" ]
	[ ! -e "$TMP/d/port" ]
	# A sticky, world-writable directory (/tmp) and a link there of
	# another user's: never followed, as fs.protected_symlinks would not.
	mkdir -m 1777 "$TMP/sticky"
	ln -s "$TMP/victim" "$TMP/sticky/port"
	chown -h nobody "$TMP/sticky/port" 2>/dev/null || skip "cannot chown"
	srv --pid-file "$TMP/sticky/port"
	[ "$(cat "$TMP/victim")" = precious ]
	[ ! -L "$TMP/sticky/port" ]
	[ "$(cat "$TMP/sticky/port")" = "$SPID" ]
	srv_stop
	[ "$SSTATUS" -eq 0 ]
	[ ! -e "$TMP/sticky/port" ]
	[ "$(cat "$TMP/victim")" = precious ]
}

@test "--pid-file: another user's FIFO in a sticky directory, made a link between the look and the write, is not written through" {
	[ "${ACORE_VALGRIND:-0}" != 1 ] || skip "strace stops valgrind, not the server's calls"
	command -v strace >/dev/null || skip "no strace"
	mkdir -m 1777 "$TMP/sticky"
	echo precious >"$TMP/victim"
	mkfifo "$TMP/sticky/pid"
	chown nobody "$TMP/sticky/pid" 2>/dev/null || skip "cannot chown"
	# strace stops the server (SIGSTOP) just after its first look at
	# the name "pid", whatever call looks; the other user then makes
	# the FIFO a link to the victim and the server goes on.
	cd "$TMP/sticky"
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	LD_LIBRARY_PATH=$ACORE_BUILDDIR/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
	    strace -qq -o "$TMP/trace" -P pid -e trace=newfstatat,openat \
	    -e inject=newfstatat:signal=SIGSTOP:when=1 \
	    "$ACORE_BUILDDIR/.libs/acore" echo-server -p 0 \
	    --port-file "$TMP/port" --pid-file pid >/dev/null 2>"$TMP/err" 3>&- &
	SPID=$!
	PIDS+=("$SPID")
	for _ in $(seq 200); do
		grep -q 'stopped by SIGSTOP' "$TMP/trace" 2>/dev/null && break
		sleep 0.05
	done
	grep -q 'stopped by SIGSTOP' "$TMP/trace"
	local srv
	srv=$(cat "/proc/$SPID/task/$SPID/children")
	srv=${srv% }
	PIDS+=("$srv")
	rm pid
	ln -s "$TMP/victim" pid
	chown -h nobody pid
	kill -CONT "$srv"
	wait_for_file "$TMP/port" 20
	[ "$(cat "$TMP/victim")" = precious ]
	[ ! -L pid ]
	[ "$(cat pid)" = "$srv" ]
	kill -TERM "$srv"
	wait "$SPID"
	[ ! -e pid ]
	[ "$(cat "$TMP/victim")" = precious ]
	# strace says where -P pid led; the server said nothing
	[ -z "$(grep -v '^strace: ' "$TMP/err")" ]
}

@test "--pid-file of a running server: a second one refuses, exit 12, the files stay" {
	# A stale pid file (no server holds it) is replaced.
	echo 999999 >"$TMP/pid"
	srv --pid-file "$TMP/pid"
	[ "$(cat "$TMP/pid")" = "$SPID" ]
	run --separate-stderr acore echo-server -p 0 --pid-file "$TMP/pid" \
	    --port-file "$TMP/port"
	assert_failure 12
	[ "$stderr" = "acore: echo-server: $TMP/pid: in use by a running server, pid $SPID" ]
	[ "$(cat "$TMP/pid")" = "$SPID" ]
	[ "$(cat "$TMP/port")" = "$PORT" ]
	acore echo-client -m hi 127.0.0.1 "$PORT"
	srv_stop
	[ "$SSTATUS" -eq 0 ]
	[ ! -e "$TMP/pid" ]
	[ ! -e "$TMP/port" ]
}

@test "at exit a file is removed only if it is still the one we wrote" {
	srv --pid-file "$TMP/pid"
	echo other >"$TMP/port.new"
	mv "$TMP/port.new" "$TMP/port"
	srv_stop
	[ "$SSTATUS" -eq 0 ]
	[ "$(cat "$TMP/port")" = other ]
	[ ! -e "$TMP/pid" ]
}

@test "acore-echo-server(1) EXAMPLES: the script patterns as printed" {
	[ "${ACORE_VALGRIND:-0}" != 1 ] || skip "runs acore from PATH"
	mkdir "$TMP/ex"
	[ "$(man_examples --port-file "$TMP/ex")" -eq 2 ]
	local f
	for f in "$TMP"/ex/*.sh; do
		mkdir "${f%.sh}.d"
		run bash -c "cd '${f%.sh}.d' && PATH='$ACORE_BUILDDIR':\$PATH timeout 20 bash '$f'"
		assert_success
		# Both stop the server: it removes its files as it exits.
		timeout 10 bash -c "while [ -n \"\$(ls -A '${f%.sh}.d')\" ]; do sleep 0.05; done"
	done
}

@test "README's bats example is tests/example-client.bats, verbatim" {
	diff <(awk '/^### Testing your client/ { s = 1 } s && /^```bash$/ { c = 1; next }
	    c && /^```$/ { exit } c' "$ACORE_SRCDIR/README.md") \
	    "$ACORE_SRCDIR/tests/example-client.bats"
}
