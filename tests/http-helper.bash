# http-helper.bash: a real nginx and the misbehaving peers for http-get tests.
#
# nginx_start writes a config into a fresh directory (pid file, logs, temp
# paths and document root all inside it), starts nginx on a free loopback
# port and waits until it answers; nginx_stop stops it by pid.  peer_start
# runs tests/peer in the background and records its pid for peer_stop_all
# (peer_spawn, any other server that writes its port to a file).
# Every background process is started with fd 3 closed (bats waits on it).
#
# Exported after nginx_start: NGINX_DIR, NGINX_ROOT, NGINX_PORT, NGINX_URL,
# NGINX_V6 (1 when [::1] is served too), NGINX_ACCESS (the access log),
# NGINX_SOCK (a Unix socket the plain server listens on too).
# Set before it: NGINX_WORKERS (default 1), NGINX_ACCESS_LOG ("off" for
# benchmarks), NGINX_BIG (0: no 50 MiB big.bin), NGINX_TLS_DIR (a tls_pki directory: https is served too).
# With NGINX_TLS_DIR, also exported: NGINX_TLS_PORT and NGINX_TLS_URL
# (https://localhost:PORT, chain.pem), NGINX_TLS_EXPIRED_PORT and
# NGINX_TLS_UNKNOWN_PORT (expired.pem, unknown.pem).  /to-tls on the plain
# server redirects to https://localhost:TLS_PORT/small.txt, /to-plain on
# the TLS one back to http://localhost:PORT/small.txt.
# With NGINX_HTPASSWD (an htpasswd file), /private/ needs Basic auth.
# With NGINX_H2=1 as well (tests/http-h2.bats): the TLS listener speaks
# HTTP/2 too (ALPN h2), NGINX_H2C_PORT serves HTTP/2 without TLS (prior
# knowledge only), and NGINX_TLS_H1_PORT is TLS without h2.
# Under /dav/ the plain server takes PUT (any size, directories made as
# needed) and DELETE.

NGINX=${NGINX:-/usr/sbin/nginx}
PEER=${PEER:-${ACORE_BUILDDIR:-.}/tests/peer}

# A port nothing listens on right now (the kernel's choice; nginx may still
# lose a race for it, so nginx_start retries).
free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# Site content: a small page, 100 small files, a 50 MiB random file, an
# SSI page (nginx cannot know its length, so it is sent chunked to HTTP/1.1
# clients and close-delimited to HTTP/1.0 ones), redirects, a 404, and
# text under /gz/ that nginx gzips for clients that accept it.
nginx_content() {
	local root=$1 i
	mkdir -p "$root/files" "$root/dir" "$root/PyMOTW"
	cp "$ACORE_SRCDIR/tests/data/lorem.txt" "$root/small.txt"
	printf 'index of the site\n' >"$root/index.html"
	: >"$root/empty.txt"
	for i in $(seq -w 1 100); do
		printf 'file %s\n' "$i" >"$root/files/f$i.txt"
	done
	# NGINX_BIG=0 (examples/serve-pages): not this one.
	[ "${NGINX_BIG:-1}" = 0 ] ||
	    head -c $((50 * 1024 * 1024)) /dev/urandom >"$root/big.bin"
	printf 'head\n<!--# include virtual="/small.txt" -->mid\n<!--# include virtual="/files/f001.txt" -->tail\n' \
	    >"$root/chunked.shtml"
	printf 'in dir\n' >"$root/dir/page.txt"
	# Served gzip-compressed to clients that ask (--compressed).
	mkdir -p "$root/gz"
	cp "$ACORE_SRCDIR/tests/data/lorem.txt" "$root/gz/lorem.txt"
	seq 1 300000 >"$root/gz/numbers.txt"
	# The pages of the PyMOTW examples, at the same paths.
	cp "$ACORE_SRCDIR/tests/data/lorem.txt" "$root/PyMOTW/contents.html"
}

nginx_config() {
	local dir=$1 port=$2 v6=$3 user=""
	[ "$(id -u)" = 0 ] && user="user root root;"
	cat <<EOF
$user
daemon on;
master_process on;
worker_processes ${NGINX_WORKERS:-1};
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 2048; }
http {
	include /etc/nginx/mime.types;
	default_type application/octet-stream;
	log_format t '\$connection \$connection_requests "\$request" '
	    'host="\$http_host" ua="\$http_user_agent" '
	    'conn="\$http_connection" \$status \$body_bytes_sent \$bytes_sent';
	access_log ${NGINX_ACCESS_LOG:-$dir/access.log t};
	client_body_temp_path $dir/tmp/body;
	proxy_temp_path $dir/tmp/proxy;
	fastcgi_temp_path $dir/tmp/fastcgi;
	uwsgi_temp_path $dir/tmp/uwsgi;
	scgi_temp_path $dir/tmp/scgi;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 10000;
	gzip off;
	server {
		listen 127.0.0.1:$port;
		$( [ "$v6" = 1 ] && echo "listen [::1]:$port;" )
		listen unix:$dir/nginx.sock;
		root $dir/root;
		location = /r1 { return 301 /r2; }
		location = /r2 { return 302 http://127.0.0.1:$port/dir/r3; }
		location = /dir/r3 { absolute_redirect off; return 307 page.txt; }
		location = /dir/r4 { absolute_redirect off; return 308 ../small.txt; }
		location = /loop { return 302 /loop; }
		location = /to-https { return 301 https://127.0.0.1:$port/; }
		location = /gone { return 410 "gone for good\n"; }
		location ~ \.shtml\$ { ssi on; }
		location /gz/ { gzip on; gzip_min_length 0; gzip_types *; }
		location /dav/ {
			dav_methods PUT DELETE;
			create_full_put_path on;
			client_max_body_size 0;
		}
		$( [ -n "${NGINX_HTPASSWD:-}" ] && echo "location /private/ { auth_basic \"acore\"; auth_basic_user_file $NGINX_HTPASSWD; }" )
		$( [ -n "${NGINX_TLS_DIR:-}" ] && echo "location = /to-tls { return 302 https://localhost:$NGINX_TLS_PORT/small.txt; }" )
	}
$( [ -n "${NGINX_TLS_DIR:-}" ] && nginx_tls_servers "$dir" "$port" "$v6" )
}
EOF
}

# One https server per certificate of the tls_pki directory.
nginx_tls_servers() {
	local dir=$1 port=$2 v6=$3 tls=$NGINX_TLS_DIR h2=""
	[ "${NGINX_H2:-0}" = 1 ] && h2=" http2"
	[ -z "$h2" ] || nginx_h2_servers "$dir"
	cat <<EOF
	server {
		listen 127.0.0.1:$NGINX_TLS_PORT ssl$h2;
		$( [ "$v6" = 1 ] && echo "listen [::1]:$NGINX_TLS_PORT ssl$h2;" )
		ssl_certificate $tls/chain.pem;
		ssl_certificate_key $tls/srv.key;
		root $dir/root;
		location = /to-plain { return 302 http://localhost:$port/small.txt; }
		location ~ \.shtml\$ { ssi on; }
	}
	server {
		listen 127.0.0.1:$NGINX_TLS_EXPIRED_PORT ssl;
		ssl_certificate $tls/expired.pem;
		ssl_certificate_key $tls/expired.key;
		root $dir/root;
	}
	server {
		listen 127.0.0.1:$NGINX_TLS_UNKNOWN_PORT ssl;
		ssl_certificate $tls/unknown.pem;
		ssl_certificate_key $tls/unknown.key;
		root $dir/root;
	}
EOF
}

# NGINX_H2=1: HTTP/2 without TLS, and TLS without HTTP/2.
nginx_h2_servers() {
	local dir=$1 tls=$NGINX_TLS_DIR
	cat <<EOF
	server {
		listen 127.0.0.1:$NGINX_H2C_PORT http2;
		root $dir/root;
		location = /r1 { return 301 /small.txt; }
		location = /gone { return 410 "gone for good\n"; }
		location /gz/ { gzip on; gzip_min_length 0; gzip_types *; }
		$( [ -n "${NGINX_HTPASSWD:-}" ] && echo "location /private/ { auth_basic \"acore\"; auth_basic_user_file $NGINX_HTPASSWD; }" )
	}
	server {
		listen 127.0.0.1:$NGINX_TLS_H1_PORT ssl;
		ssl_certificate $tls/chain.pem;
		ssl_certificate_key $tls/srv.key;
		root $dir/root;
	}
EOF
}

nginx_start() {
	local try v6=0
	NGINX_DIR=$(mktemp -d "${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}/nginx.XXXXXX")
	NGINX_ROOT=$NGINX_DIR/root
	NGINX_ACCESS=$NGINX_DIR/access.log
	mkdir -p "$NGINX_DIR/tmp"
	nginx_content "$NGINX_ROOT"
	python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' \
	    2>/dev/null && v6=1
	for try in 1 2 3 4 5 6 7 8 9 10; do
		NGINX_PORT=$(free_port)
		if [ -n "${NGINX_TLS_DIR:-}" ]; then
			NGINX_TLS_PORT=$(free_port)
			NGINX_TLS_EXPIRED_PORT=$(free_port)
			NGINX_TLS_UNKNOWN_PORT=$(free_port)
			NGINX_TLS_URL=https://localhost:$NGINX_TLS_PORT
			NGINX_H2C_PORT=$(free_port)
			NGINX_TLS_H1_PORT=$(free_port)
			export NGINX_H2C_PORT NGINX_TLS_H1_PORT
			export NGINX_TLS_PORT NGINX_TLS_URL \
			    NGINX_TLS_EXPIRED_PORT NGINX_TLS_UNKNOWN_PORT
		fi
		nginx_config "$NGINX_DIR" "$NGINX_PORT" "$v6" >"$NGINX_DIR/nginx.conf"
		rm -f "$NGINX_DIR/nginx.pid"
		# daemon on: returns once the sockets are bound and the pid
		# file is written; the master inherits no bats fd.
		if timeout 10 "$NGINX" -p "$NGINX_DIR" -e "$NGINX_DIR/error.log" \
		    -c "$NGINX_DIR/nginx.conf" </dev/null >/dev/null 2>&1 3>&- &&
		    [ -s "$NGINX_DIR/nginx.pid" ]; then
			NGINX_URL=http://127.0.0.1:$NGINX_PORT
			NGINX_V6=$v6
			NGINX_SOCK=$NGINX_DIR/nginx.sock
			export NGINX_DIR NGINX_ROOT NGINX_PORT NGINX_URL NGINX_V6 \
			    NGINX_ACCESS NGINX_SOCK
			return 0
		fi
	done
	echo "nginx would not start; error log:" >&2
	cat "$NGINX_DIR/error.log" >&2
	return 1
}

# Stop nginx by the pid it wrote; wait (bounded) until it is gone.
nginx_stop() {
	local pid i
	[ -n "${NGINX_DIR:-}" ] && [ -s "$NGINX_DIR/nginx.pid" ] || return 0
	pid=$(cat "$NGINX_DIR/nginx.pid")
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

# Requests nginx logged since the mark (nginx writes one line per request).
access_mark() {
	ACCESS_MARK=$(wc -l <"$NGINX_ACCESS")
}
# access_since [N]: those lines, once there are at least N (default 1).
# nginx logs a request after its last write, so a client can have read
# the whole response and exited before the line is there (seen once under
# load): wait (bounded) for it.
access_since() {
	local want=$((ACCESS_MARK + ${1:-1})) i
	for i in $(seq 100); do
		[ "$(wc -l <"$NGINX_ACCESS")" -lt "$want" ] || break
		sleep 0.05
	done
	tail -n +"$((ACCESS_MARK + 1))" "$NGINX_ACCESS"
}

# peer_start MODE [peer options]: tests/peer in MODE; sets PEER_PORT and
# PEER_URL; the peer's request log is $PEER_LOG.
PEER_PIDS=()
peer_start() {
	local mode=$1
	shift
	peer_dir
	PEER_LOG=$PEER_DIR/requests
	peer_spawn "$PEER" -p "$PEER_DIR/port" -l "$PEER_LOG" -t 20 "$@" "$mode"
}

# peer_dir: PEER_DIR, a fresh directory for the next peer_spawn.
peer_dir() {
	PEER_DIR=$(mktemp -d "${BATS_TEST_TMPDIR:-${TMPDIR:-/tmp}}/peer.XXXXXX")
}

# peer_spawn CMD...: runs a server that writes its port to $PEER_DIR/port
# once it listens (its stderr goes to $PEER_DIR/stderr), records its pid
# for peer_stop_all and waits (bounded) for the port: PEER_PORT, PEER_URL.
peer_spawn() {
	local i
	"$@" </dev/null >/dev/null 2>"$PEER_DIR/stderr" 3>&- &
	PEER_PIDS+=("$!")
	for i in $(seq 100); do
		[ -s "$PEER_DIR/port" ] && break
		sleep 0.05
	done
	PEER_PORT=$(cat "$PEER_DIR/port")
	PEER_URL=http://127.0.0.1:$PEER_PORT
}

peer_stop_all() {
	local pid
	for pid in "${PEER_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	PEER_PIDS=()
}

# http_norm_log < LOG: an HttpClient debug log reduced to what must not
# differ between runs, one logger after the other (sorted by name): hosts
# and ports become HOST and PORT, CRs go (the seed transcript lost them),
# each run of readable()/writable() polls becomes POLL(r) or POLL(rw), and
# a run of reads of any sizes (polls between them included) becomes READ+.
# root's loop_counter lines must count 1, 2, 3, ... and become one line.
# The command's own "acore: ..." error lines are left out, and so are the
# "> " and "< " lines of the heads -v shows as curl does (not the article's).
http_norm_log() {
	awk '
	function flush() {
		if (rec == "")
			return
		gsub(/\r/, "", rec)
		gsub(/http:\/\/(www\.python\.org|www\.doughellmann\.com|127\.0\.0\.1:[0-9]+|\[::1\]:[0-9]+|localhost:[0-9]+)/, "http://HOST", rec)
		gsub(/\(\047(www\.python\.org|www\.doughellmann\.com|127\.0\.0\.1|::1|localhost)\047, [0-9]+\)/, "(\047HOST\047, PORT)", rec)
		i = index(rec, ": ")
		add(substr(rec, 1, i - 1), substr(rec, i + 2))
		rec = ""
	}
	function emit(name, t) {
		if (!(name in n)) {
			n[name] = 0
			names[++nn] = name
		}
		tok[name, ++n[name]] = t
	}
	function settle(name) {
		if (poll[name] != "") {
			emit(name, poll[name] ~ /w/ ? "POLL(rw)" : "POLL(r)")
			poll[name] = ""
		}
	}
	function add(name, msg,    k) {
		if (msg == "readable() -> True") {
			if (poll[name] !~ /r/) poll[name] = poll[name] "r"
			return
		}
		if (msg == "writable() -> True") {
			if (poll[name] !~ /w/) poll[name] = poll[name] "w"
			return
		}
		if (msg ~ /^loop_counter=[0-9]+$/) {
			k = substr(msg, 14) + 0
			if (k != counter[name] + 1)
				emit(name, "loop_counter out of order at " k)
			if (counter[name] == 0)
				emit(name, "loop_counter=1,2,...")
			counter[name] = k
			return
		}
		if (msg ~ /^handle_read\(\) -> [1-9][0-9]* bytes$/) {
			# A poll between two reads belongs to the run.
			if (n[name] > 0 && tok[name, n[name]] == "READ+") {
				poll[name] = ""
				return
			}
			settle(name)
			emit(name, "READ+")
			return
		}
		settle(name)
		emit(name, msg)
	}
	/^(root|http:\/\/[^ ]*): / { flush(); rec = $0; next }
	/^acore: / { flush(); next }	# error messages are not log records
	/^[<>] / { next }		# nor are the heads curl -v would show
	{ rec = rec "\\n" $0 }
	END {
		flush()
		for (i = 1; i <= nn; i++) settle(names[i])
		# sort logger names (insertion sort: a handful of names)
		for (i = 2; i <= nn; i++)
			for (j = i; j > 1 && names[j - 1] > names[j]; j--) {
				t = names[j]; names[j] = names[j - 1]; names[j - 1] = t
			}
		for (i = 1; i <= nn; i++)
			for (k = 1; k <= n[names[i]]; k++)
				print names[i] ": " tok[names[i], k]
	}'
}
