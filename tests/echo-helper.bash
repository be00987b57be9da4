# echo-helper.bash: what the echo bats files share: an echo-server in the
# background on a kernel-picked port, misbehaving peers, free ports, and
# waiting for a listener.  Each file's teardown stops PIDS, newest first.

PEER=$ACORE_SRCDIR/tests/echo-peer.py
NORM=$ACORE_SRCDIR/tests/transcript.py

setup() {
	setup_tmp
	PIDS=()
}

# Newest first: clients go before the servers that would wait for them.
teardown() {
	local i
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		bg_stop "${PIDS[$i]}"
	done
}

# srv ARGS...: echo-server in the background (stdout srv.out, stderr
# srv.err); SPID is its pid.  With no -U, -p 0 and a port file are added and
# PORT is set once the server listens.
srv() {
	local tcp=1 a
	for a in "$@"; do [ "$a" != -U ] || tcp=; done
	acore_argv
	rm -f "$TMP/port"
	if [ -n "$tcp" ]; then
		set -- -p 0 --port-file "$TMP/port" "$@"
	fi
	"${ACORE_ARGV[@]}" echo-server "$@" >"$TMP/srv.out" 2>"$TMP/srv.err" 3>&- &
	SPID=$!
	PIDS+=("$SPID")
	if [ -n "$tcp" ]; then
		wait_for_file "$TMP/port" 20
		PORT=$(cat "$TMP/port")
		[[ "$PORT" =~ ^[0-9]+$ ]]
	fi
}

# srv_stop [SIGNAL]: signal the server, wait for it; SSTATUS is its status.
srv_stop() {
	kill -"${1:-TERM}" "$SPID"
	SSTATUS=0
	wait "$SPID" || SSTATUS=$?
}

# peer_srv MODE [server|udp]: a misbehaving TCP (or UDP) server from
# echo-peer.py; sets PPORT.
peer_srv() {
	rm -f "$TMP/pport"
	python3 "$PEER" "${2:-server}" "$1" "$TMP/pport" 3>&- &
	PIDS+=("$!")
	wait_for_file "$TMP/pport" 10
	PPORT=$(cat "$TMP/pport")
}

# A TCP port nobody listens on (the kernel's pick, released again).
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_listen PORT [tcp|udp]: bounded wait until something listens on PORT.
wait_listen() {
	local opt=-ltn i
	[ "${2:-tcp}" = tcp ] || opt=-lun
	for i in $(seq 100); do
		ss $opt | grep -q ":$1 " && return 0
		sleep 0.05
	done
	return 1
}
