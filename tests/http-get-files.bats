#!/usr/bin/env bats
# acore http-get -o onto files that exist already (their mode, owner and
# symbolic links), and the temporary files held-back stdout output needs
# (TMPDIR), against the peers of tests/peer.c.

bats_require_minimum_version 1.8.0

load helper
load http-helper

setup() {
	setup_tmp
	printf 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnew\n' >"$TMP/ok"
	printf 'HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\n\r\ngone\n' >"$TMP/404"
}

teardown() {
	peer_stop_all
}

# No temporary file is left in the directories given.
no_tmp_left() {
	local d
	for d in "$@"; do
		run ls -A "$d"
		refute_output --partial .acore-
	done
}

@test "-o onto a 0600 file: the new content keeps mode 0600 (and 0755 stays 0755)" {
	peer_start send -f "$TMP/ok"
	for mode in 600 755 640; do
		printf 'old\n' >"$TMP/f$mode"
		chmod "$mode" "$TMP/f$mode"
		(umask 022; acore http-get -o "$TMP/f$mode" "$PEER_URL/")
		[ "$(cat "$TMP/f$mode")" = new ]
		[ "$(stat -c %a "$TMP/f$mode")" = "$mode" ]
	done
	# a new file still gets 0666 less the umask
	(umask 027; acore http-get -o "$TMP/fresh" "$PEER_URL/")
	[ "$(stat -c %a "$TMP/fresh")" = 640 ]
	no_tmp_left "$TMP"
}

@test "-o onto a file of another owner, as root: owner and group are kept" {
	[ "$(id -u)" = 0 ] || skip "needs root"
	peer_start send -f "$TMP/ok"
	printf 'old\n' >"$TMP/theirs"
	chown 65534:65534 "$TMP/theirs"
	chmod 2640 "$TMP/theirs"
	acore http-get -o "$TMP/theirs" "$PEER_URL/"
	[ "$(cat "$TMP/theirs")" = new ]
	[ "$(stat -c '%u:%g %a' "$TMP/theirs")" = "65534:65534 2640" ]
}

@test "-o through a symlink: the link stays, its target (in another directory) gets the content" {
	peer_start send -f "$TMP/ok"
	mkdir "$TMP/real" "$TMP/links"
	printf 'old\n' >"$TMP/real/file"
	chmod 600 "$TMP/real/file"
	ln -s ../real/file "$TMP/links/rel"
	ln -s "$TMP/links/rel" "$TMP/abs"	# a link to a link
	acore http-get -o "$TMP/links/rel" "$PEER_URL/"
	[ -L "$TMP/links/rel" ] && [ "$(readlink "$TMP/links/rel")" = ../real/file ]
	[ "$(cat "$TMP/real/file")" = new ]
	[ "$(stat -c %a "$TMP/real/file")" = 600 ]
	printf 'old\n' >"$TMP/real/file"
	acore http-get -o "$TMP/abs" "$PEER_URL/"
	[ -L "$TMP/abs" ] && [ -L "$TMP/links/rel" ]
	[ "$(cat "$TMP/real/file")" = new ]
	no_tmp_left "$TMP" "$TMP/real" "$TMP/links"
	# a failed fetch touches neither the link nor its target
	printf 'old\n' >"$TMP/real/file"
	peer_start send -f "$TMP/404"
	run acore http-get -o "$TMP/links/rel" "$PEER_URL/"
	assert_failure 9
	[ -L "$TMP/links/rel" ] && [ "$(cat "$TMP/real/file")" = old ]
	no_tmp_left "$TMP/real" "$TMP/links"
}

@test "-o through a dangling symlink creates its target, as curl does" {
	peer_start send -f "$TMP/ok"
	mkdir "$TMP/d"
	ln -s missing "$TMP/d/link"
	acore http-get -o "$TMP/d/link" "$PEER_URL/"
	[ -L "$TMP/d/link" ] && [ "$(cat "$TMP/d/missing")" = new ]
	rm "$TMP/d/missing"
	curl -s -o "$TMP/d/link" "$PEER_URL/"
	[ -L "$TMP/d/link" ] && [ "$(cat "$TMP/d/missing")" = new ]
	# a target in a directory that does not exist: exit 10, named
	ln -s nodir/x "$TMP/d/nowhere"
	run --separate-stderr acore http-get -o "$TMP/d/nowhere" "$PEER_URL/"
	assert_failure 10
	[ "$stderr" = "acore: http-get: $PEER_URL/: $TMP/d/nowhere: cannot create a file in $TMP/d/nodir: No such file or directory" ]
	# a loop of links: exit 10
	ln -s loop2 "$TMP/d/loop1"
	ln -s loop1 "$TMP/d/loop2"
	run --separate-stderr acore http-get -o "$TMP/d/loop1" "$PEER_URL/"
	assert_failure 10
	[ "$stderr" = "acore: http-get: $PEER_URL/: $TMP/d/loop1: Too many levels of symbolic links" ]
	[ -L "$TMP/d/loop1" ] && [ -L "$TMP/d/loop2" ]
}

@test "-o onto a hard link replaces that name only (documented)" {
	peer_start send -f "$TMP/ok"
	printf 'old\n' >"$TMP/one"
	ln "$TMP/one" "$TMP/two"
	acore http-get -o "$TMP/one" "$PEER_URL/"
	[ "$(cat "$TMP/one")" = new ] && [ "$(cat "$TMP/two")" = old ]
	[ "$(stat -c %h "$TMP/two")" = 1 ]
	mandoc -T ascii "$ACORE_SRCDIR/man/acore-http-get.1" | col -b | tr -s ' \n' ' ' |
	    grep -q 'Hard links are not kept'
}

# ------------------------------------------------------------------ TMPDIR

# Three URLs to stdout: a slow one first (1000 "x", 3 ms apart), then a
# 2 MiB body that arrives long before its turn and must be held back
# (1 MiB in memory, the rest in a file in TMPDIR), then a small one.
held_back_setup() {
	peer_start trickle -i 3
	SLOW_URL=$PEER_URL/
	head -c $((2 * 1024 * 1024)) /dev/urandom >"$TMP/big"
	{ printf 'HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n' $((2 * 1024 * 1024)); cat "$TMP/big"; } >"$TMP/bigresp"
	peer_start send -f "$TMP/bigresp"
	BIG_URL=$PEER_URL/
	printf 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nlast\n' >"$TMP/small"
	peer_start send -f "$TMP/small"
	SMALL_URL=$PEER_URL/
}

# The output was: all of the slow body, a part of the big one, all of
# the small one.
check_held_back_output() {
	local out=$1 n
	n=$(wc -c <"$out")
	[ "$n" -gt 1005 ]
	head -c 1000 "$out" | cmp - <(head -c 1000 /dev/zero | tr '\0' x)
	tail -c 5 "$out" | cmp - <(printf 'last\n')
	head -c $((n - 5)) "$out" | tail -c +1001 | cmp - <(head -c $((n - 1005)) "$TMP/big")
}

@test "TMPDIR that does not exist: named, only the URL that needed it fails (exit 10), the others are written" {
	# valgrind needs TMPDIR itself; the next test takes the same path
	[ "${ACORE_VALGRIND:-0}" = 1 ] && skip "valgrind cannot start without TMPDIR"
	held_back_setup
	TMPDIR=/nonexistent/tmp acore http-get "$SLOW_URL" "$BIG_URL" "$SMALL_URL" \
	    >"$TMP/out" 2>"$TMP/err" || status=$?
	[ "${status:-0}" = 10 ]
	[ "$(cat "$TMP/err")" = "acore: http-get: $BIG_URL: TMPDIR /nonexistent/tmp: No such file or directory" ]
	check_held_back_output "$TMP/out"
}

@test "TMPDIR full (here: over the file size limit): named, only that URL fails" {
	held_back_setup
	mkdir "$TMP/t"
	# stdout is a pipe: the limit is for files (and the spill file)
	( ulimit -f 100; trap '' XFSZ
	  TMPDIR=$TMP/t acore http-get "$SLOW_URL" "$BIG_URL" "$SMALL_URL" \
	    2>"$TMP/err" ) | cat >"$TMP/out"
	[ "${PIPESTATUS[0]}" = 10 ]
	[ "$(cat "$TMP/err")" = "acore: http-get: $BIG_URL: TMPDIR $TMP/t: File too large" ]
	check_held_back_output "$TMP/out"
	# and the spill file is gone
	[ -z "$(ls -A "$TMP/t")" ]
}
