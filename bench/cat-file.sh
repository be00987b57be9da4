#!/bin/sh
# bench/cat-file.sh: acore cat-file against cat(1), measured in one run.
#   1. a 1 GiB file (in the page cache) to /dev/null     target >= 0.95x cat
#   2. the same file into a pipe                          target >= 1.2x cat | cat
#   3. the same file into a Unix socket (socat -u EXEC:   target >= 1.2x cat
#      reads its end, 1 MiB at a time, into /dev/null)
#   4. the same file into a TCP connection (socat         target >= 1.2x cat
#      EXEC:...,nofork: stdout is the connection itself;
#      a socat TCP-LISTEN reads it as in 3)
#   5. start-up: acore --version against curl --version  (wall time per run)
# cat-file moves a regular file into a pipe or a TCP socket with
# sendfile(2), and copies into a Unix socket (sendfile would copy too).
# Ratios are throughput ratios (cat time / acore time): above 1 is faster.
# Usage: bench/cat-file.sh [SIZE_MIB] [RUNS]   (from a built tree)
set -eu
cd "$(dirname "$0")/.."
ACORE=${ACORE:-./acore}
size=${1:-1024}
runs=${2:-5}
file=${TMPDIR:-/tmp}/acore-bench-$$.bin
trap 'rm -f "$file"' EXIT INT TERM

[ -x "$ACORE" ] || { echo "bench: build first (no $ACORE)" >&2; exit 1; }
# In a build tree ./acore is libtool's wrapper script; time the real
# binary, as it runs once installed.
if [ "$ACORE" = ./acore ] && [ -x .libs/acore ]; then
	ACORE=.libs/acore
	LD_LIBRARY_PATH=lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	export LD_LIBRARY_PATH
fi
head -c $((size * 1048576)) /dev/urandom > "$file"
cat "$file" > /dev/null		# into the page cache

# best RUNS... CMD: the fastest of RUNS runs of sh -c CMD, in seconds.
best() {
	n=$1
	shift
	b=""
	while [ "$n" -gt 0 ]; do
		t0=$(date +%s.%N)
		sh -c "$1"
		t1=$(date +%s.%N)
		b=$(echo "$t0 $t1 ${b:-inf}" | awk '{ d = $2 - $1; if ($3 == "inf" || d < $3) print d; else print $3 }')
		n=$((n - 1))
	done
	echo "$b"
}

row() {	# row NAME BASE_CMD ACORE_CMD
	tb=$(best "$runs" "$2")
	ta=$(best "$runs" "$3")
	echo "$tb $ta $size" | awk -v name="$1" '{
	    printf "%-26s base %6.3fs %5.2f GB/s  acore %6.3fs %5.2f GB/s  ratio %.2fx\n",
	        name, $1, $3 * 1048576 / $1 / 1e9, $2, $3 * 1048576 / $2 / 1e9, $1 / $2 }'
}

echo "acore cat-file vs cat, ${size} MiB, best of $runs"
row "to /dev/null (vs cat)" "cat '$file' > /dev/null" \
    "'$ACORE' cat-file '$file' > /dev/null"
row "into a pipe (vs cat|cat)" "cat '$file' | cat > /dev/null" \
    "'$ACORE' cat-file '$file' | cat > /dev/null"
if command -v socat > /dev/null; then
	row "into a socket (vs cat)" \
	    "socat -b 1048576 -u EXEC:\"cat '$file'\" STDOUT > /dev/null" \
	    "socat -b 1048576 -u EXEC:\"'$ACORE' cat-file '$file'\" STDOUT > /dev/null"
	# One reader for every run: a forking listener, each connection's
	# bytes into /dev/null; the writer's stdout is its connection.
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	socat -b 1048576 -u TCP-LISTEN:"$port",bind=127.0.0.1,reuseaddr,fork \
	    STDOUT > /dev/null &
	reader=$!
	trap 'kill $reader 2>/dev/null; rm -f "$file"' EXIT INT TERM
	i=0
	until ss -ltn | grep -q "127.0.0.1:$port "; do
		i=$((i + 1))
		[ $i -lt 100 ] || { echo "bench: no TCP reader" >&2; exit 1; }
		sleep 0.05
	done
	row "into TCP (vs cat)" \
	    "socat TCP:127.0.0.1:$port EXEC:\"cat '$file'\",nofork" \
	    "socat TCP:127.0.0.1:$port EXEC:\"'$ACORE' cat-file '$file'\",nofork"
	kill $reader
fi

# Start-up: mean wall time over 100 runs each.
startup() {
	t0=$(date +%s.%N)
	i=0
	while [ $i -lt 100 ]; do
		"$@" > /dev/null 2>&1
		i=$((i + 1))
	done
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{ printf "%.2f", ($2 - $1) * 1000 / 100 }'
}
a=$(startup "$ACORE" --version)
if command -v curl > /dev/null; then
	c=$(startup curl --version)
	echo "start-up: acore --version ${a} ms, curl --version ${c} ms"
else
	echo "start-up: acore --version ${a} ms (no curl to compare)"
fi
