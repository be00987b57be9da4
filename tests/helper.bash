# helper.bash: shared set-up for the bats files.  Runs the acore built in
# this tree (never one on PATH), optionally under valgrind
# (ACORE_VALGRIND=1, as `make check-valgrind` sets it).

bats_load_library bats-support
bats_load_library bats-assert

: "${ACORE_BUILDDIR:=$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
: "${ACORE_SRCDIR:=$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
: "${ACORE:=$ACORE_BUILDDIR/acore}"
DATA=$ACORE_SRCDIR/tests/data
TRANSCRIPTS=$ACORE_SRCDIR/tests/transcripts

# Under `make check-valgrind` ACORE becomes a script that runs the real
# binary (not libtool's wrapper script, which valgrind would check
# instead) under valgrind with exec, so a background acore's pid is still
# the one that runs it, and every use of $ACORE is checked.  Any error
# fails it with status 99.  valgrind reports on a copy of the test's
# stderr, so a test that closes or captures acore's stderr neither breaks
# valgrind nor sees its report.
if [ "${ACORE_VALGRIND:-0}" = 1 ] && [ -x "$ACORE_BUILDDIR/.libs/acore" ]; then
	if [ -z "${ACORE_VG_FD:-}" ]; then
		exec {ACORE_VG_FD}>&2
		export ACORE_VG_FD
	fi
	ACORE=${BATS_RUN_TMPDIR:-${TMPDIR:-/tmp}}/acore-valgrind
	if [ ! -x "$ACORE" ]; then
		printf '%s\n' '#!/bin/bash' \
		    'log=' \
		    'if [ -n "${ACORE_VG_FD:-}" ] && { true >&"$ACORE_VG_FD"; } 2>/dev/null; then' \
		    '	log=--log-fd=$ACORE_VG_FD' \
		    'fi' \
		    "LD_LIBRARY_PATH='$ACORE_BUILDDIR/lib/.libs'\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" \
		    'export LD_LIBRARY_PATH' \
		    "exec valgrind -q \$log --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect '$ACORE_BUILDDIR/.libs/acore' \"\$@\"" \
		    >"$ACORE.$$"
		chmod +x "$ACORE.$$" && mv "$ACORE.$$" "$ACORE"
	fi
	ACORE_TIMEOUT=120
fi

# acore ARGS...: the built binary, bounded in time.
acore() {
	timeout -k 5 "${ACORE_TIMEOUT:-60}" "$ACORE" "$@"
}

# acore_argv: sets ACORE_ARGV to the command that runs acore, for
# processes run in the background (whose pid must be acore's own, so no
# timeout or function wrapper).
acore_argv() {
	ACORE_ARGV=("$ACORE")
}

# A private scratch directory per test.
setup_tmp() {
	TMP=$BATS_TEST_TMPDIR
}

# bg_start VAR CMD...: start CMD in the background (fd 3 closed so bats
# does not wait on it) and store its pid in VAR.
bg_start() {
	local var=$1
	shift
	"$@" 3>&- &
	printf -v "$var" '%s' "$!"
}

# bg_stop PID...: stop processes we started, by pid, and reap them.
bg_stop() {
	local pid
	for pid in "$@"; do
		[ -n "$pid" ] || continue
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
}

# wait_queued PORT N [SECS]: poll (bounded) until the TCP listener on PORT
# holds N connections that the kernel completed and nobody accepted yet.
wait_queued() {
	local tries=$(( ${3:-10} * 20 )) q
	while [ "$tries" -gt 0 ]; do
		q=$(ss -Hltn "sport = :$1" | awk '{ print $2 }')
		[ "${q:-0}" -ge "$2" ] && return 0
		sleep 0.05
		tries=$((tries - 1))
	done
	echo "listener on port $1: ${q:-no} connections queued, not $2" >&2
	return 1
}

# wait_for_file FILE [SECS]: poll (bounded) until FILE is non-empty.
wait_for_file() {
	local f=$1 tries=$(( ${2:-10} * 20 ))
	while [ ! -s "$f" ] && [ "$tries" -gt 0 ]; do
		sleep 0.05
		tries=$((tries - 1))
	done
	[ -s "$f" ]
}

# A host name no resolver can answer, refused before any query is sent: a
# label longer than 63 octets (RFC 1035, 2.3.4).  A name such as
# no.such.host.invalid goes to the configured name server, whose answer
# (and how long it takes, and its wording) depends on the network.
UNRESOLVABLE=$(printf '%064d' 0 | tr 0 a).invalid

# nonlocal_addr: an IPv4 address (from the documentation ranges) that no
# interface of this host has, so bind(2) to it fails with EADDRNOTAVAIL.
# Some sandboxes number their own network from 192.0.2.0/24.
nonlocal_addr() {
	python3 -c '
import errno, socket
for a in ("192.0.2.1", "198.51.100.1", "203.0.113.1"):
    s = socket.socket()
    try:
        s.bind((a, 0))
    except OSError as e:
        if e.errno == errno.EADDRNOTAVAIL:
            print(a)
            break
    finally:
        s.close()
'
}

# lock_port PORT: for a test that must use a fixed port (a default such
# as 8080): hold a lock on it, machine-wide, until the test ends, so that
# test files run in parallel (make check -j) or two checkouts' suites
# take turns instead of racing between "is it free?" and bind(2).
lock_port() {
	exec {ACORE_PORT_LOCK}>"${TMPDIR:-/tmp}/acore-test-port-$1.lock"
	flock -w 120 "$ACORE_PORT_LOCK"
}
