#!/usr/bin/env bats
# The failure-path matrix on the real binary, for the proxy states: a
# client in its tunnel stage (HTTP CONNECT, SOCKS5) or in its TLS
# handshake through a tunnel, against each way out the command line has:
# the connect deadline (-w), the idle limit (-i), the proxy resetting the
# connection, and SIGTERM.  tests/proxy-peer.py is the proxy that stalls.
# The library's own matrix is tests/test-failpaths.c; this file is what
# make check-valgrind runs the acore binary through (status 99 on any
# valgrind report).

bats_require_minimum_version 1.8.0

load helper
load echo-helper

PROXY_PEER=$ACORE_SRCDIR/tests/proxy-peer.py

# stall MODE: tests/proxy-peer.py MODE in the background; PPORT, and the
# options that reach it (XOPTS: nc's spelling, plus --tls for the states
# behind the tunnel).
stall() {
	rm -f "$TMP/pport"
	bg_start pid python3 "$PROXY_PEER" "$1" "$TMP/pport" </dev/null
	PIDS+=("$pid")
	wait_for_file "$TMP/pport"
	PPORT=$(cat "$TMP/pport")
	case $1 in
	http-open*) XOPTS=(--tls -k -X connect -x "127.0.0.1:$PPORT") ;;
	http*) XOPTS=(-X connect -x "127.0.0.1:$PPORT") ;;
	socks5*) XOPTS=(-X 5 -x "127.0.0.1:$PPORT") ;;
	esac
}

# The target port is never reached: the proxy stalls before it would be.
TARGET=(127.0.0.1 9)

@test "tunnelling (CONNECT, SOCKS5) and TLS through a tunnel, -w: exit 6, the deadline's line" {
	for mode in http socks5 http-open; do
		stall "$mode"
		run -6 --separate-stderr acore echo-client -w 1 "${XOPTS[@]}" -m hi "${TARGET[@]}"
		[ "$stderr" = "acore: echo-client: connect to 127.0.0.1 port 9: timed out after 1 s" ] ||
		    { echo "$mode: $stderr"; false; }
		[ "$output" = "" ]
	done
}

@test "tunnelling (CONNECT, SOCKS5) and TLS through a tunnel, -i: exit 6, the idle line" {
	for mode in http socks5 http-open; do
		stall "$mode"
		run -6 --separate-stderr acore echo-client -i 1 "${XOPTS[@]}" -m hi "${TARGET[@]}"
		[ "$stderr" = "acore: echo-client: no data from 127.0.0.1 port 9: timed out after 1 s" ] ||
		    { echo "$mode: $stderr"; false; }
	done
}

@test "the proxy resets mid-reply: exit 18 while tunnelling, 13 in the TLS handshake through it" {
	for mode in http-reset socks5-reset; do
		stall "$mode"
		run -18 --separate-stderr acore echo-client "${XOPTS[@]}" -m hi "${TARGET[@]}"
		[ "$stderr" = "acore: echo-client: proxy 127.0.0.1 port $PPORT: proxy closed the connection before the tunnel was up" ] ||
		    { echo "$mode: $stderr"; false; }
	done
	stall http-open-reset
	run -13 --separate-stderr acore echo-client "${XOPTS[@]}" -m hi "${TARGET[@]}"
	[ "$stderr" = "acore: echo-client: connect to 127.0.0.1 port 9: TLS handshake failed: connection closed by peer" ]
}

@test "SIGTERM in each stalled state: the client ends at once, by the signal, as nc does" {
	for mode in http socks5 http-open; do
		stall "$mode"
		# Started only once the proxy holds it: the proxy's log is its
		# accept, seen as an established connection on its port.
		bg_start cpid "$ACORE" echo-client "${XOPTS[@]}" -m hi "${TARGET[@]}" 2>"$TMP/c.err"
		for _ in $(seq 200); do
			[ "$(ss -Htn state established "( sport = :$PPORT )" | wc -l)" -ge 1 ] && break
			sleep 0.05
		done
		kill -TERM "$cpid"
		local st=0
		wait "$cpid" || st=$?
		[ "$st" -eq 143 ] || { echo "$mode: status $st"; cat "$TMP/c.err"; false; }
	done
}
