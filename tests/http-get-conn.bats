#!/usr/bin/env bats
# acore http-get: where a request goes and what it tells (issue 20,
# "Connection and reporting"): --unix-socket, --resolve, -r, --limit-rate,
# the -w variables of the connection and response, and -v's header lines,
# against the nginx of tests/http-helper.bash and curl through it.

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
}

teardown() {
	peer_stop_all
}

# http10_peer: a Python http.server (HTTP/1.0 answers, as its
# BaseHTTPRequestHandler sends) serving "one oh\n" as text/plain with a
# charset at every path; PEER_URL.
http10_peer() {
	peer_dir
	peer_spawn python3 -c '
import http.server, os, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"one oh\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()' "$PEER_DIR/port"
}

W_CONN='%{remote_ip} %{remote_port} [%{content_type}] %{num_redirects} %{url_effective} %{http_version} %{http_code}\n'

# same_w ARGS... URL: acore's and curl's -w "$W_CONN" for the URL, equal.
same_w() {
	local want
	want=$(curl -s -o /dev/null -w "$W_CONN" "$@" || true)
	run --separate-stderr acore http-get -s --no-fail -o /dev/null \
	    -w "$W_CONN" "$@"
	[ "$output" = "$want" ] || { echo "acore: $output"; echo "curl:  $want"; false; }
}

@test "-w remote_ip, remote_port, content_type, num_redirects, url_effective, http_version: what curl prints through the same server" {
	same_w "$NGINX_URL/small.txt"
	[ "$output" = "127.0.0.1 $NGINX_PORT [text/plain] 0 $NGINX_URL/small.txt 1.1 200" ]
	same_w "$NGINX_URL/r1"
	same_w -L "$NGINX_URL/r1"
	[ "$output" = "127.0.0.1 $NGINX_PORT [text/plain] 3 $NGINX_URL/dir/page.txt 1.1 200" ]
	same_w "$NGINX_URL/missing"
	[ "$output" = "127.0.0.1 $NGINX_PORT [text/html] 0 $NGINX_URL/missing 1.1 404" ]
	if [ "$NGINX_V6" = 1 ]; then
		same_w "http://[::1]:$NGINX_PORT/small.txt"
		[ "$output" = "::1 $NGINX_PORT [text/plain] 0 http://[::1]:$NGINX_PORT/small.txt 1.1 200" ]
	fi
	# an HTTP/1.0 answer ("1", as curl 7.88 prints it), a Content-Type
	# with parameters
	http10_peer
	same_w "$PEER_URL/x"
	[ "$output" = "127.0.0.1 $PEER_PORT [text/plain; charset=utf-8] 0 $PEER_URL/x 1 200" ]
	# nothing answered: no address, port 0, version 0, no type
	port=$(free_port)
	same_w "http://127.0.0.1:$port/"
	[ "$output" = " 0 [] 0 http://127.0.0.1:$port/ 0 000" ]
}

W_TIMES='%{time_namelookup} %{time_connect} %{time_appconnect} %{time_starttransfer} %{time_total}\n'

# ordered A B ...: each number at most the next.
ordered() {
	python3 -c 'import sys; v = [float(x) for x in sys.argv[1:]]; sys.exit(v != sorted(v))' "$@"
}

@test "-w time_namelookup <= time_connect <= time_starttransfer <= time_total; time_appconnect 0 without TLS" {
	run --separate-stderr acore http-get -w "$W_TIMES" \
	    -o /dev/null "$NGINX_URL/small.txt" \
	    -o /dev/null "$NGINX_URL/files/f001.txt"
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	for line in "${lines[@]}"; do
		[[ "$line" =~ ^([0-9]+\.[0-9]{6}\ ){4}[0-9]+\.[0-9]{6}$ ]]
		set -- $line
		[ "$3" = 0.000000 ]
		ordered "$1" "$2" "$4" "$5"
	done
	# a name to resolve (localhost) and a redirect on the way
	run --separate-stderr acore http-get -L -o /dev/null -w "$W_TIMES" \
	    "http://localhost:$NGINX_PORT/r1"
	assert_success
	set -- $output
	[ "$3" = 0.000000 ]
	ordered "$1" "$2" "$4" "$5"
	# https: the handshake between the connect and the head
	run --separate-stderr acore http-get --http1.1 --cacert "$NGINX_TLS_DIR/ca.pem" \
	    -o /dev/null -w "$W_TIMES" "$NGINX_TLS_URL/small.txt"
	assert_success
	set -- $output
	[ "$3" != 0.000000 ]
	ordered "$1" "$2" "$3" "$4" "$5"
	# a connect that failed: the lookup's time, the stages after it
	# 0, as curl's
	run --separate-stderr acore http-get -s -w "$W_TIMES" \
	    "http://127.0.0.1:$(free_port)/"
	assert_failure 5
	set -- $output
	[ "$2 $3 $4" = "0.000000 0.000000 0.000000" ]
	ordered "$1" "$5"
}

# heads_of < STDERR: the "> " and "< " lines, CRs as \r, the values that
# change from run to run (dates, the ETag, the port, versions) as X.
heads_of() {
	grep -a '^[<>] ' | sed -e 's/\r/\\r/' \
	    -e 's/^\(< \(Date\|Last-Modified\|ETag\): \).*\\r$/\1X\\r/' \
	    -e 's/^\(< Server: nginx\/\).*\\r$/\1X\\r/' \
	    -e 's/^\(> User-Agent: acore\/\).*\\r$/\1X\\r/' \
	    -e "s/127\.0\.0\.1:$NGINX_PORT/HOST/"
}

@test "-v: the request and response heads as curl -v shows them, between the dispatcher's log lines" {
	run --separate-stderr acore http-get -v -o "$TMP/f" "$NGINX_URL/small.txt"
	assert_success
	cmp "$TMP/f" "$NGINX_ROOT/small.txt"
	[ "$(printf '%s\n' "$stderr" | heads_of)" = "> GET /small.txt HTTP/1.1\\r
> Host: HOST\\r
> User-Agent: acore/X\\r
> Accept: */*\\r
> Connection: close\\r
> \\r
< HTTP/1.1 200 OK\\r
< Server: nginx/X\\r
< Date: X\\r
< Content-Type: text/plain\\r
< Content-Length: $(wc -c <"$NGINX_ROOT/small.txt")\\r
< Last-Modified: X\\r
< Connection: close\\r
< ETag: X\\r
< Accept-Ranges: bytes\\r
< \\r" ]
	# the request head before the write that sends it, the response
	# head after the read that brought it
	printf '%s\n' "$stderr" | awk '/^> GET/ { exit } { n++ } END { print n }' >"$TMP/n"
	[ "$(sed -n "$(cat "$TMP/n")p" <<<"$stderr")" = "$NGINX_URL/small.txt: handle_connect()" ]
	# curl -v shows the same response lines (but for the Connection it
	# asked for, and the Date)
	curl -sv -o /dev/null "$NGINX_URL/small.txt" 2>&1 | heads_of |
	    grep '^< ' | grep -v '^< \(Connection\|Date\):' >"$TMP/curl"
	printf '%s\n' "$stderr" | heads_of | grep '^< ' |
	    grep -v '^< \(Connection\|Date\):' >"$TMP/ours"
	diff "$TMP/curl" "$TMP/ours"
	# without -v: none of it
	run --separate-stderr acore http-get -o "$TMP/f" "$NGINX_URL/small.txt"
	assert_success
	[ -z "$stderr" ]
}

@test "--unix-socket: nginx's listen unix:PATH, the URL giving Host and path; -w as curl's" {
	run --separate-stderr acore http-get --unix-socket "$NGINX_SOCK" \
	    -o "$TMP/f" "http://localhost/small.txt"
	assert_success
	cmp "$TMP/f" "$NGINX_ROOT/small.txt"
	# %{remote_ip}: the peer's address, the path nginx bound (reached
	# here through a link), as curl's, which keeps 45 characters of it
	ln -s "$NGINX_SOCK" "$TMP/s"
	run --separate-stderr acore http-get -o /dev/null -w "$W_CONN" \
	    --unix-socket "$TMP/s" "http://localhost/files/f001.txt"
	assert_success
	[ "$output" = "$NGINX_SOCK 80 [text/plain] 0 http://localhost/files/f001.txt 1.1 200" ]
	[ "$(curl -s -o /dev/null -w "$W_CONN" --unix-socket "$TMP/s" \
	    "http://localhost/files/f001.txt")" = "${NGINX_SOCK:0:45} 80 [text/plain] 0 http://localhost/files/f001.txt 1.1 200" ]
	# no such socket: one line, status 5 (could not connect)
	run --separate-stderr acore http-get --unix-socket "$TMP/none" \
	    "http://localhost/"
	assert_failure 5
	[ "$stderr" = "acore: http-get: http://localhost/: connect to $TMP/none: No such file or directory" ]
}

@test "--resolve HOST:PORT:ADDR: a made-up name reaches 127.0.0.1, its Host kept; several addresses in order; bad syntax status 2" {
	access_mark
	run --separate-stderr acore http-get -w '%{remote_ip}\n' \
	    --resolve "made.up.test:$NGINX_PORT:127.0.0.1" \
	    -o "$TMP/f" "http://made.up.test:$NGINX_PORT/small.txt"
	assert_success
	assert_output 127.0.0.1
	cmp "$TMP/f" "$NGINX_ROOT/small.txt"
	[[ "$(access_since)" == *'"GET /small.txt HTTP/1.1" host="made.up.test:'"$NGINX_PORT"'"'* ]]
	# nothing listens on 127.0.0.2: the next address; curl agrees
	same_w --resolve "made.up.test:$NGINX_PORT:127.0.0.2,127.0.0.1" \
	    "http://made.up.test:$NGINX_PORT/small.txt"
	[ "$output" = "127.0.0.1 $NGINX_PORT [text/plain] 0 http://made.up.test:$NGINX_PORT/small.txt 1.1 200" ]
	# another port, another name: not mapped (cannot resolve, 4)
	run --separate-stderr acore http-get \
	    --resolve "made.up.test:$NGINX_PORT:127.0.0.1" \
	    "http://other.made.up.test:$NGINX_PORT/"
	assert_failure 4
	if [ "$NGINX_V6" = 1 ]; then
		same_w --resolve "made.up.test:$NGINX_PORT:[::1]" \
		    "http://made.up.test:$NGINX_PORT/small.txt"
		[ "$output" = "::1 $NGINX_PORT [text/plain] 0 http://made.up.test:$NGINX_PORT/small.txt 1.1 200" ]
	fi
	for bad in "made.up.test:$NGINX_PORT" "made.up.test::127.0.0.1" \
	    "made.up.test:x:127.0.0.1" "made.up.test:70000:127.0.0.1" \
	    ":80:127.0.0.1" "made.up.test:80:localhost" \
	    "made.up.test:80:127.0.0.1," "made.up.test:80:[::1"; do
		run --separate-stderr acore http-get --resolve "$bad" http://x/
		assert_failure 2
		[ "${stderr_lines[0]}" = "acore: http-get: bad --resolve '$bad' (want [+]HOST:PORT:ADDR[,ADDR]... with numeric addresses, or -HOST:PORT)" ]
	done
}

@test "--resolve as curl's: *:PORT for every name, the last entry wins, -HOST:PORT drops one, + is accepted" {
	P=$NGINX_PORT
	url=http://made.up.test:$P/small.txt
	# every name on that port; a name of its own wins over *
	same_w --resolve "*:$P:127.0.0.1" "http://any.made.up.test:$P/small.txt"
	[ "$output" = "127.0.0.1 $P [text/plain] 0 http://any.made.up.test:$P/small.txt 1.1 200" ]
	same_w --resolve "*:$P:127.0.0.2" --resolve "made.up.test:$P:127.0.0.1" "$url"
	[ "${output%% *}" = 127.0.0.1 ]
	# a later entry replaces an earlier one (nothing listens on 127.0.0.2)
	same_w --resolve "made.up.test:$P:127.0.0.2" --resolve "made.up.test:$P:127.0.0.1" "$url"
	[ "$output" = "127.0.0.1 $P [text/plain] 0 $url 1.1 200" ]
	same_w --resolve "+made.up.test:$P:127.0.0.1" "$url"
	[ "${output%% *}" = 127.0.0.1 ]
	# dropped: looked up, and made.up.test does not resolve (curl: 6)
	run --separate-stderr acore http-get --resolve "made.up.test:$P:127.0.0.1" \
	    --resolve "-made.up.test:$P" "$url"
	assert_failure 4
	run curl -s --resolve "made.up.test:$P:127.0.0.1" --resolve "-made.up.test:$P" "$url"
	assert_failure 6
	for bad in "-made.up.test" "-made.up.test:" "-made.up.test:x" "-:80"; do
		run --separate-stderr acore http-get --resolve "$bad" http://x/
		assert_failure 2
	done
}

@test "-r: the bytes curl gets for the same ranges; a bad range or -r with -C - is status 2; past the end 416, status 9" {
	for r in 0-9 100- -5 0-0 5-5 700-10000; do
		curl -s -r "$r" -o "$TMP/want" "$NGINX_URL/small.txt"
		run --separate-stderr acore http-get -r "$r" -o "$TMP/got" \
		    -w '%{http_code}' "$NGINX_URL/small.txt"
		assert_success
		assert_output 206
		cmp "$TMP/want" "$TMP/got"
	done
	head -c 10 "$NGINX_ROOT/small.txt" | cmp - "$TMP/got" 2>/dev/null ||
	    true
	run --separate-stderr acore http-get -r 0-9 "$NGINX_URL/small.txt"
	[ "$output" = "$(head -c 10 "$NGINX_ROOT/small.txt")" ]
	# several ranges: nginx's multipart/byteranges, as it comes
	run --separate-stderr acore http-get -r 0-0,-1 \
	    -w '\n%{content_type}' "$NGINX_URL/small.txt"
	assert_success
	[[ "${lines[-1]}" == "multipart/byteranges; boundary="* ]]
	[[ "$output" == *"Content-Range: bytes 0-0/$(wc -c <"$NGINX_ROOT/small.txt")"* ]]
	# past the end
	run --separate-stderr acore http-get -r 100000- "$NGINX_URL/small.txt"
	assert_failure 9
	[ "$stderr" = "acore: http-get: $NGINX_URL/small.txt: HTTP 416 Requested Range Not Satisfiable" ]
	for bad in '' abc 5-2 1-2, ,1-2 - 1--2 '1-2 ' -1-2 0x1-2; do
		run --separate-stderr acore http-get -r "$bad" http://x/
		assert_failure 2
		[ "${stderr_lines[0]}" = "acore: http-get: bad range '$bad' (want FIRST-LAST, FIRST- or -LAST, comma-separated)" ]
	done
	run --separate-stderr acore http-get -C - -r 0-1 -o "$TMP/c" http://x/
	assert_failure 2
	[ "${stderr_lines[0]}" = "acore: http-get: -C - and -r cannot be combined" ]
}

@test "--limit-rate 100k: 200 KiB take at least 1.5 s (the loop's timer, no sleep), the body whole; bad rates status 2" {
	head -c $((200 * 1024)) /dev/urandom >"$NGINX_ROOT/200k.bin"
	local t0 t1
	t0=$(date +%s%N)
	run --separate-stderr acore http-get --limit-rate 100k -o "$TMP/f" \
	    "$NGINX_URL/200k.bin"
	t1=$(date +%s%N)
	assert_success
	cmp "$TMP/f" "$NGINX_ROOT/200k.bin"
	# 100 KiB/s: 2 s less one read's worth; the upper bound is loose
	[ $(((t1 - t0) / 1000000)) -ge 1500 ]
	[ $(((t1 - t0) / 1000000)) -le 30000 ]
	# curl's suffixes: 1M is 1048576 bytes/s, quick here
	run --separate-stderr acore http-get --limit-rate 1M -o "$TMP/g" \
	    "$NGINX_URL/small.txt"
	assert_success
	cmp "$TMP/g" "$NGINX_ROOT/small.txt"
	for bad in 0 -1 10x ''; do
		run --separate-stderr acore http-get --limit-rate "$bad" http://x/
		assert_failure 2
	done
}
