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
