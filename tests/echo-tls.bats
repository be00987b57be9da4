#!/usr/bin/env bats
# acore echo-server --tls and echo-client --tls against each other and
# against openssl s_client and socat OPENSSL, with certificates made by
# tls_pki for this file.

bats_require_minimum_version 1.8.0

load helper
load echo-helper
load tls-helper

setup_file() {
	tls_setup_file
}

# socat_tls_cat: socat OPENSSL-LISTEN ... EXEC:cat on a free port; SPORT.
socat_tls_cat() {
	SPORT=$(free_port)
	socat "OPENSSL-LISTEN:$SPORT,bind=127.0.0.1,reuseaddr,fork,cert=$PKI/chain.pem,key=$PKI/srv.key,verify=0" \
	    EXEC:cat 2>/dev/null 3>&- &
	PIDS+=("$!")
	wait_listen "$SPORT"
}

@test "openssl s_client as a client of echo-server --tls: verified, echoed" {
	tls_srv
	mkfifo "$TMP/in"
	printf 'hello over TLS\nsecond line\n' >"$TMP/msg"
	openssl s_client -quiet -no_ign_eof -verify_return_error \
	    -CAfile "$PKI/ca.pem" -servername localhost -verify_hostname localhost \
	    -connect "127.0.0.1:$PORT" <"$TMP/in" >"$TMP/out" 2>"$TMP/err" 3>&- &
	local cpid=$! i
	PIDS+=("$cpid")
	exec 4>"$TMP/in"
	cat "$TMP/msg" >&4
	for i in $(seq 200); do
		cmp -s "$TMP/msg" "$TMP/out" && break
		sleep 0.05
	done
	exec 4>&-
	wait "$cpid"
	cmp "$TMP/msg" "$TMP/out"
	grep -qx 'verify return:1' "$TMP/err"
	srv_stop
	[ "$SSTATUS" -eq 0 ]
}

@test "socat OPENSSL: as a client of echo-server --tls, plain and --chat" {
	head -c 300000 /dev/urandom >"$TMP/rand"
	tls_srv
	timeout 20 socat -t 5 - "OPENSSL:127.0.0.1:$PORT,cafile=$PKI/ca.pem,commonname=localhost" \
	    <"$TMP/rand" >"$TMP/back"
	cmp "$TMP/rand" "$TMP/back"
	srv_stop
	[ "$SSTATUS" -eq 0 ]
	# The asynchat server: "ECHO <length>" then the bytes.
	tls_srv --chat
	{ printf 'ECHO 300000\n'; cat "$TMP/rand"; } >"$TMP/req"
	timeout 20 socat -t 5 - "OPENSSL:127.0.0.1:$PORT,cafile=$PKI/ca.pem,commonname=localhost" \
	    <"$TMP/req" >"$TMP/back"
	cmp "$TMP/rand" "$TMP/back"
	srv_stop
	[ "$SSTATUS" -eq 0 ]
}

@test "echo-client --tls against socat OPENSSL-LISTEN EXEC:cat" {
	socat_tls_cat
	acore echo-client --tls --cacert "$PKI/ca.pem" -f "$DATA/lorem.txt" \
	    -o "$TMP/back" localhost "$SPORT"
	cmp "$DATA/lorem.txt" "$TMP/back"
	head -c 500000 /dev/urandom >"$TMP/rand"
	acore echo-client --tls --cacert "$PKI/ca.pem" --chunk-size 256 \
	    -f "$TMP/rand" -o "$TMP/back" --servername localhost 127.0.0.1 "$SPORT"
	cmp "$TMP/rand" "$TMP/back"
}

@test "echo-client --tls --chat against echo-server --tls --chat" {
	tls_srv --chat
	acore echo-client --chat --tls --cacert "$PKI/ca.pem" \
	    -f "$DATA/lorem.txt" -o "$TMP/back" localhost "$PORT"
	cmp "$DATA/lorem.txt" "$TMP/back"
	srv_stop
	[ "$SSTATUS" -eq 0 ]
}

@test "100 concurrent TLS echo clients, every byte verified" {
	# 101 processes under valgrind, each a TLS handshake and 200 kB
	# of crypto at valgrind's speed, do not end within the clients'
	# limit on two cores (seen: failed at 60 s); the server's and the
	# client's TLS paths are under valgrind in the other tests here.
	[ "${ACORE_VALGRIND:-0}" = 0 ] || skip "101 TLS processes are too slow under valgrind"
	head -c 200000 /dev/urandom >"$TMP/rand"
	tls_srv --backlog 128
	local i pids=() fails=0
	for i in $(seq 100); do
		timeout 60 "$ACORE" echo-client --tls --cacert "$PKI/ca.pem" \
		    --chunk-size 16k -f "$TMP/rand" -o "$TMP/back.$i" \
		    localhost "$PORT" 3>&- &
		pids+=("$!")
	done
	for i in "${pids[@]}"; do wait "$i" || fails=$((fails + 1)); done
	[ "$fails" -eq 0 ]
	for i in $(seq 100); do cmp "$TMP/rand" "$TMP/back.$i"; done
	srv_stop
	[ "$SSTATUS" -eq 0 ]
}

@test "echo-client --tls: unknown CA, wrong name exit 14; -k goes on" {
	tls_srv
	run -14 acore echo-client --tls -m hi localhost "$PORT"
	assert_output "acore: echo-client: connect to localhost port $PORT: certificate verify failed: unknown CA: unable to get local issuer certificate"
	run -14 acore echo-client --tls --cacert "$PKI/ca.pem" \
	    --servername example.com -m hi 127.0.0.1 "$PORT"
	assert_output "acore: echo-client: connect to 127.0.0.1 port $PORT: certificate verify failed: host name mismatch: hostname mismatch"
	run -0 acore echo-client --tls -k -m hi 127.0.0.1 "$PORT"
	# A plain client is no TLS client: the server goes on serving.
	run -0 timeout 10 bash -c "printf 'x' | nc -N 127.0.0.1 $PORT"
	run -0 acore echo-client --tls --cacert "$PKI/ca.pem" -m again localhost "$PORT"
	srv_stop
	[ "$SSTATUS" -eq 0 ]
}

@test "echo-client --tls against a plain server: handshake failure, exit 13" {
	srv
	run -13 acore echo-client --tls -k -m hi 127.0.0.1 "$PORT"
	assert_output --regexp "^acore: echo-client: connect to 127.0.0.1 port $PORT: TLS: "
	srv_stop
}

@test "TLS usage errors: exit 2; an unreadable or mismatched certificate: exit 1" {
	run -2 acore echo-server --tls
	assert_line 'acore: echo-server: --tls needs --cert'
	run -2 acore echo-server --cert "$PKI/chain.pem"
	assert_line 'acore: echo-server: --cert, --key and --handshake-timeout need --tls'
	run -2 acore echo-client --cacert "$PKI/ca.pem" -m x localhost 1
	assert_line 'acore: echo-client: --cacert, -k and --servername need --tls'
	run -1 acore echo-server -p 0 --tls --cert "$TMP/none.pem"
	assert_output "acore: echo-server: $TMP/none.pem: No such file or directory"
	run -1 acore echo-server -p 0 --tls --cert "$PKI/chain.pem" --key "$PKI/other.key"
	assert_output "acore: echo-server: $PKI/chain.pem, $PKI/other.key: private key does not match the certificate"
	run -1 acore echo-server -p 0 --tls --cert "$DATA/lorem.txt"
	assert_output "acore: echo-server: $DATA/lorem.txt: no usable certificate or key in the PEM file"
}
