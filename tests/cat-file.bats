#!/usr/bin/env bats
# acore cat-file: the file_dispatcher example, and cat(1) behaviour.

bats_require_minimum_version 1.8.0
load helper

setup() {
	setup_tmp
}

@test "--show-reads --chunk-size 256 lorem.txt prints the transcript byte for byte" {
	tail -n +2 "$TRANSCRIPTS/asyncore_file_dispatcher.txt" > "$TMP/want"
	acore cat-file --show-reads --chunk-size 256 "$DATA/lorem.txt" > "$TMP/got" \
	    2> "$TMP/err"
	cmp "$TMP/want" "$TMP/got"
	[ ! -s "$TMP/err" ]
}

@test "short options -r -c give the same transcript" {
	tail -n +2 "$TRANSCRIPTS/asyncore_file_dispatcher.txt" > "$TMP/want"
	acore cat-file -r -c 256 "$DATA/lorem.txt" > "$TMP/got"
	cmp "$TMP/want" "$TMP/got"
}

@test "a 10 MiB random file round-trips byte for byte" {
	head -c 10485760 /dev/urandom > "$TMP/rand"
	acore cat-file "$TMP/rand" > "$TMP/out"
	cmp "$TMP/rand" "$TMP/out"
}

@test "odd chunk sizes and k/M suffixes keep every byte" {
	head -c 300001 /dev/urandom > "$TMP/rand"
	for c in 1k 7 65536 1M; do
		acore cat-file --chunk-size "$c" "$TMP/rand" > "$TMP/out"
		cmp "$TMP/rand" "$TMP/out"
	done
}

@test "several files are concatenated in order, - is stdin" {
	printf 'middle\n' > "$TMP/mid"
	acore cat-file "$DATA/lorem-asynchat.txt" - "$DATA/lorem.txt" \
	    < "$TMP/mid" > "$TMP/out"
	cat "$DATA/lorem-asynchat.txt" "$TMP/mid" "$DATA/lorem.txt" > "$TMP/want"
	cmp "$TMP/want" "$TMP/out"
}

@test "stdin redirected from a file, with no FILE argument" {
	acore cat-file < "$DATA/lorem.txt" > "$TMP/out"
	cmp "$DATA/lorem.txt" "$TMP/out"
}

@test "stdin from a pipe, binary-safe, and the reads are shown" {
	head -c 100000 /dev/urandom > "$TMP/rand"
	cat "$TMP/rand" | acore cat-file > "$TMP/out"
	cmp "$TMP/rand" "$TMP/out"
	run bash -c "printf 'abc' | '$ACORE' cat-file --show-reads"
	assert_success
	assert_output "$(printf 'READ: (3) "abc"\nREAD: (0) ""')"
}

@test "a pipe written in bursts is read as it arrives, then EOF" {
	z() { head -c "$1" /dev/zero | tr '\0' z; }
	# Each burst waits until the reader has shown the previous one.
	seen() {
		local i
		for i in $(seq 400); do
			grep -q "READ: ($1)" "$TMP/out" 2>/dev/null && return 0
			sleep 0.05
		done
		return 1
	}
	{ z 100; seen 100; z 400; seen 144; z 237; } |
	    acore cat-file --show-reads --chunk-size 256 > "$TMP/out"
	run sed 's/z//g' "$TMP/out"
	assert_output "$(printf 'READ: (%s) ""\n' 100 256 144 237 0)"
}

@test "stdin from /dev/null: empty output, exit 0; shown as one 0-byte read" {
	run acore cat-file < /dev/null
	assert_success
	assert_output ''
	run acore cat-file --show-reads < /dev/null
	assert_success
	assert_output 'READ: (0) ""'
}

@test "an empty file gives READ: (0) \"\"" {
	: > "$TMP/empty"
	run acore cat-file --show-reads "$TMP/empty"
	assert_success
	assert_output 'READ: (0) ""'
}

@test "a FIFO is read until its writer closes, even a quick writer" {
	mkfifo "$TMP/fifo"
	bg_start writer sh -c "cat '$DATA/lorem.txt' > '$TMP/fifo'"
	acore cat-file "$TMP/fifo" > "$TMP/out"
	bg_stop "$writer"
	cmp "$DATA/lorem.txt" "$TMP/out"
	# The writer is gone before the reader gets going: still EOF.
	bg_start writer sh -c "printf abc > '$TMP/fifo'"
	run acore cat-file --show-reads - < "$TMP/fifo"
	bg_stop "$writer"
	assert_success
	assert_output "$(printf 'READ: (3) "abc"\nREAD: (0) ""')"
}

@test "stdin left blocking for the next reader (no O_NONBLOCK leak)" {
	run bash -c "printf 'x' | { '$ACORE' cat-file >/dev/null; python3 -c 'import os,fcntl; print(bool(fcntl.fcntl(0, fcntl.F_GETFL) & os.O_NONBLOCK))'; }"
	assert_success
	assert_output 'False'
}

@test "-v logs the dispatcher's events on stderr, data on stdout" {
	run --separate-stderr acore cat-file -v --chunk-size 512 "$DATA/lorem.txt"
	assert_success
	[ "$output" = "$(cat "$DATA/lorem.txt")" ]
	want="$DATA/lorem.txt: handle_read() -> 512 bytes
$DATA/lorem.txt: handle_read() -> 225 bytes
$DATA/lorem.txt: handle_close()
$DATA/lorem.txt: handle_read() -> 0 bytes"
	[ "$stderr" = "$want" ]
}

@test "missing file: one line, exit 1, the other files still copied" {
	run --separate-stderr acore cat-file "$TMP/nope" "$DATA/lorem-asynchat.txt"
	assert_failure 1
	[ "$stderr" = "acore: cat-file: $TMP/nope: No such file or directory" ]
	[ "$output" = "$(cat "$DATA/lorem-asynchat.txt")" ]
}

@test "a directory: one line, exit 1" {
	run --separate-stderr acore cat-file "$TMP"
	assert_failure 1
	[ "$stderr" = "acore: cat-file: $TMP: Is a directory" ]
	[ -z "$output" ]
}

@test "an unreadable file: one line, exit 1" {
	[ "$(id -u)" -ne 0 ] || skip "root can read anything"
	echo secret > "$TMP/locked"
	chmod 000 "$TMP/locked"
	run --separate-stderr acore cat-file "$TMP/locked"
	assert_failure 1
	[ "$stderr" = "acore: cat-file: $TMP/locked: Permission denied" ]
}

@test "a read error mid-file (EISDIR via stdin): one line, exit 1" {
	run --separate-stderr acore cat-file - < "$TMP"
	assert_failure 1
	[ "$stderr" = "acore: cat-file: -: Is a directory" ]
}

@test "bad --chunk-size values: one line, exit 2" {
	run --separate-stderr acore cat-file --chunk-size 0 "$DATA/lorem.txt"
	assert_failure 2
	[ "$stderr" = "acore: cat-file: chunk size is too small: 0" ]
	run --separate-stderr acore cat-file --chunk-size abc "$DATA/lorem.txt"
	assert_failure 2
	[ "$stderr" = "acore: cat-file: chunk size is invalid: abc" ]
	run --separate-stderr acore cat-file --chunk-size 65M "$DATA/lorem.txt"
	assert_failure 2
	[ "$stderr" = "acore: cat-file: chunk size is too large: 65M" ]
	run --separate-stderr acore cat-file -c -5 "$DATA/lorem.txt"
	assert_failure 2
	[ "$stderr" = "acore: cat-file: chunk size is invalid: -5" ]
	[ -z "$output" ]
}

@test "stdout closed early (EPIPE): ends quietly by SIGPIPE, as cat does" {
	head -c 5000000 /dev/urandom > "$TMP/rand"
	run bash -c "'$ACORE' cat-file '$TMP/rand' 2>'$TMP/err' | head -c 10 >/dev/null; echo \${PIPESTATUS[0]}"
	# 128 + SIGPIPE, what cat's own status is in the same pipeline.
	assert_output "$(bash -c "cat '$TMP/rand' | head -c 10 >/dev/null; echo \${PIPESTATUS[0]}")"
	assert_output 141
	[ ! -s "$TMP/err" ]
	# SIGPIPE ignored by the caller: then, as cat, the error is said.
	run bash -c "trap '' PIPE; '$ACORE' cat-file '$TMP/rand' 2>'$TMP/err' | head -c 10 >/dev/null; echo \${PIPESTATUS[0]}"
	assert_output 10
	[ "$(cat "$TMP/err")" = "acore: cat-file: write error: Broken pipe" ]
}

@test "closed stdin, stdout or stderr: /dev/null in their place" {
	# stdin closed reads as empty, as </dev/null, and no descriptor of
	# ours (the dispatcher's dup) lands on 0.  The redirection is inside
	# the function: on `run` itself it would close fd 0 before bats
	# makes its output pipe, which would then take fd 0.
	no_stdin() { "$@" <&-; }
	run --separate-stderr no_stdin acore cat-file
	assert_success
	[ -z "$output" ] && [ -z "$stderr" ]
	run --separate-stderr no_stdin acore cat-file - "$DATA/lorem.txt"
	assert_success
	[ "$output" = "$(cat "$DATA/lorem.txt")" ] && [ -z "$stderr" ]
	# stdout closed: a write error, as cat says it.
	run bash -c "'$ACORE' cat-file '$DATA/lorem.txt' >&-"
	assert_failure 10
	assert_output "acore: cat-file: write error: Bad file descriptor"
	# stderr closed: the data is copied all the same.  The binary itself:
	# valgrind does not start (127) with its stderr closed.
	timeout 20 "$ACORE" cat-file "$DATA/lorem.txt" 2>&- >"$TMP/out"
	cmp "$DATA/lorem.txt" "$TMP/out"
}

@test "stdout on a full device (ENOSPC): one line, exit 10" {
	[ -w /dev/full ] || skip "no /dev/full"
	run --separate-stderr acore cat-file "$DATA/lorem.txt"
	run bash -c "'$ACORE' cat-file '$DATA/lorem.txt' > /dev/full"
	assert_failure 10
	assert_output "acore: cat-file: write error: No space left on device"
}

@test "man EXAMPLES: -c 1M part1 part2 > whole joins the parts" {
	head -c 1500000 /dev/urandom > "$TMP/part1"
	head -c 700001 /dev/urandom > "$TMP/part2"
	acore cat-file -c 1M "$TMP/part1" "$TMP/part2" > "$TMP/whole"
	cat "$TMP/part1" "$TMP/part2" | cmp - "$TMP/whole"
}

# The man page's sleep 1 is a race on a loaded machine (both lines in the
# pipe before the first read makes one READ of 8): here "two" is written
# only once the read of "one" has been shown.
@test "man EXAMPLES: (echo one; sleep 1; echo two) | acore cat-file -r" {
	local pid rc=0
	mkfifo "$TMP/in"
	timeout 20 "$ACORE" cat-file -r <"$TMP/in" >"$TMP/out" 3>&- &
	pid=$!
	exec 4>"$TMP/in"
	echo one >&4
	wait_for_file "$TMP/out" 20 || rc=1
	echo two >&4
	exec 4>&-
	wait "$pid" || rc=$?
	[ "$rc" -eq 0 ]
	run cat "$TMP/out"
	assert_output "$(printf 'READ: (4) "one\n"\nREAD: (4) "two\n"\nREAD: (0) ""')"
}

# ---------------------------------------------------------- zero copy
# With nothing to look at the bytes (no -r, no -v) and a regular file as
# input, each read event is one sendfile(2) into a pipe or a TCP socket, or
# one copy_file_range(2) into a regular file; strace tells which calls
# moved the bytes.  Every other case keeps read(2) and write(2).

# cat_traced ARGS...: acore cat-file ARGS under strace (stdin and stdout
# as the caller redirects them), its sendfile, copy_file_range, read and
# write calls in $TMP/trace.  STRACE_ARGS adds strace options (inject=).
cat_traced() {
	LD_LIBRARY_PATH=$ACORE_BUILDDIR/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	    strace -f -qq -o "$TMP/trace" ${STRACE_ARGS:-} \
	    -e trace=sendfile,copy_file_range,read,write \
	    "$ACORE_BUILDDIR/.libs/acore" cat-file "$@"
}

# traced_calls NAME [LEN]: NAME calls that moved bytes (of exactly LEN
# asked, for read and write, which the dynamic loader also makes).
traced_calls() {
	grep -cE "^[0-9]+ +$1\(.*, ${2:-[0-9]+}\) += [1-9]" "$TMP/trace" || true
}

zc_setup() {
	[ "${ACORE_VALGRIND:-0}" != 1 ] || skip "strace of valgrind says nothing"
	command -v strace >/dev/null || skip "no strace"
	head -c 3000001 /dev/urandom >"$TMP/rand"
}

@test "zero copy: into a pipe, sendfile(2), no read(2) of the bytes" {
	zc_setup
	cat_traced "$TMP/rand" | cat >"$TMP/out"
	cmp "$TMP/rand" "$TMP/out"
	[ "$(traced_calls sendfile)" -gt 0 ]
	[ "$(traced_calls read 131072)" -eq 0 ]
}

# sock_traced FAMILY ARGS...: cat_traced ARGS with stdout a socket of
# FAMILY (tcp: a loopback TCP connection; unix: a socketpair), whose other
# end Python holds, keeping every byte in $TMP/sock.out.
sock_traced() {
	local family=$1
	shift
	python3 -c '
import socket, subprocess, sys
if sys.argv[1] == "tcp":
    l = socket.create_server(("127.0.0.1", 0))
    a = socket.create_connection(l.getsockname())
    b, _ = l.accept()
else:
    a, b = socket.socketpair()
p = subprocess.Popen(sys.argv[3:], stdout=a)
a.close()
with open(sys.argv[2], "wb") as f:
    while True:
        d = b.recv(65536)
        if not d:
            break
        f.write(d)
sys.exit(p.wait())' "$family" "$TMP/sock.out" bash -c "$(declare -f cat_traced); TMP='$TMP' ACORE_BUILDDIR='$ACORE_BUILDDIR' cat_traced $*"
}

@test "zero copy: into a TCP socket, sendfile(2); -c sets the bytes per call" {
	zc_setup
	run sock_traced tcp -c 100000 "$TMP/rand"
	assert_success
	cmp "$TMP/rand" "$TMP/sock.out"
	[ "$(traced_calls sendfile 100000)" -ge 30 ]
	[ "$(traced_calls read 100000)" -eq 0 ]
}

@test "into a Unix socket: the copy (sendfile would copy too, and slower)" {
	zc_setup
	run sock_traced unix -c 100000 "$TMP/rand"
	assert_success
	cmp "$TMP/rand" "$TMP/sock.out"
	[ "$(traced_calls sendfile)" -eq 0 ]
	[ "$(traced_calls read 100000)" -ge 30 ]
}

@test "zero copy: into a regular file, copy_file_range(2)" {
	zc_setup
	cat_traced "$TMP/rand" "$TMP/rand" >"$TMP/out"
	cat "$TMP/rand" "$TMP/rand" | cmp - "$TMP/out"
	[ "$(traced_calls copy_file_range)" -gt 0 ]
	[ "$(traced_calls read 131072)" -eq 0 ]
}

@test "zero copy: not into a file opened for appending (>>): the copy" {
	zc_setup
	printf 'before\n' >"$TMP/out"
	cat_traced "$TMP/rand" >>"$TMP/out"
	{ printf 'before\n'; cat "$TMP/rand"; } | cmp - "$TMP/out"
	[ "$(traced_calls copy_file_range)" -eq 0 ]
	[ "$(traced_calls sendfile)" -eq 0 ]
	[ "$(traced_calls read 131072)" -gt 0 ]
}

@test "zero copy: not into a tty or /dev/null: the copy" {
	zc_setup
	command -v script >/dev/null || skip "no script(1)"
	printf 'to a terminal' >"$TMP/small"
	# script(1) gives the command a pseudo-terminal as its stdout.
	run script -qec "$(declare -f cat_traced); TMP='$TMP' ACORE_BUILDDIR='$ACORE_BUILDDIR' cat_traced '$TMP/small'" /dev/null
	assert_success
	assert_output 'to a terminal'
	[ "$(traced_calls sendfile)" -eq 0 ]
	[ "$(traced_calls write 13)" -eq 1 ]
	cat_traced "$TMP/rand" >/dev/null
	[ "$(traced_calls sendfile)" -eq 0 ]
	[ "$(traced_calls read 131072)" -gt 0 ]
}

@test "zero copy: not with -v or -r, nor from a pipe: the copy" {
	zc_setup
	cat_traced -v "$TMP/rand" 2>/dev/null | cat >"$TMP/out"
	cmp "$TMP/rand" "$TMP/out"
	[ "$(traced_calls sendfile)" -eq 0 ]
	cat_traced -r -c 256 "$DATA/lorem.txt" | cat >"$TMP/out"
	[ "$(traced_calls sendfile)" -eq 0 ]
	grep -q '^READ: (256) "Lorem' "$TMP/out"
	cat "$TMP/rand" | cat_traced | cat >"$TMP/out"
	cmp "$TMP/rand" "$TMP/out"
	[ "$(traced_calls sendfile)" -eq 0 ]
	[ "$(traced_calls read 131072)" -gt 0 ]
}

# A call the system refuses moved nothing: the copy takes over from the
# same offset, mid-file (the second call fails), every byte once.
@test "zero copy: sendfile refused (EINVAL, ENOSYS): the copy from there" {
	zc_setup
	for e in EINVAL ENOSYS; do
		STRACE_ARGS="-e inject=sendfile:error=$e:when=2" \
		    cat_traced "$TMP/rand" | cat >"$TMP/out"
		cmp "$TMP/rand" "$TMP/out"
		[ "$(traced_calls sendfile)" -eq 1 ]
		[ "$(traced_calls read 131072)" -gt 0 ]
	done
}

@test "zero copy: copy_file_range refused (EXDEV, EINVAL, ENOSYS): the copy" {
	zc_setup
	for e in EXDEV EINVAL ENOSYS; do
		STRACE_ARGS="-e inject=copy_file_range:error=$e:when=2" \
		    cat_traced "$TMP/rand" >"$TMP/out"
		cmp "$TMP/rand" "$TMP/out"
		[ "$(traced_calls copy_file_range)" -eq 1 ]
		[ "$(traced_calls read 131072)" -gt 0 ]
	done
}
