#!/usr/bin/env bats
# acore http-get: the asyncore HTTP examples (1, 2, 5) against a real nginx
# started for this file, then the fetcher itself against nginx and against
# the misbehaving servers of tests/peer.c.

bats_require_minimum_version 1.8.0

load helper
load http-helper

setup_file() {
	nginx_start
}

teardown_file() {
	nginx_stop
}

setup() {
	setup_tmp
	access_mark
}

teardown() {
	peer_stop_all
}

# The requests the peer read, on one line: CR as \r, LF as \n.
peer_requests() {
	awk '{ gsub(/\r/, "\\r"); printf "%s\\n", $0 }' "$PEER_LOG"
}

# ---------------------------------------------------------------- examples

@test "example 1: two HttpClients in one loop log as the PyMOTW transcript" {
	acore http-get -v --summary --http1.0 --absolute-form --chunk-size 8192 \
	    "$NGINX_URL/" "$NGINX_URL/PyMOTW/contents.html" >"$TMP/out" 2>"$TMP/log"
	grep -v '^\$' "$TRANSCRIPTS/asyncore_http_client.txt" | grep -v ' got ' |
	    http_norm_log >"$TMP/want"
	http_norm_log <"$TMP/log" >"$TMP/got"
	diff -u "$TMP/want" "$TMP/got"
	# got N bytes: the whole response, as nginx counted what it sent
	n1=$(awk '/"GET http:.*\/ HTTP\/1.0"/ && !/PyMOTW/ { print $NF }' "$NGINX_ACCESS" | tail -1)
	n2=$(awk '/PyMOTW\/contents.html HTTP\/1.0"/ { print $NF }' "$NGINX_ACCESS" | tail -1)
	printf '%s got %s bytes\n' "$NGINX_URL/" "$n1" \
	    "$NGINX_URL/PyMOTW/contents.html" "$n2" >"$TMP/want-out"
	diff -u "$TMP/want-out" "$TMP/out"
}

@test "example 1: the request is exactly GET <url> HTTP/1.0 CRLF CRLF" {
	printf 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi' >"$TMP/resp"
	peer_start send -f "$TMP/resp"
	run acore http-get --http1.0 --absolute-form "$PEER_URL/a?b=c#frag"
	assert_success
	assert_output hi
	[ "$(peer_requests)" = "GET $PEER_URL/a?b=c HTTP/1.0\r\n\r\n" ]
}

@test "example 1: handle_write logs the bytes sent, CR LF included" {
	printf 'HTTP/1.0 200 OK\r\n\r\n' >"$TMP/resp"
	peer_start send -f "$TMP/resp"
	acore http-get -v --http1.0 --absolute-form "$PEER_URL/" 2>"$TMP/log"
	grep -q "^$PEER_URL/: handle_write() -> \"GET $PEER_URL/ HTTP/1.0"$'\r'"\$" "$TMP/log"
}

@test "example 1, connection refused: handle_close(), LOOP DONE, got 0 bytes" {
	port=$(free_port)
	run --separate-stderr acore http-get -v --summary --http1.0 --absolute-form \
	    "http://127.0.0.1:$port/"
	assert_failure 5
	assert_output "http://127.0.0.1:$port/ got 0 bytes"
	printf '%s\n' "$stderr" | http_norm_log >"$TMP/got"
	printf '%s\n' "http://HOST/: connecting to ('HOST', PORT)" \
	    "http://HOST/: POLL(rw)" "http://HOST/: handle_close()" \
	    "root: LOOP STARTING" "root: LOOP DONE" >"$TMP/want"
	diff -u "$TMP/want" "$TMP/got"
	[[ "$stderr" == *"acore: http-get: http://127.0.0.1:$port/: connect to 127.0.0.1 port $port: Connection refused"* ]]
}

@test "example 2: --loop-counter drives one pass at a time, as asyncore_loop.py" {
	acore http-get -v --loop-counter --http1.0 --absolute-form --chunk-size 8192 \
	    "$NGINX_URL/PyMOTW/contents.html" "$NGINX_URL/" >/dev/null 2>"$TMP/log"
	grep -v '^\$' "$TRANSCRIPTS/asyncore_loop.txt" | http_norm_log >"$TMP/want"
	http_norm_log <"$TMP/log" >"$TMP/got"
	diff -u "$TMP/want" "$TMP/got"
	# the counter comes first, and every pass polls the channels left
	head -1 "$TMP/log" | grep -q ": connecting to "
	sed -n 3p "$TMP/log" | grep -qx 'root: loop_counter=1'
	! grep -q 'LOOP' "$TMP/log"
}

@test "example 5: --http1.0 --raw prints the response bytes as received" {
	printf 'HTTP/1.0 200 OK\r\nServer: peer\r\n\r\n<html>body</html>\n' >"$TMP/resp"
	peer_start send -f "$TMP/resp"
	acore http-get --http1.0 --raw --chunk-size 8192 "$PEER_URL/" >"$TMP/out"
	cmp "$TMP/resp" "$TMP/out"
	[ "$(peer_requests)" = "GET / HTTP/1.0\r\nHost: 127.0.0.1:$PEER_PORT\r\n\r\n" ]
}

@test "example 5: --show-reads prints each read and a newline, as print(recv())" {
	printf 'HTTP/1.0 200 OK\r\nServer: peer\r\n\r\n<html>body</html>\n' >"$TMP/resp"
	peer_start send -f "$TMP/resp"
	acore http-get --http1.0 --show-reads --chunk-size 8192 "$PEER_URL/" \
	    >"$TMP/out" 2>"$TMP/err"
	# One read of the whole response, then the empty read at the close.
	{ cat "$TMP/resp"; printf '\n\n'; } >"$TMP/want"
	cmp "$TMP/want" "$TMP/out"
	[ ! -s "$TMP/err" ]
	[ "$(peer_requests)" = "GET / HTTP/1.0\r\nHost: 127.0.0.1:$PEER_PORT\r\n\r\n" ]
}

@test "example 5: --show-reads, a server that never closes: no empty read, exit 0" {
	printf 'HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nhi\n' >"$TMP/resp"
	peer_start hold -f "$TMP/resp"
	acore http-get --http1.0 --show-reads "$PEER_URL/" >"$TMP/out" 2>"$TMP/err"
	{ cat "$TMP/resp"; printf '\n'; } >"$TMP/want"
	cmp "$TMP/want" "$TMP/out"
	[ ! -s "$TMP/err" ]
}

# show_reads_match RAW SHOWN: SHOWN is RAW cut into reads, each followed by
# a newline, then the empty read's newline (Date lines may differ: the two
# fetches can fall in different seconds).
show_reads_match() {
	python3 - "$1" "$2" <<'EOF2'
import re, sys
date = re.compile(rb"^Date: [^\r]*", re.M)
raw = date.sub(b"Date: -", open(sys.argv[1], "rb").read())
shown = date.sub(b"Date: -", open(sys.argv[2], "rb").read())
assert shown.endswith(b"\n\n"), "no empty read at the end"
shown, j = shown[:-1], 0
for i, c in enumerate(shown):
    if j < len(raw) and c == raw[j]:
        j += 1
    else:
        assert c == 10, "byte %d differs" % i
assert j == len(raw), "%d of %d bytes shown" % (j, len(raw))
EOF2
}

@test "example 5 against nginx: --show-reads is --raw cut into reads" {
	for path in / /small.txt /big.bin; do
		acore http-get --http1.0 --raw "$NGINX_URL$path" >"$TMP/raw"
		acore http-get --http1.0 --show-reads --chunk-size 8192 \
		    "$NGINX_URL$path" >"$TMP/out" 2>"$TMP/err"
		show_reads_match "$TMP/raw" "$TMP/out"
		[ ! -s "$TMP/err" ]
	done
	# A 50 MiB body comes in many reads of at most 8192 bytes.
	[ "$(stat -c %s "$TMP/out")" -ge $(( $(stat -c %s "$TMP/raw") + 6400 )) ]
}

@test "example 5: --show-reads -L prints every response of the redirect chain" {
	acore http-get --http1.0 --show-reads -L "$NGINX_URL/r1" >"$TMP/out"
	[ "$(grep -c $'^HTTP/1.1 30[12] ' "$TMP/out")" -eq 2 ]
	[ "$(grep -c $'^HTTP/1.1 200 OK\r$' "$TMP/out")" -eq 1 ]
	[ "$(tail -c 2 "$TMP/out" | od -An -c | tr -d ' ')" = '\n\n' ]
}

@test "example 5 against nginx: status line, headers and the page" {
	acore http-get --http1.0 --raw --chunk-size 8192 "$NGINX_URL/" >"$TMP/out"
	head -1 "$TMP/out" | grep -q $'^HTTP/1.1 200 OK\r$'
	[ "$(tail -1 "$TMP/out")" = "index of the site" ]
	access_since | grep -q '"GET / HTTP/1.0" host="127.0.0.1:'
}

# ------------------------------------------------------------ the fetcher

@test "default request: HTTP/1.1, Host, User-Agent, Connection: close on the last" {
	printf 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n' >"$TMP/resp"
	peer_start send -f "$TMP/resp"
	run acore http-get "$PEER_URL/x?y"
	assert_success
	assert_output ok
	[ "$(peer_requests)" = "GET /x?y HTTP/1.1\r\nHost: 127.0.0.1:$PEER_PORT\r\nUser-Agent: acore/0.1.0\r\nAccept: */*\r\nConnection: close\r\n\r\n" ]
}

@test "-H adds headers and replaces ours; -A sets the User-Agent" {
	printf 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n' >"$TMP/resp"
	peer_start send -f "$TMP/resp"
	acore http-get -A 'test/1' -H 'X-Token: abc' -H 'Accept:' "$PEER_URL/"
	[ "$(peer_requests)" = "GET / HTTP/1.1\r\nHost: 127.0.0.1:$PEER_PORT\r\nUser-Agent: test/1\r\nConnection: close\r\nX-Token: abc\r\n\r\n" ]
}

@test "a small file arrives byte for byte, nothing on stderr" {
	run --separate-stderr acore http-get "$NGINX_URL/small.txt"
	assert_success
	[ -z "$stderr" ]
	[ "$output" = "$(cat "$NGINX_ROOT/small.txt")" ]
}

@test "a 50 MiB random file arrives byte for byte" {
	acore http-get "$NGINX_URL/big.bin" >"$TMP/big"
	cmp "$NGINX_ROOT/big.bin" "$TMP/big"
}

@test "404: the body is written, exit 9 with the status; --no-fail: exit 0" {
	run --separate-stderr acore http-get "$NGINX_URL/missing"
	assert_failure 9
	[ "$stderr" = "acore: http-get: $NGINX_URL/missing: HTTP 404 Not Found" ]
	assert_output --partial '<title>404 Not Found</title>'
	run --separate-stderr acore http-get --no-fail "$NGINX_URL/missing"
	assert_success
	[ -z "$stderr" ]
}

@test "a failed fetch never creates or replaces an -o/-O file; --no-fail saves it" {
	mkdir "$TMP/d" "$TMP/o"
	echo keep >"$TMP/d/x.html"
	run --separate-stderr acore http-get -o "$TMP/d/x.html" "$NGINX_URL/missing"
	assert_failure 9
	[ "$stderr" = "acore: http-get: $NGINX_URL/missing: HTTP 404 Not Found" ]
	[ "$(cat "$TMP/d/x.html")" = keep ]
	run acore http-get -o "$TMP/d/gone" "$NGINX_URL/gone"
	assert_failure 9
	[ "$(ls -A "$TMP/d")" = x.html ]
	cd "$TMP/o"
	run acore http-get -O "$NGINX_URL/gone"
	assert_failure 9
	[ -z "$(ls -A)" ]
	run acore http-get --no-fail -o "$TMP/d/x.html" "$NGINX_URL/gone"
	assert_success
	[ "$(cat "$TMP/d/x.html")" = "gone for good" ]
}

@test "-L follows 301, 302 (absolute) and 307 (relative) on one connection" {
	run --separate-stderr acore http-get -L "$NGINX_URL/r1"
	assert_success
	assert_output "in dir"
	access_since >"$TMP/acc"
	[ "$(wc -l <"$TMP/acc")" -eq 4 ]
	[ "$(awk '{ print $1 }' "$TMP/acc" | sort -u | wc -l)" -eq 1 ]
	# with -L any answer may send us on: nobody is told to close
	! grep -q 'conn="close"' "$TMP/acc"
}

@test "-L resolves ../ in a relative Location" {
	acore http-get -L "$NGINX_URL/dir/r4" >"$TMP/out"
	cmp "$NGINX_ROOT/small.txt" "$TMP/out"
}

@test "without -L a redirect is the answer: its body, exit 0" {
	run acore http-get "$NGINX_URL/r1"
	assert_success
	assert_output --partial '301 Moved Permanently'
}

@test "a redirect loop stops at --max-redirs, exit 8" {
	run --separate-stderr acore http-get -L "$NGINX_URL/loop"
	assert_failure 8
	[ "$stderr" = "acore: http-get: $NGINX_URL/loop: too many redirects (20)" ]
	run acore http-get -L --max-redirs 2 "$NGINX_URL/loop"
	assert_failure 8
	[ "$(access_since 24 | grep -c '/loop')" -eq 24 ]
}

@test "a redirect to https:// on a plain http port: the handshake fails, exit 13" {
	run --separate-stderr acore http-get -k -L "$NGINX_URL/to-https"
	assert_failure 13
	assert_equal "$stderr" "acore: http-get: https://127.0.0.1:$NGINX_PORT/: connect to 127.0.0.1 port $NGINX_PORT: TLS: wrong version number"
}

@test "a chunked response (SSI) is decoded; HTTP/1.0 gets it close-delimited" {
	{ printf 'head\n'; cat "$NGINX_ROOT/small.txt"; printf 'mid\n'
	  cat "$NGINX_ROOT/files/f001.txt"; printf 'tail\n'; } >"$TMP/want"
	acore http-get "$NGINX_URL/chunked.shtml" >"$TMP/out"
	cmp "$TMP/want" "$TMP/out"
	acore http-get --include "$NGINX_URL/chunked.shtml" >"$TMP/inc"
	grep -q $'^Transfer-Encoding: chunked\r$' "$TMP/inc"
	acore http-get --http1.0 "$NGINX_URL/chunked.shtml" >"$TMP/out10"
	cmp "$TMP/want" "$TMP/out10"
}

@test "chunk extensions and trailers from a peer are decoded" {
	printf 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n7;q="x y"\r\n world\n\r\n0\r\nX-Sum: 1\r\n\r\n' >"$TMP/resp"
	peer_start send -f "$TMP/resp"
	run acore http-get "$PEER_URL/"
	assert_success
	assert_output "hello world"
}

@test "interim 1xx responses are skipped; --include shows them" {
	printf 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n' >"$TMP/resp"
	peer_start send -f "$TMP/resp"
	run acore http-get "$PEER_URL/"
	assert_success
	assert_output ok
	acore http-get -i "$PEER_URL/" >"$TMP/out"
	cmp "$TMP/resp" "$TMP/out"
}

@test "a body delimited by the server's close" {
	printf 'HTTP/1.0 200 OK\r\nServer: peer\r\n\r\nuntil the end\n' >"$TMP/resp"
	peer_start send -f "$TMP/resp"
	run --separate-stderr acore http-get "$PEER_URL/"
	assert_success
	assert_output "until the end"
	[ -z "$stderr" ]
}

@test "100 URLs fetched in parallel come out in argument order" {
	for i in $(seq -w 100 -1 1); do
		echo "$NGINX_URL/files/f$i.txt"
		cat "$NGINX_ROOT/files/f$i.txt" >>"$TMP/want"
	done >"$TMP/urls"
	acore http-get -Z 20 $(cat "$TMP/urls") >"$TMP/out"
	cmp "$TMP/want" "$TMP/out"
	access_since >"$TMP/acc"
	[ "$(wc -l <"$TMP/acc")" -eq 100 ]
	# at most 20 connections, each reused
	conns=$(awk '{ print $1 }' "$TMP/acc" | sort -u | wc -l)
	[ "$conns" -le 20 ] && [ "$conns" -gt 1 ]
	[ "$(grep -c 'conn="close"' "$TMP/acc")" -eq 1 ]
}

@test "a big body finished early waits (spilled to a temp file) for its turn" {
	peer_start trickle -i 1
	acore http-get "$PEER_URL/slow" "$NGINX_URL/big.bin" >"$TMP/out"
	[ "$(head -c 1000 "$TMP/out")" = "$(printf 'x%.0s' $(seq 1000))" ]
	tail -c +1001 "$TMP/out" | cmp - "$NGINX_ROOT/big.bin"
}

@test "one after another (-Z 1): one kept-alive connection for all" {
	acore http-get -Z 1 $(for i in 01 02 03 04 05; do echo "$NGINX_URL/files/f0$i.txt"; done) >"$TMP/out"
	[ "$(wc -l <"$TMP/out")" -eq 5 ]
	access_since >"$TMP/acc"
	[ "$(awk '{ print $1 }' "$TMP/acc" | sort -u | wc -l)" -eq 1 ]
	[ "$(awk '{ print $2 }' "$TMP/acc" | tr '\n' ' ')" = "1 2 3 4 5 " ]
	tail -1 "$TMP/acc" | grep -q 'conn="close"'
	[ "$(grep -c 'conn="close"' "$TMP/acc")" -eq 1 ]
}

@test "--http1.0: a connection per URL, no reuse" {
	acore http-get --http1.0 "$NGINX_URL/files/f001.txt" "$NGINX_URL/files/f002.txt" >/dev/null
	access_since >"$TMP/acc"
	[ "$(awk '{ print $1 }' "$TMP/acc" | sort -u | wc -l)" -eq 2 ]
}

@test "a server closing kept-alive connections early: requests are re-sent" {
	peer_start close-early
	run acore http-get -Z 1 "$PEER_URL/a" "$PEER_URL/b" "$PEER_URL/c"
	assert_success
	assert_output "$(printf '/a\n/b\n/c')"
	[ "$(grep -c '^GET /b ' "$PEER_LOG")" -eq 2 ]
}

@test "-o files pair with URLs in order; the rest go to stdout" {
	mkdir "$TMP/out"
	run acore http-get -o "$TMP/out/one" -o "$TMP/out/two" "$NGINX_URL/files/f001.txt" \
	    "$NGINX_URL/files/f002.txt" "$NGINX_URL/files/f003.txt"
	assert_success
	assert_output "file 003"
	[ "$(cat "$TMP/out/one")" = "file 001" ] && [ "$(cat "$TMP/out/two")" = "file 002" ]
	[ "$(ls -A "$TMP/out" | sort | tr '\n' ' ')" = "one two " ]
}

@test "-o /dev/null writes to the device, never replaces it; -o - is stdout" {
	acore http-get -o /dev/null "$NGINX_URL/small.txt"
	[ -c /dev/null ]
	[ -z "$(find /dev -maxdepth 1 -name '.null.acore-*')" ]
	run acore http-get -o - -o "$TMP/f" "$NGINX_URL/files/f001.txt" "$NGINX_URL/files/f002.txt"
	assert_success
	assert_output "file 001"
	[ "$(cat "$TMP/f")" = "file 002" ]
}

@test "-O names files after the URL; a URL without a name is exit 3" {
	cd "$TMP"
	acore http-get -O "$NGINX_URL/small.txt" "$NGINX_URL/files/f007.txt?x=1"
	cmp "$NGINX_ROOT/small.txt" small.txt
	[ "$(cat f007.txt)" = "file 007" ]
	run --separate-stderr acore http-get -O "$NGINX_URL/dir/"
	assert_failure 3
	[ "$stderr" = "acore: http-get: $NGINX_URL/dir/: no file name in the URL for -O" ]
}

@test "a failed fetch leaves no file, not even a temporary one" {
	peer_start truncated
	mkdir "$TMP/out"
	run acore http-get -o "$TMP/out/f" "$PEER_URL/"
	assert_failure 8
	[ -z "$(ls -A "$TMP/out")" ]
}

@test "a failed fetch does not clobber an existing file" {
	mkdir "$TMP/out"
	echo precious >"$TMP/out/f"
	peer_start reset
	run acore http-get -o "$TMP/out/f" "$PEER_URL/"
	assert_failure 7
	[ "$(cat "$TMP/out/f")" = precious ]
	[ "$(ls -A "$TMP/out")" = f ]
}

@test "an empty body makes an empty -o/-O file, replacing one there, as curl's" {
	mkdir "$TMP/o" "$TMP/c"
	echo old >"$TMP/o/e"
	run -0 --separate-stderr acore http-get -o "$TMP/o/e" "$NGINX_URL/empty.txt"
	[ -f "$TMP/o/e" ] && [ ! -s "$TMP/o/e" ]
	[ "$(ls -A "$TMP/o")" = e ]
	cd "$TMP/o"
	run -0 acore http-get -O "$NGINX_URL/empty.txt"
	[ -f empty.txt ] && [ ! -s empty.txt ]
	cd "$TMP/c"
	run -0 curl -s -O "$NGINX_URL/empty.txt"
	[ -f empty.txt ] && [ ! -s empty.txt ]
	# where no file can be made, the empty body is the write error
	run -10 --separate-stderr acore http-get -o "$TMP/no/dir/f" "$NGINX_URL/empty.txt"
	[ "$stderr" = "acore: http-get: $NGINX_URL/empty.txt: $TMP/no/dir/f: cannot create a file in $TMP/no/dir: No such file or directory" ]
}

@test "an -o file that cannot be created: exit 10, the directory and cause named" {
	run --separate-stderr acore http-get -o "$TMP/no/such/dir/f" "$NGINX_URL/small.txt"
	assert_failure 10
	[ "$stderr" = "acore: http-get: $NGINX_URL/small.txt: $TMP/no/such/dir/f: cannot create a file in $TMP/no/such/dir: No such file or directory" ]
	# /proc exists but takes no new files: ENOENT would mislead
	run --separate-stderr acore http-get -o /proc/version "$NGINX_URL/small.txt"
	assert_failure 10
	[ "$stderr" = "acore: http-get: $NGINX_URL/small.txt: /proc/version: cannot create a file in /proc: the file system there does not allow new files" ]
}

@test "stdout full or closed: exit 10, one line" {
	run --separate-stderr bash -c 'timeout 20 "$0" http-get "$1" "$2" >/dev/full' \
	    "$ACORE" "$NGINX_URL/small.txt" "$NGINX_URL/big.bin"
	assert_failure 10
	[ "$stderr" = "acore: http-get: stdout: No space left on device" ]
	run --separate-stderr bash -c 'timeout 20 "$0" http-get "$1" >&-' \
	    "$ACORE" "$NGINX_URL/small.txt"
	assert_failure 10
	[ "$stderr" = "acore: http-get: stdout: Bad file descriptor" ]
}

@test "IPv6 literal [::1]" {
	[ "$NGINX_V6" = 1 ] || skip "no IPv6 loopback"
	acore http-get "http://[::1]:$NGINX_PORT/small.txt" >"$TMP/out"
	cmp "$NGINX_ROOT/small.txt" "$TMP/out"
	access_since | grep -q "host=\"\[::1\]:$NGINX_PORT\""
}

@test "a name is resolved: localhost" {
	acore http-get "http://localhost:$NGINX_PORT/small.txt" >"$TMP/out"
	cmp "$NGINX_ROOT/small.txt" "$TMP/out"
}

@test "a name that does not resolve: exit 4" {
	run --separate-stderr acore http-get "http://$UNRESOLVABLE/"
	assert_failure 4
	[ "$stderr" = "acore: http-get: http://$UNRESOLVABLE/: cannot resolve $UNRESOLVABLE: Non-recoverable failure in name resolution" ]
}

@test "connection refused: exit 5, host and port named" {
	port=$(free_port)
	run --separate-stderr acore http-get "http://127.0.0.1:$port/"
	assert_failure 5
	[ "$stderr" = "acore: http-get: http://127.0.0.1:$port/: connect to 127.0.0.1 port $port: Connection refused" ]
}

@test "--connect-timeout against a server that never accepts: exit 6" {
	peer_start blackhole
	run --separate-stderr acore http-get --connect-timeout 0.3 "$PEER_URL/"
	assert_failure 6
	[ "$stderr" = "acore: http-get: $PEER_URL/: connect to 127.0.0.1 port $PEER_PORT: timed out after 0.3 s" ]
}

@test "bad URLs: exit 3, one clear line each" {
	for u in 'ftp://h/|unknown scheme (only http:// and https:// are supported)' \
	    'http:///x|no host' 'http://h:0/|port out of range' \
	    'http://h:65536/|port out of range' 'http://h:8x/|bad port' \
	    'http://a b/|contains a space or control character' \
	    'http://[::1/|bad IPv6 address' 'http://u%00@h/|a NUL byte (%00) in the user name or password'; do
		run --separate-stderr acore http-get "${u%%|*}"
		assert_failure 3
		[ "$stderr" = "acore: http-get: ${u%%|*}: ${u#*|}" ]
	done
	# without a scheme: named as the http:// URL it was taken for
	run --separate-stderr acore http-get 'h:8x/'
	assert_failure 3
	[ "$stderr" = "acore: http-get: http://h:8x/: bad port" ]
}

@test "a URL without a scheme means http://, as in curl" {
	run --separate-stderr acore http-get -o "$TMP/a" "127.0.0.1:$NGINX_PORT/small.txt"
	assert_success
	[ -z "$stderr" ]
	cmp "$NGINX_ROOT/small.txt" "$TMP/a"
	access_since | grep -q '"GET /small.txt HTTP/1.1" .* 200 '
	# a name before the port is a host, not a scheme; no path is /
	run acore http-get "localhost:$NGINX_PORT"
	assert_success
	assert_output 'index of the site'
	# -O takes the name from the path
	(cd "$TMP" && acore http-get -O "127.0.0.1:$NGINX_PORT/files/f002.txt")
	cmp "$NGINX_ROOT/files/f002.txt" "$TMP/f002.txt"
	# Locations resolve against the http:// URL: root-relative,
	# absolute, relative and ../
	run --separate-stderr acore http-get -L -w '%{url_effective} %{num_redirects}\n' \
	    -o "$TMP/r1" -o "$TMP/r4" "127.0.0.1:$NGINX_PORT/r1" "127.0.0.1:$NGINX_PORT/dir/r4"
	assert_success
	assert_output "http://127.0.0.1:$NGINX_PORT/dir/page.txt 3
http://127.0.0.1:$NGINX_PORT/small.txt 1"
	cmp "$NGINX_ROOT/dir/page.txt" "$TMP/r1"
	cmp "$NGINX_ROOT/small.txt" "$TMP/r4"
	# errors name the URL fetched
	port=$(free_port)
	run --separate-stderr acore http-get "127.0.0.1:$port/x"
	assert_failure 5
	[ "$stderr" = "acore: http-get: http://127.0.0.1:$port/x: connect to 127.0.0.1 port $port: Connection refused" ]
	if [ "$NGINX_V6" = 1 ]; then
		run acore http-get "[::1]:$NGINX_PORT/dir/page.txt"
		assert_success
		assert_output 'in dir'
	fi
}

@test "several URLs: each failure reported, the first in argument order returned" {
	port=$(free_port)
	run --separate-stderr acore http-get "$NGINX_URL/files/f001.txt" "http://127.0.0.1:$port/" "$NGINX_URL/missing" "ftp://x/"
	assert_failure 5
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 3 ]
	assert_output --partial "file 001"
	run acore http-get "$NGINX_URL/missing" "http://127.0.0.1:$port/"
	assert_failure 9
	run acore http-get "ftp://x/" "$NGINX_URL/missing"
	assert_failure 3
}

@test "several URLs: a failure that stops them all wins (--max-time)" {
	peer_start trickle
	run acore http-get -m 0.5 "$NGINX_URL/missing" "$PEER_URL/"
	assert_failure 6
}

# ----------------------------------------------------------- bad servers

@test "truncated body: exit 8, what arrived is written" {
	peer_start truncated
	run --separate-stderr acore http-get "$PEER_URL/"
	assert_failure 8
	[ "$stderr" = "acore: http-get: $PEER_URL/: body shorter than Content-Length (51 of 100 bytes)" ]
	[ "${#output}" -eq 50 ]
}

@test "garbage status line: exit 8 at once, though the server stays" {
	peer_start garbage
	run --separate-stderr acore http-get -m 5 "$PEER_URL/"
	assert_failure 8
	[ "$stderr" = "acore: http-get: $PEER_URL/: bad response from 127.0.0.1 port $PEER_PORT: malformed status line" ]
}

@test "endless headers: exit 8 at the 64 KiB limit" {
	peer_start endless
	run --separate-stderr acore http-get "$PEER_URL/"
	assert_failure 8
	[ "$stderr" = "acore: http-get: $PEER_URL/: bad response from 127.0.0.1 port $PEER_PORT: header block over the size limit" ]
}

@test "slow trickle past --max-time: exit 6" {
	peer_start trickle
	start=$(date +%s%N)
	run --separate-stderr acore http-get -m 1 "$PEER_URL/"
	assert_failure 6
	[ "$stderr" = "acore: http-get: $PEER_URL/: timed out after 1 s (--max-time)" ]
	[ $(( ($(date +%s%N) - start) / 1000000 )) -lt 3000 ]
}

@test "connection reset mid-body: exit 7" {
	peer_start reset
	run --separate-stderr acore http-get -o "$TMP/f" "$PEER_URL/"
	assert_failure 7
	[ "$stderr" = "acore: http-get: $PEER_URL/: connection reset by 127.0.0.1 port $PEER_PORT" ]
}

@test "bogus chunk sizes: exit 8" {
	peer_start bad-chunk
	run --separate-stderr acore http-get -m 5 "$PEER_URL/"
	assert_failure 8
	[[ "$stderr" == *": malformed chunk size line" ]]
	peer_start chunk-overflow
	run --separate-stderr acore http-get -m 5 "$PEER_URL/"
	assert_failure 8
	[[ "$stderr" == *": chunk size too large" ]]
}

@test "negative, overflowing and conflicting Content-Length: exit 8" {
	for cl in '-1|invalid Content-Length' '99999999999999999999|invalid Content-Length' \
	    '5\r\nContent-Length: 6|conflicting Content-Length values'; do
		printf "HTTP/1.1 200 OK\r\nContent-Length: ${cl%%|*}\r\n\r\nhello" >"$TMP/resp"
		peer_start send -f "$TMP/resp"
		run --separate-stderr acore http-get "$PEER_URL/"
		assert_failure 8
		[ "$stderr" = "acore: http-get: $PEER_URL/: bad response from 127.0.0.1 port $PEER_PORT: ${cl#*|}" ]
	done
}

@test "a server that closes without answering: exit 7" {
	: >"$TMP/resp"
	peer_start send -f "$TMP/resp"
	run --separate-stderr acore http-get "$PEER_URL/"
	assert_failure 7
	[ "$stderr" = "acore: http-get: $PEER_URL/: 127.0.0.1 port $PEER_PORT closed the connection without a response" ]
}

# ------------------------------------------- servers that close, requests

@test "-L through servers that close after each response, no Connection: close" {
	peer_start redirect-close
	run --separate-stderr acore http-get -L "$PEER_URL/hop0"
	assert_success
	assert_output /hop5
	[ -z "$stderr" ]
	# every hop after the first was sent on the old connection first
	[ "$(grep -c '^GET ' "$PEER_LOG")" -eq 6 ]
	run --separate-stderr acore http-get -L --max-redirs 6 "$PEER_URL/loop"
	assert_failure 8
	[ "$stderr" = "acore: http-get: $PEER_URL/loop: too many redirects (6)" ]
}

@test "a 3xx without Location under -L: exit 8; without -L it is the answer" {
	printf 'HTTP/1.1 302 Found\r\nContent-Length: 5\r\n\r\nbody\n' >"$TMP/resp"
	peer_start send -f "$TMP/resp"
	run --separate-stderr acore http-get -L "$PEER_URL/"
	assert_failure 8
	[ "$stderr" = "acore: http-get: $PEER_URL/: HTTP 302 Found without a Location" ]
	[ -z "$output" ]
	run acore http-get "$PEER_URL/"
	assert_success
	assert_output body
}

@test "CR or LF in -A, -H or the URL never reaches the wire: exit 2 or 3" {
	run --separate-stderr acore http-get -A $'ag\r\nX-Inj: 1' http://127.0.0.1:1/
	assert_failure 2
	[ "${stderr_lines[0]}" = "acore: http-get: bad user agent (control characters)" ]
	run --separate-stderr acore http-get -A $'ag\nX-Inj: 1' http://127.0.0.1:1/
	assert_failure 2
	run --separate-stderr acore http-get -H $'X-A: 1\r\nX-Inj: 1' http://127.0.0.1:1/
	assert_failure 2
	run --separate-stderr acore http-get $'http://127.0.0.1:1/a\r\nX-Inj: 1'
	assert_failure 3
	# a redirect target with a space (a folded or odd Location) is refused
	printf 'HTTP/1.1 302 Found\r\nLocation: /a\r\n X-Inj: 1\r\nContent-Length: 0\r\n\r\n' >"$TMP/resp"
	peer_start send -f "$TMP/resp"
	run --separate-stderr acore http-get -L "$PEER_URL/"
	assert_failure 8
	[[ "$stderr" == *"contains a space or control character" ]]
	[ "$(grep -c 'X-Inj' "$PEER_LOG")" -eq 0 ]
}

@test "a complete response on a connection the server keeps: closed at once" {
	printf 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n' >"$TMP/resp"
	# Against a server that closes (send) and one that keeps the
	# connection (hold), best of three each so a loaded machine or
	# valgrind cannot fail it: the same time now, 500 ms more before.
	for mode in send hold; do
		best=100000
		for i in 1 2 3; do
			peer_start "$mode" -f "$TMP/resp"
			start=$(date +%s%N)
			run acore http-get "$PEER_URL/"
			ms=$(( ($(date +%s%N) - start) / 1000000 ))
			assert_success
			assert_output ok
			[ "$ms" -lt "$best" ] && best=$ms
		done
		eval "best_$mode=$best"
	done
	[ $((best_hold - best_send)) -lt 250 ]
}

# ------------------------------------------------------- connections

@test "30 URLs on one host: 6 connections, each reused; --max-host-conns 2" {
	for i in $(seq -w 1 30); do echo "$NGINX_URL/files/f0$i.txt"; done >"$TMP/urls"
	acore http-get $(cat "$TMP/urls") >"$TMP/out"
	[ "$(wc -l <"$TMP/out")" -eq 30 ]
	access_since 30 >"$TMP/acc"
	[ "$(wc -l <"$TMP/acc")" -eq 30 ]
	[ "$(awk '{ print $1 }' "$TMP/acc" | sort -u | wc -l)" -eq 6 ]
	access_mark
	acore http-get --max-host-conns 2 $(cat "$TMP/urls") | cmp - "$TMP/out"
	[ "$(access_since 30 | awk '{ print $1 }' | sort -u | wc -l)" -eq 2 ]
	# -Z stays the total in flight
	access_mark
	acore http-get -Z 1 $(cat "$TMP/urls") | cmp - "$TMP/out"
	[ "$(access_since 30 | awk '{ print $1 }' | sort -u | wc -l)" -eq 1 ]
}

@test "the cap is per host: two hosts get their own connections" {
	for i in $(seq -w 1 12); do
		echo "$NGINX_URL/files/f0$i.txt" "http://localhost:$NGINX_PORT/files/f0$i.txt"
	done >"$TMP/urls"
	acore http-get --max-host-conns 1 $(cat "$TMP/urls") >"$TMP/out"
	[ "$(wc -l <"$TMP/out")" -eq 24 ]
	access_since 24 >"$TMP/acc"
	[ "$(awk '{ print $1 }' "$TMP/acc" | sort -u | wc -l)" -eq 2 ]
}

@test "-Z alone means parallel; -Z N and --parallel-max N set the number" {
	run acore http-get -Z "$NGINX_URL/files/f001.txt" "$NGINX_URL/files/f002.txt"
	assert_success
	assert_output "$(printf 'file 001\nfile 002')"
	run acore http-get -Z 1 "$NGINX_URL/files/f001.txt"
	assert_output "file 001"
	run acore http-get --parallel "$NGINX_URL/files/f001.txt"
	assert_output "file 001"
	access_mark
	acore http-get --parallel-max 1 --max-host-conns 9 "$NGINX_URL/files/f001.txt" "$NGINX_URL/files/f002.txt" >/dev/null
	[ "$(access_since 2 | awk '{ print $1 }' | sort -u | wc -l)" -eq 1 ]
}

# ------------------------------------------------------- curl habits

@test "-f is accepted (the default); -s hides errors and meter; -sS shows errors" {
	port=$(free_port)
	run acore http-get -f "$NGINX_URL/files/f001.txt"
	assert_success
	run --separate-stderr acore http-get --no-fail -f "$NGINX_URL/missing"
	assert_failure 9
	peer_start trickle -i 2
	run --separate-stderr acore http-get -s --progress "$NGINX_URL/missing" "http://127.0.0.1:$port/" "$PEER_URL/"
	assert_failure 9
	[ -z "$stderr" ]
	run --separate-stderr acore http-get -sS "http://127.0.0.1:$port/"
	assert_failure 5
	[ "$stderr" = "acore: http-get: http://127.0.0.1:$port/: connect to 127.0.0.1 port $port: Connection refused" ]
	run --separate-stderr acore http-get --silent --show-error "$NGINX_URL/missing"
	assert_failure 9
	[ "$stderr" = "acore: http-get: $NGINX_URL/missing: HTTP 404 Not Found" ]
}

@test "-I sends HEAD and prints the head, -L the head of every hop" {
	run acore http-get -I "$NGINX_URL/small.txt"
	assert_success
	[ "${lines[0]}" = $'HTTP/1.1 200 OK\r' ]
	assert_output --partial $'Content-Length: '"$(wc -c <"$NGINX_ROOT/small.txt")"$'\r'
	[ "$(access_since | grep -c '"HEAD /small.txt HTTP/1.1"')" -eq 1 ]
	run acore http-get -IL "$NGINX_URL/r1"
	assert_success
	[ "$(printf '%s\n' "$output" | grep -c '^HTTP/1.1 ')" -eq 4 ]
	run acore http-get -I "$NGINX_URL/missing"
	assert_failure 9
	[ "${lines[0]}" = $'HTTP/1.1 404 Not Found\r' ]
}

@test "-C -: resumes with a Range request and checks the 206" {
	head -c 1000000 "$NGINX_ROOT/big.bin" >"$TMP/big"
	run acore http-get -C - -o "$TMP/big" "$NGINX_URL/big.bin"
	assert_success
	cmp "$NGINX_ROOT/big.bin" "$TMP/big"
	access_since | grep -q '"GET /big.bin HTTP/1.1" .* 206 '
	# complete already: 416, nothing changes, exit 0
	run acore http-get -C - -o "$TMP/big" "$NGINX_URL/big.bin"
	assert_success
	cmp "$NGINX_ROOT/big.bin" "$TMP/big"
	# no file yet: an ordinary fetch, --continue-at - spelled out
	run acore http-get --continue-at - -o "$TMP/new" "$NGINX_URL/small.txt"
	cmp "$NGINX_ROOT/small.txt" "$TMP/new"
	run --separate-stderr acore http-get -C - "$NGINX_URL/small.txt"
	assert_failure 2
	[ "${stderr_lines[0]}" = "acore: http-get: -C - needs -o or -O" ]
	run --separate-stderr acore http-get -C 10 -o x "$NGINX_URL/small.txt"
	assert_failure 2
}

@test "-C -: a server that ignores Range: the file starts over cleanly" {
	printf 'HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nwhole file\n' >"$TMP/resp"
	peer_start send -f "$TMP/resp"
	printf 'whole' >"$TMP/f"
	run acore http-get -C - -o "$TMP/f" "$PEER_URL/"
	assert_success
	[ "$(cat "$TMP/f")" = "whole file" ]
	grep -q $'^Range: bytes=5-\r$' "$PEER_LOG"
}

@test "-C -: a 206 from the wrong offset is exit 8 and the file is untouched" {
	printf 'HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-10/11\r\nContent-Length: 11\r\n\r\nwhole file\n' >"$TMP/resp"
	peer_start send -f "$TMP/resp"
	printf 'whole' >"$TMP/f"
	run --separate-stderr acore http-get -C - -o "$TMP/f" "$PEER_URL/"
	assert_failure 8
	[ "$stderr" = "acore: http-get: $PEER_URL/: 206 without a Content-Range from byte 5" ]
	[ "$(cat "$TMP/f")" = whole ]
}

# range_peer_start BODY N: tests/range-peer.py serving BODY, dropping each
# connection after N body bytes; sets RANGE_URL.
range_peer_start() {
	peer_dir
	peer_spawn python3 "$ACORE_SRCDIR/tests/range-peer.py" "$1" \
	    "$PEER_DIR/port" "$2"
	RANGE_URL=$PEER_URL/body
}

@test "-C -: a failed first try keeps what arrived; until ... -C - finishes over a dropping link" {
	head -c $((1024 * 1024)) /dev/urandom >"$TMP/body"
	range_peer_start "$TMP/body" $((100 * 1024))
	# the first try: cut after 100 KiB, exit 8, those bytes kept
	run --separate-stderr acore http-get -C - -o "$TMP/f" "$RANGE_URL"
	assert_failure 8
	[ "$(wc -c <"$TMP/f")" -eq $((100 * 1024)) ]
	cmp -n $((100 * 1024)) "$TMP/body" "$TMP/f"
	# the README's until loop, bounded: each try appends the next
	# 100 KiB, the 11th gets the last 24 KiB and succeeds
	tries=1
	while :; do
		tries=$((tries + 1))
		acore http-get -s -C - -o "$TMP/f" "$RANGE_URL" && break
		[ "$tries" -lt 50 ]
	done
	[ "$tries" -eq 11 ]
	cmp "$TMP/body" "$TMP/f"
	# whole already: 416, exit 0, nothing changes
	run acore http-get -C - -o "$TMP/f" "$RANGE_URL"
	assert_success
	cmp "$TMP/body" "$TMP/f"
	# an error page still never goes into the file
	run acore http-get -C - -o "$TMP/g" "$NGINX_URL/missing"
	assert_failure 9
	[ ! -e "$TMP/g" ]
}

@test "without -C -, a fetch cut short leaves no file, not even a temporary one" {
	head -c $((1024 * 1024)) /dev/urandom >"$TMP/body"
	range_peer_start "$TMP/body" $((100 * 1024))
	mkdir "$TMP/out"
	run --separate-stderr acore http-get -o "$TMP/out/f" "$RANGE_URL"
	assert_failure 8
	[ "$stderr" = "acore: http-get: $RANGE_URL: body shorter than Content-Length (102400 of 1048576 bytes)" ]
	[ -z "$(ls -A "$TMP/out")" ]
}

@test "-C -: SIGTERM mid-transfer keeps what arrived in the file, exit 1" {
	peer_start trickle -i 20
	# --foreground: timeout passes our SIGTERM on once, to acore only.
	# Without it a second copy goes to its process group, and one that
	# lands after acore has handled the first and let go of its signal
	# handlers kills it (status 143, not 1): a race on a loaded machine.
	bg_start pid timeout --foreground 20 "$ACORE" http-get -C - -o "$TMP/f" "$PEER_URL/"
	for i in $(seq 200); do
		[ -s "$TMP/f" ] && break
		sleep 0.05
	done
	[ -s "$TMP/f" ]
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 1 ]
	n=$(wc -c <"$TMP/f")
	[ "$n" -gt 0 ] && [ "$n" -lt 1000 ]
	[ "$(tr -d x <"$TMP/f" | wc -c)" -eq 0 ]
}

@test "--retry: 503 with Retry-After: 0 is retried until it works" {
	peer_start flaky
	run --separate-stderr acore http-get --retry 3 "$PEER_URL/x"
	assert_success
	assert_output ok
	[ "$(grep -c '^GET /x ' "$PEER_LOG")" -eq 3 ]
	[ "$stderr" = "acore: http-get: $PEER_URL/x: HTTP 503 Busy; retry 1 of 3 in 0 s
acore: http-get: $PEER_URL/x: HTTP 503 Busy; retry 2 of 3 in 0 s" ]
	# without --retry the first answer is final, its body on stdout
	peer_start flaky
	run --separate-stderr acore http-get "$PEER_URL/x"
	assert_failure 9
	assert_output busy
}

@test "--retry: refused connections, bounded, then the last failure" {
	port=$(free_port)
	run --separate-stderr acore http-get --retry 2 --retry-delay 0.1 "http://127.0.0.1:$port/"
	assert_failure 5
	[ "$(printf '%s\n' "$stderr" | grep -c 'retry [12] of 2 in 0.1 s$')" -eq 2 ]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 3 ]
	# a 404 is no transient failure: not retried
	run --separate-stderr acore http-get --retry 2 "$NGINX_URL/missing"
	assert_failure 9
	[ "$(access_since | grep -c missing)" -eq 1 ]
	run --separate-stderr acore http-get --retry x "$NGINX_URL/"
	assert_failure 2
}

@test "--retry: a reset mid-body into a file starts the file over" {
	peer_start reset
	mkdir "$TMP/d"
	run --separate-stderr acore http-get --retry 1 --retry-delay 0.1 -o "$TMP/d/f" "$PEER_URL/"
	assert_failure 7
	[ "$(grep -c '^GET / ' "$PEER_LOG")" -eq 2 ]
	[ -z "$(ls -A "$TMP/d")" ]
}

@test "-w writes the documented variables after each body" {
	run --separate-stderr acore http-get -L -w '%{http_code} %{size_download} %{num_redirects} %{url_effective}\n' "$NGINX_URL/r1" "$NGINX_URL/missing"
	assert_failure 9
	want_404=$(wc -c < <(acore http-get --no-fail "$NGINX_URL/missing"))
	[ "$output" = "in dir
200 7 3 $NGINX_URL/dir/page.txt
$(acore http-get --no-fail "$NGINX_URL/missing")
404 $want_404 0 $NGINX_URL/missing" ]
	run acore http-get -o "$TMP/f" -w '%{time_total}|%%|\t|\\' "$NGINX_URL/small.txt"
	assert_success
	[[ "$output" =~ ^[0-9]+\.[0-9]{6}\|%\|$'\t'\|\\$ ]]
	run --separate-stderr acore http-get -w '%{nope}' "$NGINX_URL/"
	assert_failure 2
	[[ "$stderr" == "acore: http-get: -w: unknown variable"* ]]
}

@test "--compressed: gzip from nginx decodes to the plain body" {
	acore http-get --compressed "$NGINX_URL/gz/numbers.txt" >"$TMP/out"
	cmp "$NGINX_ROOT/gz/numbers.txt" "$TMP/out"
	acore http-get --compressed -o "$TMP/lorem" "$NGINX_URL/gz/lorem.txt"
	cmp "$NGINX_ROOT/gz/lorem.txt" "$TMP/lorem"
	access_since >"$TMP/acc"
	# nginx sent far fewer body bytes than the file has
	sent=$(awk '/numbers.txt/ { print $(NF - 1) }' "$TMP/acc")
	[ "$sent" -lt $(( $(wc -c <"$NGINX_ROOT/gz/numbers.txt") / 2 )) ]
	# without the option nothing is asked for and nothing decoded
	acore http-get "$NGINX_URL/gz/lorem.txt" | cmp - "$NGINX_ROOT/gz/lorem.txt"
	access_since | tail -1 | grep -q ' 200 737 '
}

@test "--compressed: deflate (zlib and raw) from a peer" {
	for wbits in 15 -15; do
		python3 -c 'import sys, zlib
c = zlib.compressobj(9, zlib.DEFLATED, int(sys.argv[1]))
body = c.compress(b"deflated body\n" * 100) + c.flush()
sys.stdout.buffer.write(b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: %d\r\n\r\n" % len(body) + body)' "$wbits" >"$TMP/resp"
		peer_start send -f "$TMP/resp"
		run acore http-get --compressed "$PEER_URL/"
		assert_success
		[ "$output" = "$(yes 'deflated body' | head -100)" ]
		grep -q $'^Accept-Encoding: gzip, deflate\r$' "$PEER_LOG"
	done
}

@test "--compressed: corrupt, truncated or unknown codings are exit 8" {
	printf 'HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 20\r\n\r\nthis is not gzip....' >"$TMP/bad"
	printf 'hello\n' | gzip -c | head -c 15 >"$TMP/part"
	{ printf 'HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 15\r\n\r\n'; cat "$TMP/part"; } >"$TMP/trunc"
	printf 'HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 2\r\n\r\nxx' >"$TMP/br"
	{ printf 'HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n' $(( $(printf 'a\n' | gzip -c | wc -c) + 4 )); printf 'a\n' | gzip -c; printf 'junk'; } >"$TMP/junk"
	for c in 'bad|bad compressed data in the body' 'trunc|compressed body ends early' \
	    'br|unsupported Content-Encoding: br' 'junk|bad compressed data in the body'; do
		peer_start send -f "$TMP/${c%%|*}"
		run --separate-stderr acore http-get --compressed -o "$TMP/out" "$PEER_URL/"
		assert_failure 8
		[ "$stderr" = "acore: http-get: $PEER_URL/: ${c#*|}" ]
		[ ! -e "$TMP/out" ]
	done
	# two gzip members are one body
	{ printf 'a\n' | gzip -c; printf 'b\n' | gzip -c; } >"$TMP/two.gz"
	{ printf 'HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n' "$(wc -c <"$TMP/two.gz")"; cat "$TMP/two.gz"; } >"$TMP/two"
	peer_start send -f "$TMP/two"
	run acore http-get --compressed "$PEER_URL/"
	assert_success
	assert_output "$(printf 'a\nb')"
}

@test "progress meter: total and time left while the size is known" {
	peer_start trickle -i 2
	run --separate-stderr acore http-get --progress -o "$TMP/f" "$PEER_URL/"
	assert_success
	[[ "$stderr" =~ B/s\ +[0-9]+%\ of\ 1000\ B\ +[0-9]+:[0-9][0-9]\ left ]]
}

@test "progress meter: nothing more after interrupted" {
	export ACORE_PROGRESS_DELAY=0
	peer_start trickle
	# --foreground: one SIGTERM, as in the -C - SIGTERM test above.
	bg_start pid timeout --foreground 20 "$ACORE" http-get --progress -o "$TMP/f" "$PEER_URL/" 2>"$TMP/err"
	for i in $(seq 100); do
		grep -q 'B/s' "$TMP/err" && break
		sleep 0.1
	done
	grep -q 'B/s' "$TMP/err"
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 1 ]
	[ "$(tail -c 1 "$TMP/err" | od -An -c | tr -d ' ')" = '\n' ]
	[ "$(tr '\r' '\n' <"$TMP/err" | tail -1)" = "acore: http-get: $PEER_URL/: interrupted" ]
}

# -------------------------------------------------------------- the rest

@test "--summary without the example options: URL got N bytes" {
	run acore http-get --summary "$NGINX_URL/small.txt"
	assert_success
	n=$(access_since | awk '{ print $NF }')
	assert_output "$NGINX_URL/small.txt got $n bytes"
}

# ACORE_PROGRESS_DELAY=0 shows the meter at once, even for a quick fetch:
# no need to keep a transfer going for the default second.
@test "progress meter: only when forced outside a tty" {
	export ACORE_PROGRESS_DELAY=0
	peer_start trickle -i 0
	run --separate-stderr acore http-get --progress -o "$TMP/f" "$PEER_URL/"
	assert_success
	[[ "$stderr" == *"B/s  100% of 1000 B"* ]]
	[ "$(cat "$TMP/f" | wc -c)" -eq 1000 ]
	peer_start trickle -i 0
	run --separate-stderr acore http-get -o "$TMP/f" "$PEER_URL/"
	assert_success
	[ -z "$stderr" ]
}

@test "progress meter: a fetch quicker than the delay shows none" {
	export ACORE_PROGRESS_DELAY=60
	peer_start trickle -i 0
	run --separate-stderr acore http-get --progress -o "$TMP/f" "$PEER_URL/"
	assert_success
	[ -z "$stderr" ]
	[ "$(wc -c <"$TMP/f")" -eq 1000 ]
}

@test "progress meter: shown by default on a terminal" {
	command -v script >/dev/null || skip "no script(1) for a pty"
	export ACORE_PROGRESS_DELAY=0
	peer_start trickle -i 0
	script -qec "timeout 20 $ACORE http-get -o $TMP/f $PEER_URL/" /dev/null >"$TMP/tty"
	grep -q 'B/s  100% of 1000 B' "$TMP/tty"
	[ "$(wc -c <"$TMP/f")" -eq 1000 ]
}

# on_tty CMD: run CMD (a shell command line) with standard input, output and
# error on a terminal (script(1)'s pty, no LF to CR LF); what the terminal
# showed goes to $TMP/tty.
on_tty() {
	script -qec "stty -onlcr; timeout 20 $1" /dev/null >"$TMP/tty"
}

@test "progress meter: none while the body goes to the terminal, as curl" {
	command -v script >/dev/null || skip "no script(1) for a pty"
	export ACORE_PROGRESS_DELAY=0
	# the page on the terminal: exactly its bytes, no meter
	on_tty "$ACORE http-get $NGINX_URL/small.txt"
	cmp "$NGINX_ROOT/small.txt" "$TMP/tty"
	! grep -q $'\r' "$TMP/tty"
	# -w text counts as output too
	on_tty "$ACORE http-get -o $TMP/f -w '%{http_code}\n' $NGINX_URL/small.txt"
	[ "$(cat "$TMP/tty")" = 200 ]
	# the body in a file, or standard output redirected: the meter
	on_tty "$ACORE http-get -o $TMP/f $NGINX_URL/small.txt"
	grep -q "B/s  100% of " "$TMP/tty"
	cmp "$NGINX_ROOT/small.txt" "$TMP/f"
	on_tty "$ACORE http-get $NGINX_URL/small.txt >$TMP/body"
	grep -q "B/s  100% of " "$TMP/tty"
	cmp "$NGINX_ROOT/small.txt" "$TMP/body"
	# --progress shows it even over the page
	on_tty "$ACORE http-get --progress $NGINX_URL/small.txt"
	grep -q "B/s  100% of " "$TMP/tty"
}

@test "SIGTERM mid-transfer: temporary file removed, exit 1" {
	peer_start trickle
	mkdir "$TMP/out"
	# --foreground: one SIGTERM, as in the -C - SIGTERM test.
	bg_start pid timeout --foreground 20 "$ACORE" http-get -o "$TMP/out/f" "$PEER_URL/"
	# Bounded wait for the temporary file (a fixed sleep raced a loaded
	# machine's start-up of http-get).
	for i in $(seq 200); do
		[ -z "$(ls -A "$TMP/out")" ] || break
		sleep 0.05
	done
	[ -n "$(ls -A "$TMP/out")" ]	# the temporary file
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 1 ]
	[ -z "$(ls -A "$TMP/out")" ]
}

# usage_error PROBLEM ARGS...: exit 2, "acore: http-get: PROBLEM", then the
# usage line, on stderr and nothing else: the format of the echo tools.
usage_error() {
	local problem=$1 usage
	shift
	usage=$(acore http-get --help | head -n 1)
	run --separate-stderr acore http-get "$@"
	assert_failure 2
	[ -z "$output" ]
	[ "$stderr" = "acore: http-get: $problem"$'\n'"$usage" ] ||
	    { printf 'stderr: %s\n' "$stderr"; false; }
}

@test "usage errors: the problem, then the usage line, exit 2" {
	usage_error 'no URL given'
	usage_error 'more -o files (2) than URLs (1)' -o a -o b http://x/
	usage_error "bad header 'bad header' (want 'Name: value')" -H 'bad header' http://x/
	usage_error 'bad user agent (control characters)' -A $'ag\r\nX-Inj: 1' http://x/
	usage_error "-C - needs -o or -O" -C - http://x/
	usage_error "only '-C -' (continue where the file ends) is supported" -C 10 -o x http://x/
	usage_error '-C - and --compressed cannot be combined' -C - --compressed -o x http://x/
	usage_error '-I and --raw cannot be combined' -I --raw http://x/
	usage_error '-w: unknown variable (see -w in acore-http-get(1))' -w '%{nope}' http://x/
	usage_error "unknown option '--frobnicate'" --frobnicate http://x/
	# bounded numbers: the shared helpers' one line, as for every command
	run --separate-stderr acore http-get -Z 0 http://x/
	assert_failure 2
	[ "$stderr" = "acore: http-get: parallel-max is too small: 0" ]
}

# ----------------------------------------------------- man page EXAMPLES

# Each EXAMPLES command of acore-http-get(1), with the site URLs pointed
# at this nginx (www.example.com) and at the example pages.
man_example() {
	local n=$1
	mandoc -T ascii "$ACORE_SRCDIR/man/acore-http-get.1" | col -b |
	    awk '/^EXAMPLES/ { on = 1 } /^EXIT STATUS|^SEE ALSO/ { on = 0 }
		on && /^[ \t]+\$ acore http-get/ { if (++k == '"$n"') { sub(/^[ \t]+\$ /, ""); print } }'
}

run_man_example() {
	local cmd
	cmd=$(man_example "$1")
	[ -n "$cmd" ]
	cmd=${cmd//http:\/\/www.example.com/$NGINX_URL}
	cmd=${cmd//http:\/\/www.python.org/$NGINX_URL}
	cmd=${cmd//http:\/\/www.doughellmann.com/$NGINX_URL}
	cmd=${cmd/acore /timeout 60 $ACORE }
	mkdir -p "$TMP/ex"
	(cd "$TMP/ex" && eval "$cmd")
}

@test "man EXAMPLES 1: the PyMOTW HttpClient example" {
	run --separate-stderr run_man_example 1
	assert_success
	[ "$(printf '%s\n' "$output" | grep -c ' got [0-9]* bytes$')" -eq 2 ]
	[[ "$stderr" == *"root: LOOP DONE" ]]
}

@test "man EXAMPLES 2: the loop_counter example" {
	run --separate-stderr run_man_example 2
	assert_success
	[[ "$stderr" == *"root: loop_counter=3"* ]]
}

@test "man EXAMPLES 3: the library docs client, each read printed" {
	run_man_example 3 >"$TMP/out"
	head -1 "$TMP/out" | grep -qx $'HTTP/1.1 200 OK\r'
	# The page's read, its newline, the empty read's.
	[ "$(tail -c 20 "$TMP/out")" = "index of the site" ]
	[ "$(tail -c 4 "$TMP/out" | od -An -c | tr -d ' ')" = 'e\n\n\n' ]
}

@test "man EXAMPLES 4: follow redirects into a file" {
	run_man_example 4
	cmp "$NGINX_ROOT/index.html" "$TMP/ex/page.html"
}

@test "man EXAMPLES 5: several files by their own names" {
	run_man_example 5
	cmp "$NGINX_ROOT/small.txt" "$TMP/ex/small.txt"
	cmp "$NGINX_ROOT/big.bin" "$TMP/ex/big.bin"
}

@test "man EXAMPLES 6: many pages, in order, 10 at a time" {
	run_man_example 6
	cat "$NGINX_ROOT"/files/f00[1-3].txt | cmp - "$TMP/ex/all.txt"
}

@test "man EXAMPLES 7: headers of a page that does not exist, exit 9" {
	run run_man_example 7
	assert_failure 9
	assert_output --partial "HTTP/1.1 404 Not Found"
}

@test "man EXAMPLES 8: resume with retries and a report" {
	run run_man_example 8
	assert_success
	assert_output "200 $(wc -c <"$NGINX_ROOT/small.txt")"
	cmp "$NGINX_ROOT/small.txt" "$TMP/ex/small.txt"
}
