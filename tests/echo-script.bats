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
	local p i
	for i in $(seq 200); do
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
