#!/usr/bin/env bats
# acore http-get over HTTP/2 (issue 21): nginx with http2 on its TLS
# listener (ALPN) and on a plain one (prior knowledge), nghttpd as a
# second implementation, and tests/h2-peer.py, a server that breaks the
# rules on purpose.

bats_require_minimum_version 1.8.0

load helper
load http-helper
load tls-helper
load proxy-helper

H2PEER=$ACORE_SRCDIR/tests/h2-peer.py

setup_file() {
	export NGINX_TLS_DIR=$BATS_FILE_TMPDIR/pki NGINX_H2=1
	tls_pki "$NGINX_TLS_DIR"
	nginx_start
}

teardown_file() {
	nginx_stop
}

setup() {
	setup_tmp
	access_mark
	CA=$NGINX_TLS_DIR/ca.pem
	H2C_URL=http://127.0.0.1:$NGINX_H2C_PORT
	PIDS=()
}

teardown() {
	bg_stop "${PIDS[@]}"
	proxy_teardown
}

# h2peer MODE: tests/h2-peer.py on a free port: H2PEER_URL, H2PEER_LOG.
h2peer() {
	H2PEER_LOG=$TMP/h2peer.log
	: >"$H2PEER_LOG"
	bg_start pid python3 "$H2PEER" "$TMP/h2peer.port" "$H2PEER_LOG" "$1" \
	    </dev/null >/dev/null 2>"$TMP/h2peer.err"
	PIDS+=("$pid")
	wait_for_file "$TMP/h2peer.port"
	H2PEER_URL=http://127.0.0.1:$(cat "$TMP/h2peer.port")
}

@test "https: h2 by ALPN by default: the body, -w %{http_version} 2, nginx saw HTTP/2.0" {
	run -0 --separate-stderr acore http-get --cacert "$CA" -w '%{http_version}\n' "$NGINX_TLS_URL/small.txt"
	[ "$output" = "$(cat "$DATA/lorem.txt")
2" ]
	access_since | grep -q '"GET /small.txt HTTP/2.0"'
}

@test "https through a proxy's CONNECT tunnel: h2 by ALPN as direct, two URLs on one connection" {
	squid_start
	run -0 --separate-stderr acore http-get --cacert "$CA" -x "127.0.0.1:$SQUID_PORT" -w '%{http_version}\n' -o /dev/null -o /dev/null "$NGINX_TLS_URL/small.txt" "$NGINX_TLS_URL/index.html"
	[ "$output" = "2
2" ]
	access_since 2 >"$TMP/log"
	[ "$(grep -c ' HTTP/2.0" ' "$TMP/log")" -eq 2 ]
	[ "$(cut -d' ' -f1 "$TMP/log" | sort -u | wc -l)" -eq 1 ]
}

@test "https: --http1.1 offers no h2: HTTP/1.1, -w %{http_version} 1.1" {
	run -0 acore http-get --http1.1 --cacert "$CA" -o /dev/null -w '%{http_version}' "$NGINX_TLS_URL/small.txt"
	assert_output "1.1"
	access_since | grep -q '"GET /small.txt HTTP/1.1"'
}

@test "https: a TLS server without h2: ALPN falls back to http/1.1" {
	run -0 acore http-get --cacert "$CA" -w '%{http_version}\n' "https://localhost:$NGINX_TLS_H1_PORT/small.txt"
	[ "$output" = "$(cat "$DATA/lorem.txt")
1.1" ]
	access_since | grep -q '"GET /small.txt HTTP/1.1"'
}

@test "--http2-prior-knowledge: h2c on http://" {
	run -0 acore http-get --http2-prior-knowledge -w ' %{http_version}' "$H2C_URL/index.html"
	assert_output "index of the site
 2"
	access_since | grep -q '"GET /index.html HTTP/2.0"'
}

@test "100 URLs of one origin: one TCP connection, output in argument order" {
	urls=() want=
	for i in $(seq -w 1 100); do
		urls+=("$NGINX_TLS_URL/files/f$i.txt")
		want+="file $i"$'\n'
	done
	run -0 acore http-get --cacert "$CA" "${urls[@]}"
	[ "$output"$'\n' = "$want" ]
	access_since 100 >"$TMP/log"
	[ "$(grep -c ' HTTP/2.0" ' "$TMP/log")" -eq 100 ]
	# nginx's $connection, the first field: the same for all.
	[ "$(cut -d' ' -f1 "$TMP/log" | sort -u | wc -l)" -eq 1 ]
}

@test "-v logs the frames in the dispatcher's style" {
	size=$(wc -c <"$DATA/lorem.txt")
	run -0 --separate-stderr acore http-get -v --cacert "$CA" -o "$TMP/out" "$NGINX_TLS_URL/small.txt"
	grep -qxF "$NGINX_TLS_URL/small.txt: h2: HEADERS stream 1" <<<"$stderr"
	grep -qxF "$NGINX_TLS_URL/small.txt: h2: DATA stream 1 ($size)" <<<"$stderr"
	grep -qxF "$NGINX_TLS_URL/small.txt: h2: SETTINGS" <<<"$stderr"
	cmp "$TMP/out" "$DATA/lorem.txt"
}

@test "-v over h2: the request head as curl -v shows an HTTP/2 one" {
	run -0 --separate-stderr acore http-get -v --cacert "$CA" -o "$TMP/out" "$NGINX_TLS_URL/small.txt"
	printf '%s\n' "$stderr" | grep -a '^> ' | sed 's/\r$/\\r/' >"$TMP/ours"
	host=${NGINX_TLS_URL#https://}
	[ "$(cat "$TMP/ours")" = "> GET /small.txt HTTP/2\\r
> Host: $host\\r
> user-agent: $(sed -n 's/^> user-agent: \(.*\)\\r$/\1/p' "$TMP/ours")\\r
> accept: */*\\r
> \\r" ]
	grep -q '^> user-agent: acore/' "$TMP/ours"
	# curl's, but for its User-Agent
	curl -sv --http2 --cacert "$CA" -o /dev/null "$NGINX_TLS_URL/small.txt" 2>&1 |
	    grep -a '^> ' | sed 's/\r$/\\r/' | grep -v '^> user-agent:' >"$TMP/curl"
	grep -v '^> user-agent:' "$TMP/ours" | diff "$TMP/curl" -
	# the response head too
	printf '%s\n' "$stderr" | grep -qx $'< HTTP/2 200\r'
	cmp "$TMP/out" "$DATA/lorem.txt"
}

@test "-I and -i over h2: the head as HTTP/2 status line and fields" {
	run -0 acore http-get -I --cacert "$CA" "$NGINX_TLS_URL/small.txt"
	[ "${lines[0]}" = $'HTTP/2 200\r' ]
	assert_line $'content-length: '"$(wc -c <"$DATA/lorem.txt")"$'\r'
	run -0 acore http-get -i --http2-prior-knowledge "$H2C_URL/index.html"
	[ "${lines[0]}" = $'HTTP/2 200\r' ]
	[ "${lines[-1]}" = "index of the site" ]
}

@test "-f over h2: 404 is exit 9, --no-fail writes the page" {
	run -9 --separate-stderr acore http-get --cacert "$CA" "$NGINX_TLS_URL/nope"
	[ "$stderr" = "acore: http-get: $NGINX_TLS_URL/nope: HTTP 404" ]
	run -0 acore http-get --no-fail --http2-prior-knowledge "$H2C_URL/gone"
	assert_output "gone for good"
}

@test "--compressed over h2: gzip decoded" {
	run -0 acore http-get --compressed --http2-prior-knowledge -o "$TMP/out" "$H2C_URL/gz/lorem.txt"
	cmp "$TMP/out" "$DATA/lorem.txt"
	access_since | grep -q 'HTTP/2.0" .* 200 '
}

@test "-O and -C - over h2: the file resumed from where it ends" {
	head -c 1000 "$NGINX_ROOT/big.bin" >"$TMP/big.bin"
	cd "$TMP"
	run -0 acore http-get -C - -O --cacert "$CA" "$NGINX_TLS_URL/big.bin"
	cmp "$TMP/big.bin" "$NGINX_ROOT/big.bin"
	access_since | grep -q '"GET /big.bin HTTP/2.0" .* 206 '
}

@test "redirects: h2 origin to h1 origin and back" {
	run -0 acore http-get -L --cacert "$CA" -o /dev/null -w '%{http_version} %{num_redirects}' "$NGINX_TLS_URL/to-plain"
	assert_output "1.1 1"
	run -0 acore http-get -L --cacert "$CA" -o /dev/null -w '%{http_version} %{num_redirects}' "$NGINX_URL/to-tls"
	assert_output "2 1"
	run -0 acore http-get -L --http2-prior-knowledge -w ' %{http_version}' -o "$TMP/out" "$H2C_URL/r1"
	cmp "$TMP/out" "$DATA/lorem.txt"
}

@test "nghttpd, a second implementation: TLS by ALPN and h2c" {
	for try in 1 2 3 4 5; do
		port=$(free_port)
		bg_start pid nghttpd -d "$NGINX_ROOT" "$port" \
		    "$NGINX_TLS_DIR/srv.key" "$NGINX_TLS_DIR/chain.pem" \
		    </dev/null >/dev/null 2>&1
		PIDS+=("$pid")
		port2=$(free_port)
		bg_start pid nghttpd --no-tls -d "$NGINX_ROOT" "$port2" \
		    </dev/null >/dev/null 2>&1
		PIDS+=("$pid")
		ok=1
		for i in $(seq 100); do
			ss -Hltn "sport = :$port" | grep -q . &&
			    ss -Hltn "sport = :$port2" | grep -q . && break
			sleep 0.05
		done
		ss -Hltn "sport = :$port" | grep -q . &&
		    ss -Hltn "sport = :$port2" | grep -q . && break
		bg_stop "${PIDS[@]}"
		PIDS=()
	done
	run -0 acore http-get --cacert "$CA" -w ' %{http_version}\n' "https://localhost:$port/index.html" "https://localhost:$port/files/f007.txt"
	assert_output "index of the site
 2
file 007
 2"
	run -0 acore http-get --http2-prior-knowledge -o "$TMP/out" "http://127.0.0.1:$port2/small.txt"
	cmp "$TMP/out" "$DATA/lorem.txt"
}

@test "h2 peer: GOAWAY mid-batch: the unanswered streams go on new connections" {
	h2peer goaway
	run -0 acore http-get --http2-prior-knowledge "$H2PEER_URL/1" "$H2PEER_URL/2" "$H2PEER_URL/3" "$H2PEER_URL/4" "$H2PEER_URL/5"
	assert_output "conn 1 stream 1
conn 1 stream 3
conn 2 stream 1
conn 2 stream 3
conn 3 stream 1"
	[ "$(grep -c '^connection' "$H2PEER_LOG")" -eq 3 ]
}

@test "--retry over h2: a 503 is sent again, on the same connection" {
	h2peer flaky
	run -0 --separate-stderr acore http-get --retry 2 --http2-prior-knowledge "$H2PEER_URL/1"
	assert_output "conn 1 stream 3"
	[ "$stderr" = "acore: http-get: $H2PEER_URL/1: HTTP 503; retry 1 of 2 in 0 s" ]
	[ "$(grep -c '^connection' "$H2PEER_LOG")" -eq 1 ]
}

@test "h2 peer: RST_STREAM fails only its URL, exit 16" {
	h2peer rst
	run -16 --separate-stderr acore http-get --http2-prior-knowledge "$H2PEER_URL/1" "$H2PEER_URL/2" "$H2PEER_URL/3"
	assert_output "conn 1 stream 1
conn 1 stream 5"
	[ "$stderr" = "acore: http-get: $H2PEER_URL/2: stream 3 reset by 127.0.0.1 port ${H2PEER_URL##*:}: INTERNAL_ERROR" ]
}

@test "h2 peer: a zero window, the body held until its WINDOW_UPDATE" {
	h2peer window
	run -0 acore http-get --http2-prior-knowledge "$H2PEER_URL/1"
	assert_output "conn 1 stream 1"
}

@test "h2 peer: a header block over 64 KiB is exit 8, one line" {
	h2peer bigheaders
	run -8 --separate-stderr acore http-get --http2-prior-knowledge "$H2PEER_URL/1"
	[ "$stderr" = "acore: http-get: $H2PEER_URL/1: bad response from 127.0.0.1 port ${H2PEER_URL##*:}: header block over the size limit" ]
	[ "${#lines[@]}" -eq 0 ]
}

@test "h2 peer: a SETTINGS flood ends the connection, exit 16" {
	h2peer flood
	run -16 --separate-stderr acore http-get --http2-prior-knowledge "$H2PEER_URL/1"
	[[ "$stderr" == "acore: http-get: $H2PEER_URL/1: 127.0.0.1 port ${H2PEER_URL##*:}: HTTP/2: "* ]]
	[ "$(wc -l <<<"$stderr")" -eq 1 ]
}

@test "an output pipe blocked for 2 s: the whole body, memory bounded" {
	[ "${ACORE_VALGRIND:-0}" = 1 ] && skip "RSS under valgrind is valgrind's"
	# The reader starts 2 s late; the body is 50 MiB.
	command time -f '%M' -o "$TMP/rss" "$ACORE" http-get --cacert "$CA" \
	    "$NGINX_TLS_URL/big.bin" | { sleep 2; cat; } >"$TMP/out"
	cmp "$TMP/out" "$NGINX_ROOT/big.bin"
	access_since | grep -q '"GET /big.bin HTTP/2.0" .* 200 '
	# KiB: the 1 MiB read buffer and nghttp2, not the 50 MiB body.
	# ASan's shadow memory and quarantine: no RSS bound there.
	if ! grep -q __asan_init "$ACORE_BUILDDIR/.libs/acore" 2>/dev/null; then
		[ "$(cat "$TMP/rss")" -lt 30000 ]
	fi
}
