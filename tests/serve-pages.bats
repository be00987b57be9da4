#!/usr/bin/env bats
# examples/serve-pages, README's way to run the asyncore HTTP examples
# (1, 2 and 5) offline, end to end: it serves the pages on loopback, runs
# an example against them with the real sites' URLs replaced, and stops
# what it started (by pid), leaving no process and no directory behind.

bats_require_minimum_version 1.8.0

load helper
load http-helper

SP=$ACORE_SRCDIR/examples/serve-pages

setup() {
	setup_tmp
	# serve-pages makes its directory under TMPDIR: empty again after.
	export TMPDIR=$TMP/tmpdir
	mkdir "$TMPDIR"
}

teardown() {
	# Only if a test failed half-way: what serve-pages started.
	[ -z "${sp:-}" ] || bg_stop "$sp"
	[ ! -s "$TMP/pid" ] || kill "$(cat "$TMP/pid")" 2>/dev/null || true
}

@test "serve-pages CMD: example 1 against the local pages logs as the transcript" {
	acore_argv
	# The command records what serve-pages gives it, then is acore.
	timeout -k 5 120 "$SP" sh -c 'echo "$SERVE_PAGES_URL" >"$1";
	    echo "$SERVE_PAGES_PID" >"$2"; shift 2; exec "$@"' sh \
	    "$TMP/url" "$TMP/pid" "${ACORE_ARGV[@]}" \
	    http-get -v --summary --http1.0 --absolute-form --chunk-size 8192 \
	    http://www.python.org/ http://www.doughellmann.com/PyMOTW/contents.html \
	    >"$TMP/out" 2>"$TMP/log"
	grep -v '^\$' "$TRANSCRIPTS/asyncore_http_client.txt" | grep -v ' got ' |
	    http_norm_log >"$TMP/want"
	http_norm_log <"$TMP/log" >"$TMP/got"
	diff -u "$TMP/want" "$TMP/got"
	url=$(cat "$TMP/url")
	[[ "$url" =~ ^http://127\.0\.0\.1:[0-9]+$ ]]
	run cat "$TMP/out"
	[ "${#lines[@]}" -eq 2 ]
	assert_line --index 0 --regexp "^$url/ got [1-9][0-9]* bytes\$"
	assert_line --index 1 --regexp "^$url/PyMOTW/contents.html got [1-9][0-9]* bytes\$"
	# Stopped by pid, and its directory removed.
	! kill -0 "$(cat "$TMP/pid")" 2>/dev/null
	[ -z "$(ls -A "$TMPDIR")" ]
}

@test "serve-pages CMD: the command's exit status is serve-pages' own" {
	run "$SP" sh -c 'exit 7'
	assert_failure 7
	[ -z "$(ls -A "$TMPDIR")" ]
}

@test "serve-pages alone: prints the URL and commands, serves until SIGTERM" {
	bg_start sp "$SP" >"$TMP/out" 2>"$TMP/err"
	wait_for_file "$TMP/out"
	# The commands come in one write after the first line: wait for them.
	for i in $(seq 100); do
		[ "$(wc -l <"$TMP/out")" -ge 4 ] && break
		sleep 0.05
	done
	run sed -n 1p "$TMP/out"
	assert_output --regexp '^serve-pages: the example pages at http://127\.0\.0\.1:[0-9]+ \(nginx pid [0-9]+\); Ctrl-C stops it\.$'
	url=$(sed -n '1s/.* at \(http:[^ ]*\) .*/\1/p' "$TMP/out")
	sed -n '1s/.*nginx pid \([0-9]*\).*/\1/p' "$TMP/out" >"$TMP/pid"
	run sed -n '2,$p' "$TMP/out"
	assert_output "  acore http-get -v --summary --http1.0 --absolute-form --chunk-size 8192 $url/ $url/PyMOTW/contents.html
  acore http-get -v --loop-counter --http1.0 --absolute-form --chunk-size 8192 $url/PyMOTW/contents.html $url/ > /dev/null
  acore http-get --http1.0 --show-reads --chunk-size 8192 $url/"
	# Example 5 as printed: each read and a newline (the page's 18 bytes
	# in one), then the empty read's empty line.
	cmd=$(sed -n 4p "$TMP/out")
	# shellcheck disable=SC2086
	acore ${cmd#  acore } >"$TMP/ex5"
	[ "$(head -n 1 "$TMP/ex5")" = $'HTTP/1.1 200 OK\r' ]
	printf 'index of the site\n\n\n' >"$TMP/tail"
	tail -c "$(stat -c %s "$TMP/tail")" "$TMP/ex5" | cmp - "$TMP/tail"
	kill -TERM "$sp"
	st=0
	wait "$sp" || st=$?
	[ "$st" -eq 143 ]
	sp=
	! kill -0 "$(cat "$TMP/pid")" 2>/dev/null
	[ -z "$(ls -A "$TMPDIR")" ]
	[ ! -s "$TMP/err" ]
}

@test "serve-pages without nginx: one line on stderr, exit 1" {
	NGINX=/nonexistent/nginx run --separate-stderr "$SP" true
	assert_failure 1
	[ "$stderr" = "serve-pages: needs /nonexistent/nginx and python3 (./bootstrap --test installs them)" ]
	[ -z "$(ls -A "$TMPDIR")" ]
}
