# proxy-helper.bash: real proxies on loopback for the proxy tests, each
# started in the background with a configuration made for the test in its
# temporary directory (nothing under /var), and stopped by pid in the
# file's teardown (PIDS, from echo-helper.bash):
#
#   squid_start [auth] [deny PORT]   squid: HTTP, CONNECT; with auth, Basic
#                                    through basic_ncsa_auth (alice:secret)
#                                    ; deny PORT: CONNECT to PORT is 403.
#                                    SQUID_PORT, SQUID_DIR (access.log)
#   dante_start [auth] [hosts FILE]  danted: SOCKS4 and SOCKS5; with auth,
#                                    the username method, user proxyuser,
#                                    password s3cret; with hosts, FILE is
#                                    its /etc/hosts (names only it knows).
#                                    DANTE_PORT
#   microsocks_start [USER PASS]     microsocks: SOCKS5.  MS_PORT (on
#                                    MS_ADDR, default 127.0.0.1)
#   socks4a_start                    tests/socks4a-peer.py.  S4_PORT,
#                                    S4_LOG (one line per request)

# wait_proxy PORT PID NAME [ADDR]: bounded wait until PID listens on
# ADDR:PORT (default 127.0.0.1).
wait_proxy() {
	local i
	for i in $(seq 200); do
		ss -ltn | grep -q "${4:-127.0.0.1}:$1 " && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 0.05
	done
	echo "$3 did not start on port $1" >&2
	return 1
}

squid_start() {
	local auth= deny= d
	while [ $# -gt 0 ]; do
		case $1 in
		auth) auth=1 ;;
		deny) deny=$2; shift ;;
		esac
		shift
	done
	d=$TMP/squid
	mkdir -p "$d"
	SQUID_DIR=$d
	SQUID_PORT=$(free_port)
	printf 'alice:%s\n' "$(openssl passwd -apr1 secret)" >"$d/htpasswd"
	{
		printf '%s\n' "http_port 127.0.0.1:$SQUID_PORT" \
		    "pid_filename $d/squid.pid" "cache_log $d/cache.log" \
		    "access_log stdio:$d/access.log" "cache deny all" \
		    "cache_mem 1 MB" "coredump_dir $d" \
		    "shutdown_lifetime 0 seconds" "dns_nameservers 127.0.0.1" \
		    "hosts_file $d/hosts" "forwarded_for delete" "via off"
		# As root, squid runs as nobody, who must reach its files.
		[ "$(id -u)" != 0 ] || printf 'cache_effective_user nobody\n'
		if [ -n "$auth" ]; then
			printf '%s\n' \
			    "auth_param basic program /usr/lib/squid/basic_ncsa_auth $d/htpasswd" \
			    "auth_param basic realm acore-test" \
			    "acl auth proxy_auth REQUIRED" "http_access deny !auth"
		fi
		if [ -n "$deny" ]; then
			printf '%s\n' "acl denied port $deny" \
			    "http_access deny CONNECT denied"
		fi
		printf 'http_access allow all\n'
	} >"$d/squid.conf"
	printf '127.0.0.1 localhost\n' >"$d/hosts"
	if [ "$(id -u)" = 0 ]; then
		chown -R nobody "$d"
		chmod o+x "$TMP" "$(dirname "$TMP")" "$(dirname "$(dirname "$TMP")")" 2>/dev/null || true
	fi
	# -n: a service name of our own, so parallel squids' shared memory
	# segments (/dev/shm/NAME-*) never meet.
	SQUID_NAME=acoretest$$x$SQUID_PORT
	squid -N -n "$SQUID_NAME" -f "$d/squid.conf" >"$d/out" 2>&1 3>&- &
	SQUID_PID=$!
	PIDS+=("$SQUID_PID")
	wait_proxy "$SQUID_PORT" "$SQUID_PID" squid || { cat "$d/out" "$d/cache.log" >&2; return 1; }
}

dante_start() {
	local d=$TMP/dante pfx=() auth= hosts= binds=()
	while [ $# -gt 0 ]; do
		case $1 in
		auth) auth=1 ;;
		hosts) hosts=$2; shift ;;
		esac
		shift
	done
	mkdir -p "$d"
	DANTE_PORT=$(free_port)
	{
		printf '%s\n' "logoutput: $d/log" \
		    "internal: 127.0.0.1 port = $DANTE_PORT" \
		    "external: 127.0.0.1" "clientmethod: none"
		if [ -n "$auth" ]; then
			printf 'socksmethod: username\n'
		else
			printf 'socksmethod: none\n'
		fi
		printf '%s\n' "user.privileged: $(id -un)" \
		    "user.unprivileged: $(id -un)" \
		    'client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }' \
		    'socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 command: connect }'
	} >"$d/danted.conf"
	if [ -n "$auth" ]; then
		# The username method checks the system's users: danted sees a
		# passwd and shadow of ours, bound over /etc's in a mount
		# namespace of its own (a user namespace too when not root).
		cp /etc/passwd "$d/passwd"
		printf 'proxyuser:x:4242:4242::/nonexistent:/usr/sbin/nologin\n' >>"$d/passwd"
		: >"$d/shadow"
		cat /etc/shadow >"$d/shadow" 2>/dev/null || true
		printf 'proxyuser:%s:19000:0:99999:7:::\n' "$(openssl passwd -6 s3cret)" >>"$d/shadow"
		binds+=("$d/passwd" /etc/passwd "$d/shadow" /etc/shadow)
	fi
	if [ -n "$hosts" ]; then
		printf 'hosts: files\n' >"$d/nsswitch.conf"
		binds+=("$hosts" /etc/hosts "$d/nsswitch.conf" /etc/nsswitch.conf)
	fi
	if [ ${#binds[@]} -gt 0 ]; then
		if [ "$(id -u)" = 0 ]; then pfx=(unshare -m); else pfx=(unshare -rm); fi
		"${pfx[@]}" true 2>/dev/null || skip "no mount namespace for danted"
		# sh -c: bind each FILE TARGET pair, then exec danted (same pid).
		pfx+=(sh -c 'while [ "$1" != -- ]; do mount --bind "$1" "$2" || exit 1; shift 2; done; shift; exec "$@"' sh "${binds[@]}" --)
	fi
	"${pfx[@]}" danted -f "$d/danted.conf" -p "$d/danted.pid" -N 1 >"$d/out" 2>&1 3>&- &
	DANTE_PID=$!
	PIDS+=("$DANTE_PID")
	wait_proxy "$DANTE_PORT" "$DANTE_PID" danted || { cat "$d/out" "$d/log" >&2; return 1; }
}

microsocks_start() {
	local args=()
	MS_PORT=$(free_port)
	[ $# -eq 0 ] || args=(-u "$1" -P "$2")
	microsocks -i "${MS_ADDR:-127.0.0.1}" -p "$MS_PORT" "${args[@]}" >"$TMP/microsocks.out" 2>&1 3>&- &
	MS_PID=$!
	PIDS+=("$MS_PID")
	wait_proxy "$MS_PORT" "$MS_PID" microsocks "${MS_ADDR:-127.0.0.1}"
}

socks4a_start() {
	S4_LOG=$TMP/socks4a.log
	: >"$S4_LOG"
	rm -f "$TMP/s4port"
	python3 "$ACORE_SRCDIR/tests/socks4a-peer.py" "$TMP/s4port" "$S4_LOG" 3>&- &
	PIDS+=("$!")
	wait_for_file "$TMP/s4port" 10
	S4_PORT=$(cat "$TMP/s4port")
}

# Squid removes its shared memory segments when it ends; one killed
# before it could leaves them: ours only, by our service name.
proxy_teardown() {
	[ -z "${SQUID_NAME:-}" ] || rm -f /dev/shm/"$SQUID_NAME"-*
}
