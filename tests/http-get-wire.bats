#!/usr/bin/env bats
# acore http-get on the wire where curl is the reference: the same peer
# (tests/peer.c, which records every request head it reads) answers
# http-get and curl, and the bytes each sent or kept are compared.

bats_require_minimum_version 1.8.0

load helper
load http-helper

setup() {
	setup_tmp
}

teardown() {
	peer_stop_all
}

# peer_at ADDR MODE [peer options]: peer_start on ADDR (127.0.0.2, ::1).
peer_at() {
	local addr=$1
	shift
	peer_start "$@" -a "$addr"
	case $addr in
	*:*)	PEER_URL=http://[$addr]:$PEER_PORT ;;
	*)	PEER_URL=http://$addr:$PEER_PORT ;;
	esac
}

# The request heads in a peer log, CRs dropped, without the fields that
# differ between the two clients by design (User-Agent, Connection).
heads() {
	tr -d '\r' <"$1" | grep -v -i -e '^User-Agent:' -e '^Connection:'
}

# ------------------------------------------------------------------ 101

@test "a 101 to a plain GET is an unexpected protocol switch: exit 8" {
	printf 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nxyz' >"$TMP/resp"
	peer_start send -f "$TMP/resp"
	run --separate-stderr acore http-get "$PEER_URL/"
	assert_failure 8
	[ "$output" = "" ]
	[ "$stderr" = "acore: http-get: $PEER_URL/: bad response from 127.0.0.1 port $PEER_PORT: unexpected protocol switch (101, no Upgrade was asked for)" ]
}

# -------------------------------------------------------------- codings

# resp_coded FILE CODING... BODY: a response whose body is BODY gzipped or
# deflated once per CODING, in order, and says so in Content-Encoding.
resp_coded() {
	python3 -c 'import sys, zlib
out, codings, body = sys.argv[1], sys.argv[2:-1], sys.argv[-1].encode()
for c in codings:
    if c != "identity":
        z = zlib.compressobj(9, zlib.DEFLATED, 31 if c == "gzip" else 15)
        body = z.compress(body) + z.flush()
head = "HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nContent-Length: %d\r\n\r\n" % (", ".join(codings), len(body))
open(out, "wb").write(head.encode() + body)' "$@"
}

@test "--compressed: Content-Encoding: gzip, gzip is undone twice, as curl does" {
	resp_coded "$TMP/gg" gzip gzip $'twice gzipped\n'
	resp_coded "$TMP/dg" deflate identity gzip $'deflated, then gzipped\n'
	for r in gg dg; do
		peer_start send -f "$TMP/$r"
		run acore http-get --compressed "$PEER_URL/"
		assert_success
		curl -s --compressed "$PEER_URL/" >"$TMP/curl"
		[ "$output" = "$(cat "$TMP/curl")" ]
		[ -s "$TMP/curl" ]
	done
	[ "$output" = "deflated, then gzipped" ]
	# two fields are one list (RFC 9110 5.3), as curl reads them
	python3 -c 'import sys, zlib
def gz(b):
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    return z.compress(b) + z.flush()
body = gz(gz(b"two fields\n"))
sys.stdout.buffer.write(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nX-Mid: 1\r\ncontent-encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(body) + body)' >"$TMP/two"
	peer_start send -f "$TMP/two"
	run acore http-get --compressed "$PEER_URL/"
	assert_success
	assert_output "two fields"
	[ "$output" = "$(curl -s --compressed "$PEER_URL/")" ]
	# without --compressed the bytes come as they are, as with curl
	run acore http-get "$PEER_URL/"
	assert_success
	[ "$output" = "$(curl -s "$PEER_URL/")" ]
}

@test "--compressed: more than 5 codings are refused (exit 8), as curl refuses them" {
	resp_coded "$TMP/five" gzip gzip gzip gzip gzip $'five times\n'
	resp_coded "$TMP/six" identity gzip gzip gzip gzip gzip $'six\n'
	peer_start send -f "$TMP/five"
	run acore http-get --compressed "$PEER_URL/"
	assert_success
	assert_output "five times"
	peer_start send -f "$TMP/six"
	run --separate-stderr acore http-get --compressed -o "$TMP/out" "$PEER_URL/"
	assert_failure 8
	[ "$stderr" = "acore: http-get: $PEER_URL/: more than 5 codings in Content-Encoding" ]
	[ ! -e "$TMP/out" ]
	run -61 curl -s --compressed "$PEER_URL/"
	# a list too long to hold (here: empty elements) is refused, never cut
	printf 'HTTP/1.1 200 OK\r\nContent-Encoding: %sgzip\r\nContent-Length: 2\r\n\r\nxx' \
	    "$(printf ', %.0s' $(seq 150))" >"$TMP/long"
	peer_start send -f "$TMP/long"
	run --separate-stderr acore http-get --compressed "$PEER_URL/"
	assert_failure 8
	[ "$output" = "" ]
	[ "$stderr" = "acore: http-get: $PEER_URL/: Content-Encoding over 255 bytes" ]
}

@test "Transfer-Encoding: identity: the body runs to the close, Content-Length ignored, as curl" {
	printf 'HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\nContent-Length: 6\r\n\r\nhello\nEXTRA\n' >"$TMP/resp"
	printf 'HTTP/1.1 200 OK\r\nTransfer-Encoding: identity, chunked\r\n\r\n6\r\nhello\n\r\n0\r\n\r\n' >"$TMP/chunked"
	for r in resp chunked; do
		peer_start send -f "$TMP/$r"
		run acore http-get "$PEER_URL/"
		assert_success
		[ "$output" = "$(curl -s "$PEER_URL/")" ]
	done
	peer_start send -f "$TMP/resp"
	run acore http-get "$PEER_URL/"
	assert_output "$(printf 'hello\nEXTRA')"
}

# ------------------------------------------------- credentials on redirects

# two_hosts: a peer on 127.0.0.1 (FIRST_URL, FIRST_LOG) whose every answer
# is a 302 to http://127.0.0.2:SAMEPORT/next, where a second peer
# (SECOND_LOG) answers "ok".  The answer file is read per connection, so
# it can name the port once the first peer has it.
two_hosts() {
	printf 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n' >"$TMP/ok"
	peer_start send -f "$TMP/redirect"
	FIRST_URL=$PEER_URL/
	FIRST_LOG=$PEER_LOG
	printf 'HTTP/1.1 302 Found\r\nLocation: http://127.0.0.2:%s/next\r\nContent-Length: 0\r\n\r\n' \
	    "$PEER_PORT" >"$TMP/redirect"
	peer_at 127.0.0.2 send -f "$TMP/ok" -P "$PEER_PORT"
	SECOND_LOG=$PEER_LOG
}

# creds_run LOG ARGS...: http-get and then curl with ARGS and the same -H
# lines, from FIRST_URL; the request heads LOG got from each end up in
# $TMP/acore and $TMP/curl.
creds_run() {
	local log=$1
	shift
	: >"$log"
	run acore http-get "$@" -H 'Authorization: Bearer X' \
	    -H 'cookie: s=X' -H 'X-Other: 1' "$FIRST_URL"
	assert_success
	assert_output ok
	heads "$log" >"$TMP/acore"
	: >"$log"
	curl -sS "$@" -H 'Authorization: Bearer X' -H 'cookie: s=X' \
	    -H 'X-Other: 1' -o /dev/null "$FIRST_URL"
	heads "$log" >"$TMP/curl"
}

@test "-L: Authorization and Cookie do not follow a redirect to another host, as with curl" {
	two_hosts
	creds_run "$SECOND_LOG" -L
	diff -u "$TMP/curl" "$TMP/acore"
	grep -q '^GET /next HTTP/1.1$' "$TMP/acore"
	grep -q '^X-Other: 1$' "$TMP/acore"
	run ! grep -i -e '^Authorization' -e '^Cookie' "$TMP/acore"
	# the first host got them, from both
	[ "$(grep -c $'^Authorization: Bearer X\r$' "$FIRST_LOG")" = 2 ]
}

@test "-L: nor to another port of the same host, as with curl" {
	printf 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n' >"$TMP/ok"
	peer_start send -f "$TMP/ok"
	second=$PEER_LOG
	printf 'HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:%s/next\r\nContent-Length: 0\r\n\r\n' \
	    "$PEER_PORT" >"$TMP/redirect"
	peer_start send -f "$TMP/redirect"
	FIRST_URL=$PEER_URL/
	creds_run "$second" -L
	diff -u "$TMP/curl" "$TMP/acore"
	grep -q '^GET /next HTTP/1.1$' "$TMP/acore"
	run ! grep -i -e '^Authorization' -e '^Cookie' "$TMP/acore"
}

@test "-L: a redirect on the same scheme, host and port keeps them, as with curl" {
	# /hop4 redirects to /hop5, which answers its path
	peer_start redirect-close
	FIRST_URL=$PEER_URL/hop4
	: >"$PEER_LOG"
	run acore http-get -L -H 'Authorization: Bearer X' -H 'cookie: s=X' "$FIRST_URL"
	assert_success
	assert_output /hop5
	heads "$PEER_LOG" >"$TMP/acore"
	: >"$PEER_LOG"
	curl -sS -L -H 'Authorization: Bearer X' -H 'cookie: s=X' -o /dev/null "$FIRST_URL"
	heads "$PEER_LOG" >"$TMP/curl"
	diff -u "$TMP/curl" "$TMP/acore"
	[ "$(grep -c '^Authorization: Bearer X$' "$TMP/acore")" = 2 ]
	[ "$(grep -c '^cookie: s=X$' "$TMP/acore")" = 2 ]
}

@test "--location-trusted: they follow to any host, as with curl" {
	two_hosts
	creds_run "$SECOND_LOG" --location-trusted
	diff -u "$TMP/curl" "$TMP/acore"
	grep -q '^Authorization: Bearer X$' "$TMP/acore"
	grep -q '^cookie: s=X$' "$TMP/acore"
}

@test "-L: Proxy-Authorization (any case) does not follow to another host either (curl's does)" {
	two_hosts
	run acore http-get -L -H 'PROXY-AUTHORIZATION: Basic Y' -H 'AUTHORIZATION: a' \
	    -H 'X-Other: 1' "$FIRST_URL"
	assert_success
	assert_output ok
	grep -q $'^PROXY-AUTHORIZATION: Basic Y\r$' "$FIRST_LOG"
	grep -q $'^X-Other: 1\r$' "$SECOND_LOG"
	run ! grep -i -e '^proxy-authorization' -e '^authorization' "$SECOND_LOG"
}

# ------------------------------------------------------------- URLs

@test "dot segments are removed from the path before sending, as curl does" {
	printf 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n' >"$TMP/ok"
	peer_start send -f "$TMP/ok"
	for path in /a/b/../c/./d /a/b/.. '/../../x?a/../b' /a/%2e%2e/c; do
		: >"$PEER_LOG"
		run acore http-get "$PEER_URL$path"
		assert_success
		heads "$PEER_LOG" >"$TMP/acore"
		: >"$PEER_LOG"
		curl -sS -o /dev/null "$PEER_URL$path"
		heads "$PEER_LOG" >"$TMP/curl"
		diff -u "$TMP/curl" "$TMP/acore"
	done
	: >"$PEER_LOG"
	acore http-get "$PEER_URL/a/b/../c/./d" >/dev/null
	[ "$(head -1 "$PEER_LOG")" = $'GET /a/c/d HTTP/1.1\r' ]
	# --absolute-form too
	: >"$PEER_LOG"
	acore http-get --absolute-form "$PEER_URL/a/./b/../c" >/dev/null
	[ "$(head -1 "$PEER_LOG")" = $'GET '"$PEER_URL"$'/a/c HTTP/1.1\r' ]
}

@test "an IPv6 zone id (RFC 6874: [::1%25lo]) connects; Host: leaves it out, as curl" {
	python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null ||
	    skip "no IPv6 loopback"
	printf 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n' >"$TMP/ok"
	peer_at ::1 send -f "$TMP/ok"
	url="http://[::1%25lo]:$PEER_PORT/z"
	run acore http-get "$url"
	assert_success
	assert_output ok
	heads "$PEER_LOG" >"$TMP/acore"
	: >"$PEER_LOG"
	curl -sS -o /dev/null "$url"
	heads "$PEER_LOG" >"$TMP/curl"
	diff -u "$TMP/curl" "$TMP/acore"
	grep -q "^Host: \[::1\]:$PEER_PORT\$" "$TMP/acore"
	# a zone that names no interface does not resolve: exit 4
	run --separate-stderr acore http-get "http://[::1%25nosuchif0]:$PEER_PORT/"
	assert_failure 4
	[ "$stderr" = "acore: http-get: http://[::1%25nosuchif0]:$PEER_PORT/: cannot resolve ::1%nosuchif0: Name or service not known" ]
}
