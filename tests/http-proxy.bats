#!/usr/bin/env bats
# acore http-get through real proxies on loopback (squid, danted,
# microsocks, the SOCKS4a peer), with curl through the same proxies as the
# reference: the bytes the server (tests/peer.c, which records every
# request head) or a recording proxy receives from each are compared.

bats_require_minimum_version 1.8.0

load helper
load http-helper
load tls-helper
load proxy-helper

setup_file() {
	export NGINX_TLS_DIR=$BATS_FILE_TMPDIR/pki
	tls_pki "$NGINX_TLS_DIR"
	nginx_start
}

teardown_file() {
	nginx_stop
}

setup() {
	setup_tmp
	PIDS=()
	CA=$NGINX_TLS_DIR/ca.pem
	# The proxies the tests choose, never the environment's.
	unset http_proxy https_proxy HTTPS_PROXY HTTP_PROXY all_proxy \
	    ALL_PROXY no_proxy NO_PROXY
}

teardown() {
	local i
	peer_stop_all
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		bg_stop "${PIDS[$i]}"
	done
	proxy_teardown
}

# Request heads, CRs dropped, without what differs between the clients by
# design: User-Agent, Connection, and curl's Proxy-Connection.
heads() {
	tr -d '\r' <"$1" | grep -v -i -e '^User-Agent:' -e '^Connection:' \
	    -e '^Proxy-Connection:'
}

@test "http through an http proxy: absolute form to the proxy, the bytes squid and the server get are curl's" {
	printf 'HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhello\n' >"$TMP/resp"
	# The proxy's view: a recording peer stands in for it.
	peer_start send -f "$TMP/resp" -c 2
	run --separate-stderr acore http-get -x "http://u:p%40ss@127.0.0.1:$PEER_PORT" "http://example.test:8080/a?b=1"
	assert_success
	assert_output hello
	curl -s -x "http://u:p%40ss@127.0.0.1:$PEER_PORT" "http://example.test:8080/a?b=1" >/dev/null
	tr -d '\r' <"$PEER_LOG" | head -3 >"$TMP/first"
	printf '%s\n' 'GET http://example.test:8080/a?b=1 HTTP/1.1' \
	    'Host: example.test:8080' 'Proxy-Authorization: Basic dTpwQHNz' >"$TMP/want"
	diff -u "$TMP/want" "$TMP/first"
	heads "$PEER_LOG" >"$TMP/both"
	n=$(wc -l <"$TMP/both")
	diff -u <(head -n $((n / 2)) "$TMP/both") <(tail -n $((n / 2)) "$TMP/both")
	peer_stop_all
	# The server's view, through squid.
	peer_start send -f "$TMP/resp" -c 2
	squid_start
	run --separate-stderr acore http-get -x "127.0.0.1:$SQUID_PORT" "$PEER_URL/x"
	assert_success
	assert_output hello
	curl -s -x "127.0.0.1:$SQUID_PORT" "$PEER_URL/x" >/dev/null
	heads "$PEER_LOG" >"$TMP/both"
	n=$(wc -l <"$TMP/both")
	[ "$n" -gt 4 ]
	diff -u <(head -n $((n / 2)) "$TMP/both") <(tail -n $((n / 2)) "$TMP/both")
}

@test "https through squid's CONNECT, verified against the target's name, as curl" {
	squid_start
	run --separate-stderr acore http-get --cacert "$CA" -x "http://127.0.0.1:$SQUID_PORT" "$NGINX_TLS_URL/small.txt"
	assert_success
	[ "$output" = "$(cat "$NGINX_ROOT/small.txt")" ]
	[ "$output" = "$(curl -s --cacert "$CA" -x "http://127.0.0.1:$SQUID_PORT" "$NGINX_TLS_URL/small.txt")" ]
	[ "$(grep -c "CONNECT localhost:$NGINX_TLS_PORT " "$SQUID_DIR/access.log")" -eq 2 ]
	# What the CONNECT says, as curl's: a recording peer as the proxy.
	peer_start send -f /dev/null -c 2
	run --separate-stderr acore http-get --cacert "$CA" -x "127.0.0.1:$PEER_PORT" -U alice:secret "$NGINX_TLS_URL/small.txt"
	curl -s --cacert "$CA" -x "127.0.0.1:$PEER_PORT" -U alice:secret "$NGINX_TLS_URL/small.txt" || true
	heads "$PEER_LOG" >"$TMP/both"
	printf '%s\n' "CONNECT localhost:$NGINX_TLS_PORT HTTP/1.1" \
	    "Host: localhost:$NGINX_TLS_PORT" \
	    'Proxy-Authorization: Basic YWxpY2U6c2VjcmV0' '' >"$TMP/one"
	diff -u <(cat "$TMP/one" "$TMP/one") "$TMP/both"
}

@test "socks5 and socks5h through danted: socks5h never looks the name up here" {
	# A name only danted's /etc/hosts knows.
	printf '127.0.0.1 localhost only-the-proxy.test\n' >"$TMP/hosts"
	dante_start hosts "$TMP/hosts"
	url=http://only-the-proxy.test:$NGINX_PORT/small.txt
	run --separate-stderr acore http-get -x "socks5h://127.0.0.1:$DANTE_PORT" "$url"
	assert_success
	[ "$output" = "$(cat "$NGINX_ROOT/small.txt")" ]
	[ "$output" = "$(curl -s -x "socks5h://127.0.0.1:$DANTE_PORT" "$url")" ]
	# socks5: the name is looked up here, where it does not exist.
	run --separate-stderr acore http-get -x "socks5://127.0.0.1:$DANTE_PORT" "http://$UNRESOLVABLE:$NGINX_PORT/small.txt"
	assert_failure 4
	[ "$stderr" = "acore: http-get: http://$UNRESOLVABLE:$NGINX_PORT/small.txt: cannot resolve $UNRESOLVABLE: Non-recoverable failure in name resolution" ]
	run --separate-stderr acore http-get -x "socks5://127.0.0.1:$DANTE_PORT" "http://localhost:$NGINX_PORT/small.txt"
	assert_success
	[ "$output" = "$(cat "$NGINX_ROOT/small.txt")" ]
	# https over SOCKS5, verified as the URL's host
	run --separate-stderr acore http-get --cacert "$CA" -x "socks5h://127.0.0.1:$DANTE_PORT" "$NGINX_TLS_URL/small.txt"
	assert_success
	[ "$output" = "$(cat "$NGINX_ROOT/small.txt")" ]
}

@test "-w remote_ip and remote_port through a proxy are the proxy's, as curl's" {
	# The proxy on another loopback address than the server's.
	MS_ADDR=127.0.0.2 microsocks_start
	url=http://127.0.0.1:$NGINX_PORT/small.txt
	run -0 --separate-stderr acore http-get -o /dev/null \
	    -w '%{remote_ip} %{remote_port}' -x "socks5://127.0.0.2:$MS_PORT" "$url"
	[ "$output" = "127.0.0.2 $MS_PORT" ]
	[ "$output" = "$(curl -s -o /dev/null -w '%{remote_ip} %{remote_port}' \
	    -x "socks5://127.0.0.2:$MS_PORT" "$url")" ]
}

@test "socks4a through the SOCKS4a peer: the name goes to the proxy" {
	socks4a_start
	run --separate-stderr acore http-get -x "socks4a://127.0.0.1:$S4_PORT" "http://localhost:$NGINX_PORT/small.txt"
	assert_success
	[ "$output" = "$(cat "$NGINX_ROOT/small.txt")" ]
	curl -s -o /dev/null -x "socks4a://127.0.0.1:$S4_PORT" "http://localhost:$NGINX_PORT/small.txt"
	[ "$(cat "$S4_LOG")" = "4 1 user= localhost:$NGINX_PORT
4 1 user= localhost:$NGINX_PORT" ]
}

@test "proxy authentication: required, wrong, right (squid Basic, microsocks SOCKS5)" {
	squid_start auth
	run --separate-stderr acore http-get -x "127.0.0.1:$SQUID_PORT" "$NGINX_URL/small.txt"
	assert_failure 18
	[ "$output" = "" ]
	[ "$stderr" = "acore: http-get: $NGINX_URL/small.txt: proxy needs authentication (HTTP 407 Proxy Authentication Required)" ]
	run --separate-stderr acore http-get -x "127.0.0.1:$SQUID_PORT" -U alice:wrong "$NGINX_URL/small.txt"
	assert_failure 18
	[ "$stderr" = "acore: http-get: $NGINX_URL/small.txt: proxy refused the user name or password (HTTP 407 Proxy Authentication Required)" ]
	run --separate-stderr acore http-get -x "http://alice:secret@127.0.0.1:$SQUID_PORT" "$NGINX_URL/small.txt"
	assert_success
	[ "$output" = "$(cat "$NGINX_ROOT/small.txt")" ]
	run --separate-stderr acore http-get --cacert "$CA" -x "127.0.0.1:$SQUID_PORT" "$NGINX_TLS_URL/small.txt"
	assert_failure 18
	[ "$stderr" = "acore: http-get: $NGINX_TLS_URL/small.txt: proxy 127.0.0.1 port $SQUID_PORT: proxy needs authentication (HTTP/1.1 407 Proxy Authentication Required)" ]
	run --separate-stderr acore http-get --cacert "$CA" -x "127.0.0.1:$SQUID_PORT" -U alice:secret "$NGINX_TLS_URL/small.txt"
	assert_success
	microsocks_start alice secret
	run --separate-stderr acore http-get -x "socks5h://alice:bad@127.0.0.1:$MS_PORT" "$NGINX_URL/small.txt"
	assert_failure 18
	[ "$stderr" = "acore: http-get: $NGINX_URL/small.txt: proxy 127.0.0.1 port $MS_PORT: proxy refused the user name or password" ]
	run --separate-stderr acore http-get -x "socks5h://127.0.0.1:$MS_PORT" -U alice:secret "$NGINX_URL/small.txt"
	assert_success
}

@test "a proxy that refuses CONNECT to a port (403), a dead one, one with no address, one that stalls" {
	squid_start deny "$NGINX_TLS_PORT"
	run --separate-stderr acore http-get --cacert "$CA" -x "127.0.0.1:$SQUID_PORT" "$NGINX_TLS_URL/small.txt"
	assert_failure 18
	[ "$stderr" = "acore: http-get: $NGINX_TLS_URL/small.txt: proxy 127.0.0.1 port $SQUID_PORT: HTTP proxy refused the tunnel with status 403 (HTTP/1.1 403 Forbidden)" ]
	dead=$(free_port)
	run --separate-stderr acore http-get -x "127.0.0.1:$dead" "$NGINX_URL/small.txt"
	assert_failure 17
	[ "$stderr" = "acore: http-get: $NGINX_URL/small.txt: connect to proxy 127.0.0.1 port $dead: Connection refused" ]
	run --separate-stderr acore http-get -x "socks5h://$UNRESOLVABLE:1080" "$NGINX_URL/small.txt"
	assert_failure 15
	[ "$stderr" = "acore: http-get: $NGINX_URL/small.txt: cannot resolve proxy $UNRESOLVABLE: Non-recoverable failure in name resolution" ]
	rm -f "$TMP/stall"
	python3 "$ACORE_SRCDIR/tests/echo-peer.py" server silent "$TMP/stall" 3>&- &
	PIDS+=("$!")
	wait_for_file "$TMP/stall" 10
	run --separate-stderr acore http-get --connect-timeout 0.5 -x "socks5h://127.0.0.1:$(cat "$TMP/stall")" "$NGINX_URL/small.txt"
	assert_failure 6
	[ "$stderr" = "acore: http-get: $NGINX_URL/small.txt: connect to 127.0.0.1 port $NGINX_PORT: timed out after 0.5 s" ]
}

@test "the environment: http_proxy, https_proxy, all_proxy, no_proxy; never HTTP_PROXY; -x '' and --noproxy" {
	squid_start
	dead=$(free_port)
	squid() { grep -c "$1" "$SQUID_DIR/access.log" || true; }
	http_proxy="127.0.0.1:$SQUID_PORT" run -0 acore http-get "$NGINX_URL/small.txt"
	[ "$(squid "GET $NGINX_URL/small.txt")" -eq 1 ]
	# HTTP_PROXY is what a CGI program's Proxy: header becomes: ignored.
	HTTP_PROXY="127.0.0.1:$dead" run -0 acore http-get "$NGINX_URL/small.txt"
	https_proxy="127.0.0.1:$SQUID_PORT" run -0 acore http-get --cacert "$CA" "$NGINX_TLS_URL/small.txt"
	HTTPS_PROXY="127.0.0.1:$SQUID_PORT" run -0 acore http-get --cacert "$CA" "$NGINX_TLS_URL/small.txt"
	[ "$(squid "CONNECT localhost:$NGINX_TLS_PORT")" -eq 2 ]
	ALL_PROXY="127.0.0.1:$SQUID_PORT" run -0 acore http-get "$NGINX_URL/index.html"
	all_proxy="127.0.0.1:$SQUID_PORT" https_proxy="127.0.0.1:$dead" run -0 acore http-get "$NGINX_URL/small.txt"
	[ "$(squid "GET $NGINX_URL/index.html")" -eq 1 ]
	[ "$(squid "GET $NGINX_URL/small.txt")" -eq 2 ]
	# no_proxy and NO_PROXY: the host goes direct; a domain covers names
	# under it; --noproxy replaces it; -x '' turns the proxy off.
	http_proxy="127.0.0.1:$dead" no_proxy="example.org, 127.0.0.1" run -0 acore http-get "$NGINX_URL/small.txt"
	http_proxy="127.0.0.1:$dead" NO_PROXY="*" run -0 acore http-get "$NGINX_URL/small.txt"
	https_proxy="127.0.0.1:$dead" no_proxy=.localhost,other run -0 acore http-get --cacert "$CA" "$NGINX_TLS_URL/small.txt"
	https_proxy="127.0.0.1:$dead" no_proxy=host.localhost run -17 acore http-get --cacert "$CA" "$NGINX_TLS_URL/small.txt"
	http_proxy="127.0.0.1:$dead" no_proxy=127.0.0.1 run -17 acore http-get --noproxy other "$NGINX_URL/small.txt"
	run -0 acore http-get -x "127.0.0.1:$dead" --noproxy 127.0.0.1 "$NGINX_URL/small.txt"
	http_proxy="127.0.0.1:$dead" run -0 acore http-get -x '' "$NGINX_URL/small.txt"
	[ "$(squid "GET $NGINX_URL/small.txt")" -eq 2 ]
}

@test "keep-alive per proxy, scheme, host and port: two URLs, one connection through the proxy" {
	squid_start
	run --separate-stderr acore http-get -v -x "127.0.0.1:$SQUID_PORT" --parallel-max 1 "$NGINX_URL/small.txt" "$NGINX_URL/index.html" --noproxy localhost "http://localhost:$NGINX_PORT/small.txt"
	assert_success
	[ "$(grep -c "through the http proxy ('127.0.0.1', $SQUID_PORT)" <<<"$stderr")" -eq 1 ]
	[ "$(grep -c "connecting to ('localhost', $NGINX_PORT)" <<<"$stderr")" -eq 1 ]
}

@test "precedence: --unix-socket over a proxy; --resolve only where the name is resolved here" {
	dead=$(free_port)
	# curl ignores the proxy with --unix-socket: so does http-get.
	run -0 --separate-stderr acore http-get -x "127.0.0.1:$dead" --unix-socket "$NGINX_SOCK" "$NGINX_URL/small.txt"
	[ "$output" = "$(cat "$NGINX_ROOT/small.txt")" ]
	http_proxy="127.0.0.1:$dead" run -0 acore http-get --unix-socket "$NGINX_SOCK" "$NGINX_URL/small.txt"
	# socks5 resolves here: --resolve's address is what danted is given.
	printf '127.0.0.1 localhost only-the-proxy.test\n' >"$TMP/hosts"
	dante_start hosts "$TMP/hosts"
	run -0 --separate-stderr acore http-get -x "socks5://127.0.0.1:$DANTE_PORT" --resolve "$UNRESOLVABLE:$NGINX_PORT:127.0.0.1" "http://$UNRESOLVABLE:$NGINX_PORT/small.txt"
	[ "$output" = "$(cat "$NGINX_ROOT/small.txt")" ]
	# socks5h and http proxies get the name: --resolve does not apply
	# (nothing listens at its address; the proxy finds the server).
	run -0 --separate-stderr acore http-get -x "socks5h://127.0.0.1:$DANTE_PORT" --resolve "only-the-proxy.test:$NGINX_PORT:127.0.0.2" "http://only-the-proxy.test:$NGINX_PORT/small.txt"
	[ "$output" = "$(cat "$NGINX_ROOT/small.txt")" ]
	squid_start
	run -0 --separate-stderr acore http-get -x "127.0.0.1:$SQUID_PORT" --resolve "localhost:$NGINX_PORT:127.0.0.2" "http://localhost:$NGINX_PORT/small.txt"
	[ "$output" = "$(cat "$NGINX_ROOT/small.txt")" ]
	[ "$(grep -c "GET http://localhost:$NGINX_PORT/small.txt" "$SQUID_DIR/access.log")" -eq 1 ]
}

@test "--http2-prior-knowledge through an HTTP proxy: the request goes in HTTP/1.1's absolute form" {
	printf 'HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhello\n' >"$TMP/resp"
	peer_start send -f "$TMP/resp" -c 1
	run -0 --separate-stderr acore http-get --http2-prior-knowledge -w ' %{http_version}' -x "127.0.0.1:$PEER_PORT" "http://example.test:8080/a"
	[ "$output" = "hello
 1.1" ]
	[ "$(tr -d '\r' <"$PEER_LOG" | head -1)" = "GET http://example.test:8080/a HTTP/1.1" ]
}

@test "http-get proxy usage errors: exit 2, one line" {
	run --separate-stderr acore http-get -x ftp://127.0.0.1:1 http://127.0.0.1:9/
	assert_failure 2
	[ "${stderr%%$'\n'*}" = "acore: http-get: unsupported proxy scheme: 'ftp://127.0.0.1:1'" ]
	run --separate-stderr acore http-get -x 'http://127.0.0.1:1/path' http://127.0.0.1:9/
	assert_failure 2
	[ "${stderr%%$'\n'*}" = "acore: http-get: a proxy URL has no path: 'http://127.0.0.1:1/path'" ]
}
