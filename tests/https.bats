#!/usr/bin/env bats
# acore http-get over TLS: nginx with ssl on loopback, certificates made by
# tls_pki in setup_file, and tests/tls-peer.py for servers that misbehave.

bats_require_minimum_version 1.8.0

load helper
load http-helper
load tls-helper

setup_file() {
	tls_nginx_setup_file
}

teardown_file() {
	nginx_stop
}

setup() {
	setup_tmp
	access_mark
	CA=$NGINX_TLS_DIR/ca.pem
	PEER_PID=
}

teardown() {
	bg_stop "$PEER_PID"
}

# tls_peer MODE: tests/tls-peer.py on a free port; sets PEER_PORT.
tls_peer() {
	bg_start PEER_PID python3 "$ACORE_SRCDIR/tests/tls-peer.py" "$1" \
	    "$TMP/peer-port" "$NGINX_TLS_DIR/chain.pem" "$NGINX_TLS_DIR/srv.key"
	wait_for_file "$TMP/peer-port"
	PEER_PORT=$(cat "$TMP/peer-port")
}

@test "https: a fetch verified with --cacert gives the file byte for byte" {
	acore http-get --cacert "$CA" -o "$TMP/big" "$NGINX_TLS_URL/big.bin"
	cmp "$NGINX_ROOT/big.bin" "$TMP/big"
}

@test "https: --chunk-size 256 reads never stall on bytes OpenSSL holds" {
	acore http-get --cacert "$CA" --chunk-size 256 -o "$TMP/small" \
	    "$NGINX_TLS_URL/small.txt" "$NGINX_TLS_URL/chunked.shtml"
	cmp "$NGINX_ROOT/small.txt" "$TMP/small"
	acore http-get --cacert "$CA" --chunk-size 256 -o "$TMP/big" \
	    "$NGINX_TLS_URL/big.bin"
	cmp "$NGINX_ROOT/big.bin" "$TMP/big"
}

@test "https: the chunked body of an SSI page" {
	run -0 acore http-get --cacert "$CA" "$NGINX_TLS_URL/chunked.shtml"
	assert_output "$(printf 'head\n%s\nmid\nfile 001\ntail' "$(cat "$NGINX_ROOT/small.txt")")"
}

@test "https: a CA directory (--capath) verifies as well" {
	mkdir "$TMP/cadir"
	cp "$CA" "$TMP/cadir/$(openssl x509 -hash -noout -in "$CA").0"
	run -0 acore http-get --capath "$TMP/cadir" "$NGINX_TLS_URL/index.html"
	assert_output "index of the site"
}

@test "https: unknown CA: exit 14, the reason, no output file" {
	run -14 acore http-get -o "$TMP/out" "$NGINX_TLS_URL/index.html"
	assert_output "acore: http-get: $NGINX_TLS_URL/index.html: connect to localhost port $NGINX_TLS_PORT: certificate verify failed: unknown CA: unable to get local issuer certificate"
	[ ! -e "$TMP/out" ]
	run -14 acore http-get --cacert "$CA" -o "$TMP/out" \
	    "https://localhost:$NGINX_TLS_UNKNOWN_PORT/index.html"
	assert_output --partial "certificate verify failed: unknown CA: "
	[ ! -e "$TMP/out" ]
}

@test "https: an expired certificate: exit 14, no output file" {
	run -14 acore http-get --cacert "$CA" -o "$TMP/out" \
	    "https://localhost:$NGINX_TLS_EXPIRED_PORT/index.html"
	assert_output "acore: http-get: https://localhost:$NGINX_TLS_EXPIRED_PORT/index.html: connect to localhost port $NGINX_TLS_EXPIRED_PORT: certificate verify failed: expired or not yet valid: certificate has expired"
	[ ! -e "$TMP/out" ]
}

@test "https: an address the localhost certificate does not name: exit 14" {
	run -14 acore http-get --cacert "$CA" -o "$TMP/out" \
	    "https://127.0.0.1:$NGINX_TLS_PORT/index.html"
	assert_output "acore: http-get: https://127.0.0.1:$NGINX_TLS_PORT/index.html: connect to 127.0.0.1 port $NGINX_TLS_PORT: certificate verify failed: host name mismatch: IP address mismatch"
	[ ! -e "$TMP/out" ]
}

@test "https: -k fetches from an unknown CA, an expired cert, a wrong name" {
	for url in "$NGINX_TLS_URL" "https://localhost:$NGINX_TLS_EXPIRED_PORT" \
	    "https://127.0.0.1:$NGINX_TLS_PORT"; do
		run -0 acore http-get -k "$url/index.html"
		assert_output "index of the site"
	done
	run -0 acore http-get --insecure "https://localhost:$NGINX_TLS_UNKNOWN_PORT/index.html"
	assert_output "index of the site"
}

@test "https: a server that does not speak TLS: exit 13, no output file" {
	tls_peer plain
	run -13 acore http-get --cacert "$CA" -o "$TMP/out" \
	    "https://localhost:$PEER_PORT/"
	assert_output --regexp "^acore: http-get: https://localhost:$PEER_PORT/: connect to localhost port $PEER_PORT: TLS: "
	[ ! -e "$TMP/out" ]
}

@test "https: a body cut without close_notify is an error (exit 7), not an end" {
	tls_peer truncate
	run -7 acore http-get --cacert "$CA" -o "$TMP/out" \
	    "https://localhost:$PEER_PORT/"
	assert_output "acore: http-get: https://localhost:$PEER_PORT/: localhost port $PEER_PORT: TLS connection closed without close_notify (truncated)"
	[ ! -e "$TMP/out" ]
}

@test "https: http -> https and https -> http redirects" {
	run -0 acore http-get -L --cacert "$CA" "$NGINX_URL/to-tls"
	assert_output "$(cat "$NGINX_ROOT/small.txt")"
	run -0 acore http-get -L --cacert "$CA" "$NGINX_TLS_URL/to-plain"
	assert_output "$(cat "$NGINX_ROOT/small.txt")"
	# The log shows both legs: the redirect, then the other scheme.
	access_since 4 | awk '{ print $3, $4, $(NF-2) }' >"$TMP/log"
	cat >"$TMP/want" <<-W
	"GET /to-tls 302
	"GET /small.txt 200
	"GET /to-plain 302
	"GET /small.txt 200
	W
	diff -u "$TMP/want" "$TMP/log"
}

@test "https: keep-alive: ten URLs on one TLS connection, apart from http" {
	urls=()
	for i in 01 02 03 04 05 06 07 08 09 10; do
		urls+=("$NGINX_TLS_URL/files/f0$i.txt")
	done
	run -0 acore http-get -Z 1 --cacert "$CA" "${urls[@]}" "$NGINX_URL/files/f001.txt"
	[ "${#lines[@]}" = 11 ]
	# nginx's $connection: one for the ten https requests, another for http
	[ "$(access_since 11 | awk '{ print $1 }' | sort -u | wc -l)" = 2 ]
	[ "$(access_since | awk '$4 ~ /f0[01]/ { print $1 }' | sort -u | wc -l)" = 2 ]
}

@test "https: -v logs the handshake: protocol and cipher" {
	run -0 acore http-get -v --cacert "$CA" -o "$TMP/out" "$NGINX_TLS_URL/index.html"
	assert_line --regexp "^$NGINX_TLS_URL/index.html: TLS handshake done: TLSv1\.[23], [A-Z0-9_-]+, ALPN http/1\.1$"
}

@test "https: AES-128-GCM is asked for first, so nginx picks it; the file is exact" {
	run -0 acore http-get -v --cacert "$CA" -o "$TMP/out" "$NGINX_TLS_URL/big.bin"
	assert_line --regexp "TLS handshake done: TLSv1\.2, ECDHE-ECDSA-AES128-GCM-SHA256, "
	cmp "$TMP/out" "$NGINX_ROOT/big.bin"
}

@test "https: --ciphers picks the TLS 1.2 cipher, as curl's" {
	run -0 acore http-get -v --ciphers ECDHE-ECDSA-AES256-GCM-SHA384 \
	    --cacert "$CA" -o "$TMP/out" "$NGINX_TLS_URL/big.bin"
	assert_line --regexp "TLS handshake done: TLSv1\.2, ECDHE-ECDSA-AES256-GCM-SHA384, "
	cmp "$TMP/out" "$NGINX_ROOT/big.bin"
	run -0 curl -sv --ciphers ECDHE-ECDSA-AES256-GCM-SHA384 --cacert "$CA" \
	    -o /dev/null "$NGINX_TLS_URL/big.bin"
	assert_line --partial "SSL connection using TLSv1.2 / ECDHE-ECDSA-AES256-GCM-SHA384"
}

@test "https: --ciphers with none the server has: the handshake fails, exit 13" {
	run -13 acore http-get --ciphers ECDHE-RSA-AES128-GCM-SHA256 \
	    --tls13-ciphers TLS_CHACHA20_POLY1305_SHA256 --cacert "$CA" \
	    -o "$TMP/out" "$NGINX_TLS_URL/big.bin"
	assert_output --partial "acore: http-get: $NGINX_TLS_URL/big.bin: "
	assert_equal "${#lines[@]}" 1
	[ ! -e "$TMP/out" ]
}

@test "https: --ciphers or --tls13-ciphers OpenSSL does not know: exit 2, one line" {
	run -2 acore http-get --ciphers NO-SUCH-CIPHER "$NGINX_TLS_URL/"
	assert_output "acore: http-get: --ciphers: no cipher OpenSSL knows in 'NO-SUCH-CIPHER'"
	run -2 acore http-get --tls13-ciphers TLS_NO_SUCH "$NGINX_TLS_URL/"
	assert_output "acore: http-get: --tls13-ciphers: no cipher suite OpenSSL knows in 'TLS_NO_SUCH'"
	run -2 acore http-get --ciphers '' "$NGINX_TLS_URL/"
	assert_output "acore: http-get: --ciphers: no cipher OpenSSL knows in ''"
}

# s_server_tls13: openssl s_server -www, TLS 1.3 only; sets PEER_PORT.
s_server_tls13() {
	bg_start PEER_PID openssl s_server -accept 127.0.0.1:0 -tls1_3 -www \
	    -cert "$NGINX_TLS_DIR/chain.pem" -cert_chain "$NGINX_TLS_DIR/chain.pem" \
	    -key "$NGINX_TLS_DIR/srv.key" \
	    >"$TMP/s_server.out" 2>&1
	local i
	for i in $(seq 100); do
		PEER_PORT=$(sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$TMP/s_server.out")
		[ -z "$PEER_PORT" ] || return 0
		sleep 0.05
	done
	return 1
}

@test "https: TLS 1.3: TLS_AES_128_GCM_SHA256 first; --tls13-ciphers picks the suite" {
	s_server_tls13
	run -0 acore http-get -v --cacert "$CA" "https://localhost:$PEER_PORT/"
	assert_line --regexp "TLS handshake done: TLSv1\.3, TLS_AES_128_GCM_SHA256$"
	assert_line --regexp "Cipher is TLS_AES_128_GCM_SHA256"
	run -0 acore http-get -v --tls13-ciphers TLS_CHACHA20_POLY1305_SHA256 \
	    --cacert "$CA" "https://localhost:$PEER_PORT/"
	assert_line --regexp "TLS handshake done: TLSv1\.3, TLS_CHACHA20_POLY1305_SHA256$"
	assert_line --regexp "Cipher is TLS_CHACHA20_POLY1305_SHA256"
}

@test "https: a missing --cacert file: exit 1, one line" {
	run -1 acore http-get --cacert "$TMP/none.pem" "$NGINX_TLS_URL/"
	assert_output "acore: http-get: $TMP/none.pem: No such file or directory"
}

@test "https: the Host header carries a port other than 443" {
	run -0 acore http-get --cacert "$CA" "$NGINX_TLS_URL/index.html"
	access_since | grep -q 'host="localhost:'"$NGINX_TLS_PORT"'"'
}

@test "man EXAMPLES: https with the test CA into a file" {
	cmd=$(mandoc -T ascii "$ACORE_SRCDIR/man/acore-http-get.1" | col -b |
	    awk '/^EXAMPLES/ { on = 1 } /^SEE ALSO/ { on = 0 }
		on && /^[ \t]+\$ acore http-get.*https:/ { sub(/^[ \t]+\$ /, ""); print }')
	[ -n "$cmd" ]
	cmd=${cmd//https:\/\/www.example.com/$NGINX_TLS_URL}
	cmd=${cmd//ca.pem/$CA}
	cmd=${cmd/acore /timeout 60 $ACORE }
	mkdir -p "$TMP/ex"
	(cd "$TMP/ex" && eval "$cmd")
	cmp "$NGINX_ROOT/index.html" "$TMP/ex/page.html"
}
