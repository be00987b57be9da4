#!/usr/bin/env bats
# acore http-get: credentials (-u, URL userinfo, --digest, --netrc), cookies
# (-b, -c) and -e, against nginx's auth_basic and tests/auth-peer.py, which
# records every request head it reads; where curl is the reference, both
# send the same request and the heads are compared byte for byte.

bats_require_minimum_version 1.8.0

load helper
load http-helper

setup_file() {
	NGINX_HTPASSWD=$BATS_FILE_TMPDIR/htpasswd
	export NGINX_HTPASSWD
	printf 'alice:%s\n' "$(openssl passwd -apr1 's3cret pw')" >"$NGINX_HTPASSWD"
	NGINX_BIG=0 nginx_start
	mkdir -p "$NGINX_ROOT/private"
	printf 'private page\n' >"$NGINX_ROOT/private/page.txt"
}

teardown_file() {
	nginx_stop
}

setup() {
	setup_tmp
}

teardown() {
	peer_stop_all
}

# auth_peer [auth-peer.py options]: sets PEER_URL and PEER_LOG.
auth_peer() {
	peer_dir
	PEER_LOG=$PEER_DIR/requests
	peer_spawn python3 "$ACORE_SRCDIR/tests/auth-peer.py" -p "$PEER_DIR/port" \
	    -l "$PEER_LOG" -t 30 "$@"
}

# The request heads of a log, CRs dropped, without User-Agent and
# Connection (which differ between the clients by design).
heads() {
	tr -d '\r' <"$1" | grep -v -i -e '^User-Agent:' -e '^Connection:'
}

# ------------------------------------------------------------------ Basic

@test "-u user:password: nginx auth_basic (openssl passwd -apr1) lets us in" {
	run acore http-get -u 'alice:s3cret pw' "$NGINX_URL/private/page.txt"
	assert_success
	[ "$output" = "private page" ]
}

@test "-u user alone: the password is asked on the terminal, not echoed" {
	run python3 "$ACORE_SRCDIR/tests/pty-answer.py" \
	    "Enter host password for user 'alice':" "s3cret pw" \
	    "$ACORE" http-get -s -u alice -o "$TMP/out" "$NGINX_URL/private/page.txt"
	assert_success
	[ "$output" = "b\"Enter host password for user 'alice':\\n\" 0" ]
	[ "$(cat "$TMP/out")" = "private page" ]
}

@test "no or wrong credentials: nginx says 401, exit 9" {
	run --separate-stderr acore http-get "$NGINX_URL/private/page.txt"
	assert_failure 9
	[ "$stderr" = "acore: http-get: $NGINX_URL/private/page.txt: HTTP 401 Unauthorized" ]
	run acore http-get -s -u 'alice:wrong' "$NGINX_URL/private/page.txt"
	assert_failure 9
}

@test "URL userinfo, percent-decoded; error lines never show the password" {
	run acore http-get "http://alice:s3cret%20pw@127.0.0.1:$NGINX_PORT/private/page.txt"
	assert_success
	[ "$output" = "private page" ]
	run --separate-stderr acore http-get "http://alice:secret%20XYZ@127.0.0.1:$NGINX_PORT/private/page.txt"
	assert_failure 9
	[ "$stderr" = "acore: http-get: $NGINX_URL/private/page.txt: HTTP 401 Unauthorized" ]
}

@test "--netrc-file: the machine's login and password; --netrc reads \$HOME/.netrc" {
	printf 'machine other login x password y\nmachine 127.0.0.1\n  login alice\n  password "s3cret pw"\n' >"$TMP/netrc"
	run acore http-get --netrc-file "$TMP/netrc" "$NGINX_URL/private/page.txt"
	assert_success
	[ "$output" = "private page" ]
	cp "$TMP/netrc" "$TMP/.netrc"
	HOME=$TMP run acore http-get -n "$NGINX_URL/private/page.txt"
	assert_success
	[ "$output" = "private page" ]
	run --separate-stderr acore http-get --netrc-file "$TMP/none" "$NGINX_URL/"
	assert_failure 1
	[ "$stderr" = "acore: http-get: $TMP/none: No such file or directory" ]
}

@test "-u, -b and -e: the same request head as curl's, byte for byte" {
	auth_peer
	acore http-get -s -u 'u:p w' -b 'a=1; b = 2' -e 'http://ref.example/x' "$PEER_URL/page" >/dev/null
	curl -s -u 'u:p w' -b 'a=1; b = 2' -e 'http://ref.example/x' "$PEER_URL/page" >/dev/null
	awk '/^#conn/ { n = $2 } { print > (FILENAME "." n) }' "$PEER_LOG"
	heads "$PEER_LOG.1" >"$TMP/acore"
	heads "$PEER_LOG.2" >"$TMP/curl"
	sed -i 's/^#conn .*/#conn/' "$TMP/acore" "$TMP/curl"
	diff "$TMP/curl" "$TMP/acore"
	grep -q $'^Authorization: Basic dTpwIHc=$' "$TMP/acore"
	grep -q '^Cookie: a=1; b = 2$' "$TMP/acore"
	grep -q '^Referer: http://ref.example/x$' "$TMP/acore"
}

@test "-L: -u credentials do not follow a redirect to another host; --location-trusted sends them" {
	auth_peer -a 127.0.0.2
	SECOND_URL=$PEER_URL
	SECOND_URL=${SECOND_URL/127.0.0.1/127.0.0.2}
	SECOND_LOG=$PEER_LOG
	auth_peer -r "$SECOND_URL/there"
	run acore http-get -L -u u:p -b 's=1' "$PEER_URL/away"
	assert_success
	[ "$(grep -c '^Authorization: Basic dTpw' "$PEER_LOG")" = 1 ]
	[ "$(grep -c '^Cookie: s=1' "$PEER_LOG")" = 1 ]
	run ! grep -i -e '^Authorization' -e '^Cookie' "$SECOND_LOG"
	run acore http-get --location-trusted -u u:p "$PEER_URL/away"
	assert_success
	[ "$(grep -c '^Authorization: Basic dTpw' "$SECOND_LOG")" = 1 ]
}

# ----------------------------------------------------------------- Digest

@test "--digest MD5 and SHA-256: the 401's challenge answered on the same connection" {
	auth_peer
	for algo in MD5 SHA-256 MD5-sess; do
		: >"$PEER_LOG"
		run acore http-get --digest -u 'Mufasa:Circle of Life' "$PEER_URL/digest/$algo"
		assert_success
		[ "$output" = "authenticated" ]
		# two requests, one connection: the first without credentials
		[ "$(grep -c '^GET ' "$PEER_LOG")" = 2 ]
		[ "$(grep '^#conn' "$PEER_LOG" | sort -u | wc -l)" = 1 ]
		run grep -c '^Authorization: Digest username="Mufasa", realm="acore@test", nonce="nonce[0-9]*", uri="/digest/'"$algo"'", cnonce="[0-9a-f]\{32\}", nc=00000001, qop=auth, response="[0-9a-f]*", opaque="op4que", algorithm='"$algo"$'\r$' "$PEER_LOG"
		[ "$output" = 1 ]
	done
}

@test "--digest: stale=true gets a new nonce and one more try; a wrong password stays 401" {
	auth_peer
	run acore http-get --digest -u 'Mufasa:Circle of Life' "$PEER_URL/digest/SHA-256/stale"
	assert_success
	[ "$output" = "authenticated" ]
	[ "$(grep -c '^GET ' "$PEER_LOG")" = 3 ]
	[ "$(grep -c '^Authorization: Digest' "$PEER_LOG")" = 2 ]
	: >"$PEER_LOG"
	run --separate-stderr acore http-get --digest -u 'Mufasa:wrong' "$PEER_URL/digest/MD5"
	assert_failure 9
	[ "$stderr" = "acore: http-get: $PEER_URL/digest/MD5: HTTP 401 X" ]
	[ "$(grep -c '^GET ' "$PEER_LOG")" = 2 ]
}

@test "--digest: the same requests as curl's, cnonce and response aside" {
	auth_peer
	acore http-get -s --digest -u 'Mufasa:Circle of Life' "$PEER_URL/digest/MD5" >/dev/null
	curl -s --digest -u 'Mufasa:Circle of Life' "$PEER_URL/digest/MD5" >/dev/null
	norm() {
		heads "$1" | sed -e 's/cnonce="[^"]*"/cnonce="C"/' \
		    -e 's/response="[^"]*"/response="R"/' -e 's/nonce[0-9][0-9]*/NONCE/' \
		    -e 's/^#conn .*/#conn/'
	}
	awk '/^#conn/ { n = $2 } { print > (FILENAME "." n) }' "$PEER_LOG"
	norm "$PEER_LOG.1" >"$TMP/acore"
	norm "$PEER_LOG.2" >"$TMP/curl"
	diff "$TMP/curl" "$TMP/acore"
}

@test "--digest with -d: the body goes again with the answer; auth-int hashes it" {
	auth_peer
	for path in MD5 SHA-256/int; do
		: >"$PEER_LOG"
		run --separate-stderr acore http-get --digest -u 'Mufasa:Circle of Life' -d 'a=1&b=2' "$PEER_URL/digest/$path"
		assert_success
		[ "$output" = "authenticated" ]
		[ "$(grep -c '^POST ' "$PEER_LOG")" = 2 ]
		[ "$(grep -c '^#body a=1&b=2$' "$PEER_LOG")" = 2 ]
		[ "$(grep '^#conn' "$PEER_LOG" | sort -u | wc -l)" = 1 ]
	done
	grep -q ', qop=auth-int, ' "$PEER_LOG"
}

@test "--digest with -T - (stdin): its body cannot go again, exit 19" {
	auth_peer
	run --separate-stderr acore http-get --digest -u 'Mufasa:Circle of Life' -T - "$PEER_URL/digest/MD5" < <(printf 'streamed')
	assert_failure 19
	[ "$stderr" = "acore: http-get: $PEER_URL/digest/MD5: the body from stdin cannot be sent again (401 Digest challenge)" ]
	[ "$(grep -c '^PUT ' "$PEER_LOG")" = 1 ]
	[ "$(grep -c '^#body streamed$' "$PEER_LOG")" = 1 ]
}

@test "--digest, -T FILE and a challenge offering auth-int alone: exit 11" {
	auth_peer
	printf 'in a file' >"$TMP/up"
	run --separate-stderr acore http-get --digest -u 'Mufasa:Circle of Life' -T "$TMP/up" "$PEER_URL/digest/MD5/int"
	assert_failure 11
	[ "$stderr" = "acore: http-get: $PEER_URL/digest/MD5/int: Digest qop=auth-int hashes the body: only one in memory (-d, --json, -F without files)" ]
	# the same file with qop=auth is sent twice
	run --separate-stderr acore http-get --digest -u 'Mufasa:Circle of Life' -T "$TMP/up" "$PEER_URL/digest/MD5"
	assert_success
	[ "$(grep -c '^#body in a file$' "$PEER_LOG")" = 3 ]
}

@test "-u, -b and -e with -d: the same request head and body as curl's" {
	auth_peer
	acore http-get -s -u 'u:p w' -b 'a=1' -e 'http://ref.example/x' -d 'x=1' "$PEER_URL/page" >/dev/null
	curl -s -u 'u:p w' -b 'a=1' -e 'http://ref.example/x' -d 'x=1' "$PEER_URL/page" >/dev/null
	awk '/^#conn/ { n = $2 } { print > (FILENAME "." n) }' "$PEER_LOG"
	heads "$PEER_LOG.1" >"$TMP/acore"
	heads "$PEER_LOG.2" >"$TMP/curl"
	sed -i 's/^#conn .*/#conn/' "$TMP/acore" "$TMP/curl"
	diff "$TMP/curl" "$TMP/acore"
	grep -q '^#body x=1$' "$TMP/acore"
}

# ---------------------------------------------------------------- cookies

@test "-c: a cookie set by a redirect goes with the next request; the jar is written 0600, as curl's" {
	auth_peer
	run acore http-get -L -c "$TMP/jar" "$PEER_URL/set"
	assert_success
	[ "$output" = "cookie: b=2; a=1" ]
	[ "$(stat -c %a "$TMP/jar")" = 600 ]
	curl -s -L -c "$TMP/curl-jar" "$PEER_URL/set" >"$TMP/curl-out"
	[ "$(cat "$TMP/curl-out")" = "cookie: b=2; a=1" ]
	# the same cookie lines (comments aside), in any order
	diff <(grep -v '^#[^H]' "$TMP/curl-jar" | grep . | sort) \
	    <(grep -v '^#[^H]' "$TMP/jar" | grep . | sort)
	# c=3 had Domain=example.com: refused
	run ! grep -q 'example.com' "$TMP/jar"
}

@test "-b FILE: a cookie file round trip; -b a missing file starts an empty jar" {
	auth_peer
	acore http-get -s -L -c "$TMP/jar" "$PEER_URL/set" >/dev/null
	run acore http-get -b "$TMP/jar" "$PEER_URL/check"
	assert_success
	[ "$output" = "cookie: b=2; a=1" ]
	run acore http-get -b "$TMP/curl-made" "$PEER_URL/check"
	[ "$output" = "cookie: " ]
	curl -s -L -c "$TMP/curl-made" "$PEER_URL/set" >/dev/null
	run acore http-get -b "$TMP/curl-made" -c "$TMP/jar2" "$PEER_URL/check"
	[ "$output" = "cookie: b=2; a=1" ]
	diff <(grep -v '^#[^H]' "$TMP/jar" | grep . | sort) \
	    <(grep -v '^#[^H]' "$TMP/jar2" | grep . | sort)
}

@test "-c into a directory that does not exist: exit 10 after the fetch" {
	auth_peer
	run --separate-stderr acore http-get -c "$TMP/no/such/jar" "$PEER_URL/set"
	assert_failure 10
	[ "$stderr" = "acore: http-get: $TMP/no/such/jar: No such file or directory" ]
}

@test "-b with a control character is a usage error" {
	run --separate-stderr acore http-get -b $'a=1\r\nX: y' http://127.0.0.1:1/
	assert_failure 2
	[ "${stderr%%$'\n'*}" = "acore: http-get: -b: a control character" ]
}

@test "-e ';auto' with -L: each redirected request names the URL before it" {
	auth_peer
	run acore http-get -L -e 'http://first/;auto' "$PEER_URL/set"
	assert_success
	run grep -c '^Referer: http://first/' "$PEER_LOG"
	[ "$output" = 1 ]
	grep -q "^Referer: $PEER_URL/set"$'\r$' "$PEER_LOG"
}
