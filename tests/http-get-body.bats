#!/usr/bin/env bats
# acore http-get request bodies on the wire: tests/body-peer.py records
# every request's bytes (head and body, chunk framing included), and the
# same request made by curl is the reference where curl and the issue
# agree.

bats_require_minimum_version 1.8.0

load helper
load http-helper

setup() {
	setup_tmp
	printf 'a\r\nb\nc' >"$TMP/f.txt"
	printf 'x y' >"$TMP/g"
	cd "$TMP"
}

teardown() {
	bg_stop "${BODY_PIDS[@]}"
}

# body_peer_start: a recording peer; sets BODY_URL and BODY_LOG (its
# waits in BODY_LOG.waits).
BODY_PIDS=()
body_peer_start() {
	local dir i
	dir=$(mktemp -d "$BATS_TEST_TMPDIR/body.XXXXXX")
	BODY_LOG=$dir/log
	python3 "$ACORE_SRCDIR/tests/body-peer.py" "$dir/port" "$BODY_LOG" \
	    </dev/null >/dev/null 2>"$dir/stderr" 3>&- &
	BODY_PIDS+=("$!")
	for i in $(seq 100); do
		[ -s "$dir/port" ] && break
		sleep 0.05
	done
	BODY_URL=http://127.0.0.1:$(cat "$dir/port")
}

# The log without what differs between two clients by design: the
# User-Agent and Connection fields, and multipart boundaries.
norm() {
	grep -a -v -i -e '^User-Agent:' -e '^Connection:' "$1" |
	    sed -e 's/-\{24\}[0-9a-f]\{16\}/BOUNDARY/g' \
	    -e 's/127\.0\.0\.1:[0-9]*/HOST/'
}

# same_as_curl PATH ARGS...: the request acore and curl make with ARGS
# to PATH on a fresh peer each, compared byte for byte; both succeed.
# Each reads stdin from the file SAME_IN (default: none).
same_as_curl() {
	local path=$1 in=${SAME_IN:-/dev/null}
	shift
	body_peer_start
	run acore http-get "$@" "$BODY_URL$path" <"$in"
	assert_success
	assert_output "ok"
	norm "$BODY_LOG" >"$TMP/acore.req"
	body_peer_start
	curl -s -o /dev/null "$@" "$BODY_URL$path" <"$in"
	norm "$BODY_LOG" >"$TMP/curl.req"
	cmp "$TMP/acore.req" "$TMP/curl.req"
}

@test "-d, --data-binary, --data-raw: joined with &, @file read (CR and LF dropped for -d), as curl" {
	same_as_curl /d -d 'x y' -d @f.txt -d z
	[ "$(tail -c 9 "$BODY_LOG")" = "x y&abc&z" ]
	same_as_curl /b --data-binary @f.txt --data-raw @f.txt
	[ "$(tail -c 13 "$BODY_LOG")" = "$(printf 'a\r\nb\nc&@f.txt')" ]
	same_as_curl /a --data-ascii a --data b
	# stdin
	printf 'in\nput' >"$TMP/in"
	SAME_IN=$TMP/in same_as_curl /s -d @-
	[ "$(tail -c 5 "$BODY_LOG")" = "input" ]
	# the exact head
	body_peer_start
	run acore http-get -A '' -d 'x y' "$BODY_URL/d"
	assert_success
	printf 'POST /d HTTP/1.1\r\nHost: %s\r\nAccept: */*\r\nConnection: close\r\nContent-Length: 3\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\nx y' \
	    "${BODY_URL#http://}" >"$TMP/want"
	cmp "$BODY_LOG" "$TMP/want"
}

@test "--data-urlencode: curl's five forms, byte for byte" {
	same_as_curl /u --data-urlencode 'a b&c' --data-urlencode '=é x' \
	    --data-urlencode 'n=v w' --data-urlencode @f.txt \
	    --data-urlencode 'm@g' --data-urlencode 'p@q=r' \
	    --data-urlencode 'x=-._~*!()/:+'
	want='a+b%26c&%C3%A9+x&n=v+w&a%0D%0Ab%0Ac&m=x+y&p@q=r&x=-._~%2A%21%28%29%2F%3A%2B'
	[ "$(tail -c ${#want} "$BODY_LOG")" = "$want" ]
}

@test "--json: Content-Type and Accept as curl 7.82, values concatenated, -d pieces joined with &" {
	same_as_curl /j --json '{"a":1}' --json '[2]'
	[ "$(tail -c 10 "$BODY_LOG")" = '{"a":1}[2]' ]
	grep -a -x $'Content-Type: application/json\r' "$BODY_LOG"
	grep -a -x $'Accept: application/json\r' "$BODY_LOG"
	run grep -a -c 'Accept:' "$BODY_LOG"
	assert_output 1
	same_as_curl /jd -d a --json '{"a":1}' -d b
	same_as_curl /jf -H 'X-A: 1' --json @f.txt
}

@test "-G puts the data in the query; -X sets the method; -H replaces Content-Type" {
	same_as_curl '/g?q=1#frag' -G -d a=1 -d 'b=2'
	run head -1 "$BODY_LOG"
	assert_output $'GET /g?q=1&a=1&b=2 HTTP/1.1\r'
	same_as_curl /g -G --data-urlencode 'b=2 3'
	run head -1 "$BODY_LOG"
	assert_output $'GET /g?b=2+3 HTTP/1.1\r'
	same_as_curl /p -X PATCH -d a
	same_as_curl /x -X DELETE
	same_as_curl /h -H 'Content-Type: t/t' -d a
	same_as_curl /h -H 'X-A: 1' -d a
}

@test "-F: multipart/form-data as curl, boundaries aside" {
	same_as_curl /F -F n=v -F f=@f.txt -F 'g=@g;type=x/y;filename=zz' \
	    -F 'h=<f.txt' -F 'i=v;type=t/x' -F 'a"b=c' -F 'k=@f.txt;filename="q\"x"'
	grep -a -x $'Content-Disposition: form-data; name="f"; filename="f.txt"\r' "$BODY_LOG"
	grep -a -x $'Content-Disposition: form-data; name="a%22b"\r' "$BODY_LOG"
	# file parts' types from their names, as curl; stdin has none
	printf 'x' >"$TMP/p.png"
	SAME_IN=$TMP/g same_as_curl /F2 -F a=@p.png -F b=@g -F 'c=@-'
	# a fresh boundary each run
	body_peer_start
	run acore http-get -F a=b -F a=c "$BODY_URL/F" "$BODY_URL/F"
	assert_success
	[ "$(grep -a -c '^Content-Type: multipart/form-data; boundary=-\{24\}[0-9a-f]\{16\}' "$BODY_LOG")" = 2 ]
}

@test "-T FILE: PUT with Content-Length, its name appended to a URL ending in /, as curl" {
	printf x >"$TMP/a b%.txt"
	body_peer_start
	run acore http-get --parallel-max 1 -T 'a b%.txt' "$BODY_URL/up/" "$BODY_URL" "$BODY_URL/d/?q=1" "$BODY_URL/name"
	assert_success
	run grep -a 'HTTP/1.1' "$BODY_LOG"
	assert_output $'PUT /up/a%20b%25.txt HTTP/1.1\r\nxPUT /a%20b%25.txt HTTP/1.1\r\nxPUT /d/a%20b%25.txt?q=1 HTTP/1.1\r\nxPUT /name HTTP/1.1\r'
	body_peer_start
	run acore http-get -A '' -T f.txt "$BODY_URL/t"
	printf 'PUT /t HTTP/1.1\r\nHost: %s\r\nAccept: */*\r\nConnection: close\r\nContent-Length: 6\r\n\r\na\r\nb\nc' \
	    "${BODY_URL#http://}" >"$TMP/want"
	cmp "$BODY_LOG" "$TMP/want"
	# empty
	: >"$TMP/empty"
	body_peer_start
	run acore http-get -T empty "$BODY_URL/e"
	assert_success
	grep -a -x $'Content-Length: 0\r' "$BODY_LOG"
}

@test "a body goes over HTTP/1.1: --http2-prior-knowledge speaks HTTP/1.1 then" {
	body_peer_start
	run acore http-get --http2-prior-knowledge -d a=1 "$BODY_URL/d"
	assert_success
	assert_output "ok"
	run head -1 "$BODY_LOG"
	assert_output $'POST /d HTTP/1.1\r'
}

@test "-T -: stdin sent chunked, with Expect: 100-continue" {
	body_peer_start
	run acore http-get -A '' -T - "$BODY_URL/s" < <(printf 'hi\n')
	assert_success
	assert_output "ok"
	printf 'PUT /s HTTP/1.1\r\nHost: %s\r\nAccept: */*\r\nConnection: close\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n3\r\nhi\n\r\n0\r\n\r\n' \
	    "${BODY_URL#http://}" >"$TMP/want"
	cmp "$BODY_LOG" "$TMP/want"
	# stdin from a regular file: its length is known
	body_peer_start
	run acore http-get -T - "$BODY_URL/s" <"$TMP/f.txt"
	assert_success
	grep -a -x $'Content-Length: 6\r' "$BODY_LOG"
	# nothing at all
	body_peer_start
	run acore http-get -T - "$BODY_URL/s" < <(true)
	assert_success
	tail -c 5 "$BODY_LOG" | cmp - <(printf '0\r\n\r\n')
}

@test "Expect: 100-continue above 1 MiB: the body after the 100, or after 1 s without one" {
	head -c 1048576 /dev/zero >"$TMP/m1"
	head -c 1048577 /dev/zero >"$TMP/m2"
	body_peer_start
	run acore http-get --data-binary @m1 "$BODY_URL/c"
	assert_success
	run grep -a -c -i '^Expect:' "$BODY_LOG"
	assert_output 0
	body_peer_start
	run acore http-get --data-binary @m2 "$BODY_URL/c"
	assert_success
	grep -a -x $'Expect: 100-continue\r' "$BODY_LOG"
	[ "$(grep -a -c '' "$BODY_LOG")" -ge 7 ]
	[ "$(wc -c <"$BODY_LOG")" -gt 1048577 ]
	# not answered: sent anyway after 1 s
	body_peer_start
	run acore http-get -T m2 "$BODY_URL/nocontinue"
	assert_success
	assert_output "ok"
	awk '{ exit !($3 >= 0.9) }' "$BODY_LOG.waits"
	# -H 'Expect:' asks for none
	body_peer_start
	run acore http-get -H 'Expect:' -T m2 "$BODY_URL/nocontinue"
	assert_success
	run grep -a -c -i '^Expect:' "$BODY_LOG"
	assert_output 0
}

@test "a 417 to Expect: sent again without it; a final answer instead of 100 stops the body" {
	head -c 1048577 /dev/zero >"$TMP/m2"
	body_peer_start
	run acore http-get -T m2 "$BODY_URL/expect417"
	assert_success
	assert_output "ok"
	run grep -a -c '^PUT /expect417 ' "$BODY_LOG"
	assert_output 2
	run grep -a -c -i '^Expect:' "$BODY_LOG"
	assert_output 1
	[ "$(wc -c <"$BODY_LOG")" -gt 1048577 ]
	[ "$(wc -c <"$BODY_LOG")" -lt 2097154 ]
	body_peer_start
	run --separate-stderr acore http-get -T m2 "$BODY_URL/deny"
	assert_failure 9
	[ "$stderr" = "acore: http-get: $BODY_URL/deny: HTTP 413 X" ] ||
	    [ "$stderr" = "acore: http-get: $BODY_URL/deny: server returned HTTP 413 X" ] || {
		echo "$stderr"; false; }
}

# The requests of a redirected run as "METHOD PATH LENGTH-OR-NONE", one
# a line.
requests() {
	python3 -c 'import re, sys
data = open(sys.argv[1], "rb").read()
for m in re.finditer(rb"([A-Z]+) (/\S*) HTTP/1.1\r\n(.*?)\r\n\r\n", data, re.S):
    cl = re.search(rb"^Content-Length: (\d+)", m.group(3), re.I | re.M)
    print(m.group(1).decode(), m.group(2).decode(), cl.group(1).decode() if cl else "none")' "$1"
}

@test "-L: 301, 302 and 303 turn POST into GET (303: PUT too), 307 and 308 send the body again, as curl" {
	for r in 301 302 303 307 308; do
		same_as_curl "/r$r" -L -d "body$r"
	done
	requests "$BODY_LOG" >"$TMP/got"
	[ "$(cat "$TMP/got")" = "$(printf 'POST /r308 7\nPOST /echo 7')" ]
	body_peer_start
	for r in 301 302 303 307 308; do
		run acore http-get -L -T f.txt "$BODY_URL/r$r"
		assert_success
	done
	run requests "$BODY_LOG"
	assert_output "$(printf 'PUT /r301 6\nPUT /echo 6\nPUT /r302 6\nPUT /echo 6\nPUT /r303 6\nGET /echo none\nPUT /r307 6\nPUT /echo 6\nPUT /r308 6\nPUT /echo 6')"
	# a -d body is sent whole every time
	[ "$(grep -a -c 'a$' "$BODY_LOG")" -ge 0 ]
}

@test "-L 307 with a body from stdin: it cannot be sent again, exit 19" {
	body_peer_start
	run --separate-stderr acore http-get -L -T - "$BODY_URL/r307" < <(printf 'hi\n')
	assert_failure 19
	[ "$output" = "" ]
	[ "$stderr" = "acore: http-get: $BODY_URL/r307: the body from stdin cannot be sent again (307 redirect)" ]
	# nor to a second URL
	body_peer_start
	run --separate-stderr acore http-get --parallel-max 1 -T - "$BODY_URL/a" "$BODY_URL/b" < <(printf 'hi\n')
	assert_failure 19
	[ "$output" = "ok" ]
	[ "$stderr" = "acore: http-get: $BODY_URL/b: the body from stdin cannot be sent again" ]
	# from a regular file stdin can be read again
	body_peer_start
	run acore http-get -L -T - "$BODY_URL/r308" <"$TMP/f.txt"
	assert_success
	run requests "$BODY_LOG"
	assert_output "$(printf 'PUT /r308 6\nPUT /echo 6')"
}

@test "--retry sends a body again only when it can be: a file yes, stdin no" {
	body_peer_start
	run --separate-stderr acore http-get --retry 1 --retry-delay 0.1 -d x=1 "$BODY_URL/flaky"
	assert_success
	assert_output "ok"
	[ "$stderr" = "acore: http-get: $BODY_URL/flaky: HTTP 503 X; retry 1 of 1 in 0.1 s" ]
	run requests "$BODY_LOG"
	assert_output "$(printf 'POST /flaky 3\nPOST /flaky 3')"
	[ "$(tail -c 3 "$BODY_LOG")" = "x=1" ]
	body_peer_start
	run --separate-stderr acore http-get --retry 1 --retry-delay 0.1 -T - "$BODY_URL/flaky" < <(printf 'hi\n')
	assert_failure 9
	[ "$stderr" = "acore: http-get: $BODY_URL/flaky: HTTP 503 X; not retried: the body from stdin cannot be sent again" ]
	run requests "$BODY_LOG"
	assert_output "PUT /flaky none"
}

@test "a body file that cannot be read: one line, exit 19, nothing sent" {
	mkdir "$TMP/dir"
	body_peer_start
	for a in "-T nosuch" "-d @nosuch" "--data-binary @nosuch" "--json @nosuch" "--data-urlencode n@nosuch" "-F f=@nosuch" "-F f=<nosuch"; do
		run --separate-stderr acore http-get $a "$BODY_URL/x"
		assert_failure 19
		[ "$stderr" = "acore: http-get: cannot read nosuch: No such file or directory" ]
	done
	for a in "-T dir" "-d @dir" "-F f=@dir"; do
		run --separate-stderr acore http-get $a "$BODY_URL/x"
		assert_failure 19
		[ "$stderr" = "acore: http-get: cannot read dir: Is a directory" ]
	done
	run --separate-stderr acore http-get -d @/proc/self/mem "$BODY_URL/x"
	assert_failure 19
	[ "$stderr" = "acore: http-get: cannot read /proc/self/mem: Input/output error" ]
	run -19 acore http-get -s -T nosuch "$BODY_URL/x"
	[ "$output" = "" ]
	[ ! -s "$BODY_LOG" ]
}

@test "bad body options: usage errors, exit 2" {
	for a in "-d a -T f.txt" "-F a=b -d a" "-T f.txt -F a=b" "-G -F a=b" \
	    "-I -d a" "-0 -d a" "-T f.txt -T f.txt" "-F novalue" \
	    "-F 'a=b;size=1'" "-X" "-X ''" "-X 'A B'" "--json"; do
		eval "run --separate-stderr acore http-get $a http://127.0.0.1:9/"
		assert_failure 2
		[ "$(grep -c '^usage: acore http-get' <<<"$stderr")" = 1 ] ||
		    [ "$(grep -c '^usage: acore http-get' <<<"$output")" = 1 ] || {
			echo "$a: $stderr"; false; }
	done
	run --separate-stderr acore http-get -d a -T f.txt http://127.0.0.1:9/
	[ "${stderr%%$'\n'*}" = "acore: http-get: -d (and --json), -F and -T cannot be combined: one request body" ]
}

@test "-w %{size_upload} and %{speed_upload}" {
	body_peer_start
	run acore http-get -o /dev/null -w '%{size_upload}\n' -d abc "$BODY_URL/a"
	assert_success
	assert_output 3
	run acore http-get -o /dev/null -w '%{size_upload} %{speed_upload}\n' -T f.txt "$BODY_URL/a"
	assert_success
	assert_output --regexp '^6 [0-9]+$'
	run acore http-get -o /dev/null -w '%{size_upload}\n' -T - "$BODY_URL/a" < <(printf 'hi\n')
	assert_output 3
	run acore http-get -o /dev/null -w '%{size_upload} %{speed_upload}\n' "$BODY_URL/a"
	assert_output "0 0"
}

@test "the progress meter counts what is sent" {
	head -c 3145728 /dev/zero >"$TMP/m3"
	body_peer_start
	# no delay: the final line is the only one, whatever the timing
	ACORE_PROGRESS_DELAY=0 run --separate-stderr acore http-get --progress -T m3 "$BODY_URL/c"
	assert_success
	[[ "$stderr" == *"3.0 MiB up"* ]] || { echo "$stderr" | od -c | tail; false; }
}
