#!/usr/bin/env bats
# Proxies: acore echo-client through real proxies on loopback (squid for
# HTTP CONNECT, danted and microsocks for SOCKS5 and SOCKS4, a small
# SOCKS4a peer of ours), plain and with TLS to an acore echo-server --tls
# behind them; each stage's failure with its message and exit status.

bats_require_minimum_version 1.8.0

load helper
load echo-helper
load tls-helper
load proxy-helper

setup_file() {
	export PKI=$BATS_FILE_TMPDIR/pki
	tls_pki "$PKI"
}

teardown() {
	local i
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		bg_stop "${PIDS[$i]}"
	done
	proxy_teardown
}

tls_srv() {
	srv --tls --cert "$PKI/chain.pem" --key "$PKI/srv.key"
}

@test "echo-client -X connect -x through squid: plain, and --tls verified by the target's name" {
	srv
	squid_start
	run --separate-stderr acore echo-client -X connect -x "127.0.0.1:$SQUID_PORT" -m 'through squid' 127.0.0.1 "$PORT"
	assert_success
	assert_output 'through squid'
	[ "$stderr" = "" ]
	srv_stop
	tls_srv
	run --separate-stderr acore echo-client --tls --cacert "$PKI/ca.pem" -X connect -x "127.0.0.1:$SQUID_PORT" -m 'TLS through squid' localhost "$PORT"
	assert_success
	assert_output 'TLS through squid'
	# squid saw a tunnel to the target's name, never the TLS inside it.
	grep -q "CONNECT localhost:$PORT " "$SQUID_DIR/access.log"
}

@test "echo-client -X 5 -x through danted, plain and --tls; -X 4 (SOCKS4)" {
	tls_srv
	dante_start
	run --separate-stderr acore echo-client --tls --cacert "$PKI/ca.pem" -X 5 -x "127.0.0.1:$DANTE_PORT" -m 'TLS over SOCKS5' localhost "$PORT"
	assert_success
	assert_output 'TLS over SOCKS5'
	run --separate-stderr acore echo-client --tls --cacert "$PKI/ca.pem" -X 4 -x "127.0.0.1:$DANTE_PORT" -m 'TLS over SOCKS4' localhost "$PORT"
	assert_success
	assert_output 'TLS over SOCKS4'
	srv_stop
	srv
	run --separate-stderr acore echo-client -x "127.0.0.1:$DANTE_PORT" -m 'plain SOCKS5, -X 5 the default' 127.0.0.1 "$PORT"
	assert_success
	assert_output 'plain SOCKS5, -X 5 the default'
}

@test "echo-client --proxy socks5h:// with user and password through microsocks; wrong and none: exit 18" {
	tls_srv
	microsocks_start alice 's3c ret'
	run --separate-stderr acore echo-client --tls --cacert "$PKI/ca.pem" --proxy "socks5h://alice:s3c%20ret@127.0.0.1:$MS_PORT" -m 'with a password' localhost "$PORT"
	assert_success
	assert_output 'with a password'
	run --separate-stderr acore echo-client --tls --cacert "$PKI/ca.pem" --proxy "socks5h://alice:wrong@127.0.0.1:$MS_PORT" -m x localhost "$PORT"
	assert_failure 18
	[ "$stderr" = "acore: echo-client: proxy 127.0.0.1 port $MS_PORT: proxy refused the user name or password" ]
	run --separate-stderr acore echo-client --proxy "socks5h://127.0.0.1:$MS_PORT" -m x localhost "$PORT"
	assert_failure 18
	[ "$stderr" = "acore: echo-client: proxy 127.0.0.1 port $MS_PORT: proxy needs authentication" ]
}

@test "echo-client -P USER through danted's username method and squid's Basic: password from ACORE_PROXY_PASSWORD" {
	tls_srv
	dante_start auth
	ACORE_PROXY_PASSWORD=s3cret run --separate-stderr acore echo-client --tls --cacert "$PKI/ca.pem" -X 5 -x "127.0.0.1:$DANTE_PORT" -P proxyuser -m 'a dante user' localhost "$PORT"
	assert_success
	assert_output 'a dante user'
	ACORE_PROXY_PASSWORD=bad run --separate-stderr acore echo-client -X 5 -x "127.0.0.1:$DANTE_PORT" -P proxyuser -m x localhost "$PORT"
	assert_failure 18
	[ "$stderr" = "acore: echo-client: proxy 127.0.0.1 port $DANTE_PORT: proxy refused the user name or password" ]
	squid_start auth
	ACORE_PROXY_PASSWORD=secret run --separate-stderr acore echo-client --tls --cacert "$PKI/ca.pem" -X connect -x "127.0.0.1:$SQUID_PORT" -P alice -m 'a squid user' localhost "$PORT"
	assert_success
	assert_output 'a squid user'
	ACORE_PROXY_PASSWORD=bad run --separate-stderr acore echo-client -X connect -x "127.0.0.1:$SQUID_PORT" -P alice -m x localhost "$PORT"
	assert_failure 18
	[ "$stderr" = "acore: echo-client: proxy 127.0.0.1 port $SQUID_PORT: proxy refused the user name or password (HTTP/1.1 407 Proxy Authentication Required)" ]
	run --separate-stderr acore echo-client -X connect -x "127.0.0.1:$SQUID_PORT" -m x localhost "$PORT" </dev/null
	assert_failure 18
	[ "$stderr" = "acore: echo-client: proxy 127.0.0.1 port $SQUID_PORT: proxy needs authentication (HTTP/1.1 407 Proxy Authentication Required)" ]
}

@test "echo-client -P USER without ACORE_PROXY_PASSWORD asks on the terminal, no echo" {
	tls_srv
	microsocks_start alice 's3c ret'
	run python3 "$ACORE_SRCDIR/tests/pty-answer.py" "Proxy password: " 's3c ret' \
	    "$ACORE" echo-client -X 5 -x "127.0.0.1:$MS_PORT" -P alice \
	    --tls --cacert "$PKI/ca.pem" -m 'asked for' localhost "$PORT"
	assert_success
	[ "$output" = "b'Proxy password: \\nasked for' 0" ]
	# a wrong answer is the proxy's refusal, exit 18
	run python3 "$ACORE_SRCDIR/tests/pty-answer.py" "Proxy password: " wrong \
	    "$ACORE" echo-client -X 5 -x "127.0.0.1:$MS_PORT" -P alice -m x localhost "$PORT"
	assert_success
	[ "${output##* }" = 18 ]
}

@test "echo-client --proxy socks4a:// sends the name for the proxy to resolve" {
	tls_srv
	socks4a_start
	run --separate-stderr acore echo-client --tls --cacert "$PKI/ca.pem" --proxy "socks4a://127.0.0.1:$S4_PORT" -m 'over SOCKS4a' localhost "$PORT"
	assert_success
	assert_output 'over SOCKS4a'
	[ "$(cat "$S4_LOG")" = "4 1 user= localhost:$PORT" ]
}

@test "echo-client through a proxy: squid's 403 for a port, a dead proxy, an unknown name, a stall" {
	srv
	squid_start deny "$PORT"
	run --separate-stderr acore echo-client -X connect -x "127.0.0.1:$SQUID_PORT" -m x 127.0.0.1 "$PORT"
	assert_failure 18
	[ "$stderr" = "acore: echo-client: proxy 127.0.0.1 port $SQUID_PORT: HTTP proxy refused the tunnel with status 403 (HTTP/1.1 403 Forbidden)" ]
	dead=$(free_port)
	run --separate-stderr acore echo-client --proxy "http://127.0.0.1:$dead" -m x 127.0.0.1 "$PORT"
	assert_failure 17
	[ "$stderr" = "acore: echo-client: connect to proxy 127.0.0.1 port $dead: Connection refused" ]
	run --separate-stderr acore echo-client --proxy "socks5://$UNRESOLVABLE" -m x 127.0.0.1 "$PORT"
	assert_failure 15
	[ "$stderr" = "acore: echo-client: cannot resolve proxy $UNRESOLVABLE: Non-recoverable failure in name resolution" ]
	peer_srv silent
	run --separate-stderr acore echo-client -w 0.5 --proxy "socks5h://127.0.0.1:$PPORT" -m x 127.0.0.1 "$PORT"
	assert_failure 6
	[ "$stderr" = "acore: echo-client: connect to 127.0.0.1 port $PORT: timed out after 0.5 s" ]
}

@test "echo-client -v through a proxy logs each stage" {
	tls_srv
	microsocks_start
	run --separate-stderr acore echo-client -v --tls --cacert "$PKI/ca.pem" --proxy "socks5h://127.0.0.1:$MS_PORT" -m hi localhost "$PORT"
	assert_success
	printf '%s\n' "$stderr" | grep -E 'proxy|tunnel|TLS handshake' | sed -E 's/TLSv1\.3, .*/TLSv1.3/' >"$TMP/stages"
	cat >"$TMP/want" <<-EOF
	EchoClient: connecting to ('localhost', $PORT) through a proxy
	EchoClient: connecting to the SOCKS5h proxy ('127.0.0.1', $MS_PORT)
	EchoClient: tunnel: SOCKS5h proxy, to ('localhost', $PORT)
	EchoClient: tunnel: up through the SOCKS5h proxy
	EchoClient: TLS handshake done: TLSv1.3
	EOF
	diff -u "$TMP/want" "$TMP/stages"
}

@test "echo-client proxy usage errors: exit 2, one line" {
	run --separate-stderr acore echo-client -X 5 -m x 127.0.0.1 9
	assert_failure 2
	[ "${stderr%%$'\n'*}" = "acore: echo-client: -X and -P need -x" ]
	run --separate-stderr acore echo-client -X 7 -x 127.0.0.1:1 -m x 127.0.0.1 9
	assert_failure 2
	[ "${stderr%%$'\n'*}" = "acore: echo-client: unknown proxy protocol (4, 5 or connect): '7'" ]
	run --separate-stderr acore echo-client --proxy ftp://127.0.0.1:1 -m x 127.0.0.1 9
	assert_failure 2
	[ "${stderr%%$'\n'*}" = "acore: echo-client: unsupported proxy scheme: 'ftp://127.0.0.1:1'" ]
	run --separate-stderr acore echo-client --proxy http://127.0.0.1:99999 -m x 127.0.0.1 9
	assert_failure 2
	[ "${stderr%%$'\n'*}" = "acore: echo-client: bad proxy port: 'http://127.0.0.1:99999'" ]
	run --separate-stderr acore echo-client -u -x 127.0.0.1:1 -m x 127.0.0.1 9
	assert_failure 2
	[ "${stderr%%$'\n'*}" = "acore: echo-client: a proxy cannot be used with -U or -u" ]
}
