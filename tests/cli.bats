#!/usr/bin/env bats
# The acore front end: help, version, the command table, usage errors.

bats_require_minimum_version 1.8.0
load helper

@test "acore --version prints the version and exits 0" {
	run acore --version
	assert_success
	assert_output --regexp '^acore [0-9]+\.[0-9]+\.[0-9]+ \(libevent 2\.[0-9.]+-stable, OpenSSL [0-9]+\.[0-9.]+[a-z]* .*\)$'
	run acore -V
	assert_success
	assert_output --regexp '^acore [0-9]'
}

@test "acore --help lists every command on stdout, exit 0" {
	run --separate-stderr acore --help
	assert_success
	assert_line --index 0 'usage: acore [-hV] command [args ...]'
	assert_line --regexp '^  cat-file +copy files'
	assert_line --regexp '^  echo-client '
	assert_line --regexp '^  echo-server '
	assert_line --regexp '^  http-get '
	[ -z "$stderr" ]
}

@test "acore help with no command lists commands; bare acore is a usage error" {
	run acore help
	assert_success
	assert_line --regexp '^  cat-file '
	run --separate-stderr acore
	assert_failure 2
	[ -z "$output" ]
	[[ "$stderr" == "usage: acore [-hV] command [args ...]"* ]]
}

@test "acore help CMD, acore CMD -h and --help print the same usage" {
	run acore help cat-file
	assert_success
	assert_line --index 0 'usage: acore cat-file [-rv] [-c size] [file ...]'
	assert_line --index 1 '  -c, --chunk-size SIZE  bytes per read event (default 128k)'
	local want=$output
	run acore cat-file -h
	assert_success
	assert_output "$want"
	run acore cat-file --help
	assert_success
	assert_output "$want"
}

@test "unknown command: one line, exit 2" {
	run --separate-stderr acore frobnicate
	assert_failure 2
	[ "$stderr" = "acore: unknown command 'frobnicate'; try 'acore help'" ]
	run --separate-stderr acore help frobnicate
	assert_failure 2
	[ "$stderr" = "acore: unknown command 'frobnicate'; try 'acore help'" ]
}

@test "unknown global option: one line, exit 2" {
	run --separate-stderr acore -x cat-file
	assert_failure 2
	[ "$stderr" = "acore: unknown option '-x'; try 'acore help'" ]
	run --separate-stderr acore --frob
	assert_failure 2
	[ "$stderr" = "acore: unknown option '--frob'; try 'acore help'" ]
}

@test "unknown and incomplete command options: the problem, the usage line, exit 2" {
	local usage
	usage=$(acore cat-file --help | head -n 1)
	run --separate-stderr acore cat-file --bogus
	assert_failure 2
	[ "$stderr" = "acore: cat-file: unknown option '--bogus'
$usage" ]
	run --separate-stderr acore cat-file -rx
	assert_failure 2
	[ "$stderr" = "acore: cat-file: unknown option '-x'
$usage" ]
	run --separate-stderr acore cat-file --chunk-size
	assert_failure 2
	[ "$stderr" = "acore: cat-file: missing value for option '--chunk-size'
$usage" ]
	# The same two lines from every command.
	local cmd
	for cmd in $(acore help | awk '/^  [a-z]/ { print $1 }'); do
		run --separate-stderr acore "$cmd" -%
		assert_failure 2
		[ "${stderr_lines[0]}" = "acore: $cmd: unknown option '-%'" ]
		[ "${stderr_lines[1]}" = "$(acore "$cmd" --help | head -n 1)" ]
	done
}

@test "an option's value or an operand after -- is never -h or -V" {
	run --separate-stderr acore cat-file -c -h
	assert_failure 2
	[ "$stderr" = "acore: cat-file: chunk size is invalid: -h" ]
	run --separate-stderr acore cat-file --chunk-size -V
	assert_failure 2
	[ "$stderr" = "acore: cat-file: chunk size is invalid: -V" ]
	run --separate-stderr acore echo-server --chunk-size -V
	assert_failure 2
	[ "$stderr" = "acore: echo-server: chunk size is invalid: -V" ]
	# -m's value is the message: sent to a closed port, not help.
	run --separate-stderr acore echo-client -m -h 127.0.0.1 1
	assert_failure 5
	[ "$stderr" = "acore: echo-client: connect to 127.0.0.1 port 1: Connection refused" ]
	run --separate-stderr acore http-get -A -V http://127.0.0.1:1/
	assert_failure 5
	[ -z "$output" ]
	run --separate-stderr acore cat-file -- -h
	assert_failure 1
	[ "$stderr" = "acore: cat-file: -h: No such file or directory" ]
	# A real -h or -V still wins, wherever it stands.
	run acore echo-client -m text -h
	assert_success
	assert_line --index 0 "$(acore help echo-client | head -n 1)"
	run acore http-get -A agent -V
	assert_success
	assert_output "$(acore -V)"
}

@test "-4 and -6 together: a usage error from every command that takes them" {
	local cmd
	for cmd in echo-client echo-server http-get; do
		run --separate-stderr acore "$cmd" -4 -6 127.0.0.1 1
		assert_failure 2
		[ "${stderr_lines[0]}" = "acore: $cmd: -4 and -6 cannot be used together" ]
		[ "${stderr_lines[1]}" = "$(acore "$cmd" --help | head -n 1)" ]
		[ "${#stderr_lines[@]}" -eq 2 ]
	done
}

@test "every --help usage line equals its man page SYNOPSIS" {
	local cmd page synopsis n=0
	for cmd in $(acore help | awk '/^  [a-z]/ && !/not implemented yet/ { print $1 }'); do
		page=$ACORE_SRCDIR/man/acore-$cmd.1
		[ -f "$page" ]
		synopsis=$(mandoc -T ascii -O width=1000 "$page" | col -b |
		    awk '/^SYNOPSIS/ { getline; sub(/^ +/, ""); print; exit }' |
		    tr -s ' ')
		run acore "$cmd" --help
		assert_line --index 0 "usage: $synopsis"
		n=$((n + 1))
	done
	[ "$n" -ge 1 ]
}

@test "a command not yet implemented says so, in --help too, exit 11" {
	local cmd
	for cmd in $(acore help | awk '/not implemented yet/ { print $1 }'); do
		run --separate-stderr acore "$cmd"
		assert_failure 11
		[ "$stderr" = "acore: $cmd: not implemented yet" ]
		run acore "$cmd" --help
		assert_output "usage: acore $cmd (not implemented yet)"
	done
}

@test "acore(1) EXAMPLES: help, help cat-file, cat-file README.md" {
	run acore help
	assert_success
	run acore help cat-file
	assert_success
	assert_line --index 0 'usage: acore cat-file [-rv] [-c size] [file ...]'
	run acore cat-file "$ACORE_SRCDIR/README.md"
	assert_success
	[ "$output" = "$(cat "$ACORE_SRCDIR/README.md")" ]
}

@test "libacore(3) SYNOPSIS prototypes are acore.h's: types, arguments, order" {
	python3 "$ACORE_SRCDIR/tests/synopsis.py" header \
	    "$ACORE_SRCDIR/lib/acore.h" >"$BATS_TEST_TMPDIR/hdr"
	python3 "$ACORE_SRCDIR/tests/synopsis.py" man \
	    "$ACORE_SRCDIR/man/libacore.3" >"$BATS_TEST_TMPDIR/man"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/hdr")" -gt 50 ]
	diff -u "$BATS_TEST_TMPDIR/hdr" "$BATS_TEST_TMPDIR/man"
}

@test "libacore(3) lists every function of acore.h, in the header's order" {
	# Declarations only: comments mention functions too.
	hdr=$(python3 -c 'import re, sys
s = re.sub(r"/\*.*?\*/", "", open(sys.argv[1]).read(), flags=re.S)
seen = []
for n in re.findall(r"\b(acore_[a-z_]+)\s*\(", s):
    if n not in seen: seen.append(n)
print("\n".join(seen))' "$ACORE_SRCDIR/lib/acore.h")
	man=$(awk '/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/' "$ACORE_SRCDIR/man/libacore.3" |
	    awk '$1 == ".Fn" { print $2 }')
	[ -n "$hdr" ]
	diff <(echo "$hdr") <(echo "$man")
}

@test "libacore(3) shows struct acore_ops exactly as acore.h declares it" {
	sed -n '/^struct acore_ops {$/,/^};$/p' "$ACORE_SRCDIR/lib/acore.h" \
	    >"$BATS_TEST_TMPDIR/hdr"
	awk '/^\.Ss Hooks/ { h = 1 } h && /^\.Ed/ { exit }
	    h && go { print } h && /^\.Bd -literal/ { go = 1 }' \
	    "$ACORE_SRCDIR/man/libacore.3" >"$BATS_TEST_TMPDIR/man"
	grep -q 'handle_accept)(' "$BATS_TEST_TMPDIR/hdr"
	diff -u "$BATS_TEST_TMPDIR/hdr" "$BATS_TEST_TMPDIR/man"
}

@test "-V and --version on every command print the version, exit 0" {
	local cmd want
	want=$(acore -V)
	for cmd in $(acore help | awk '/^  [a-z]/ { print $1 }'); do
		run --separate-stderr acore "$cmd" -V
		assert_success
		[ "$output" = "$want" ]
		run --separate-stderr acore "$cmd" --version
		assert_success
		[ "$output" = "$want" ]
	done
}

# The options of CMD's getopt tables: its long options (as
# tests/completion.bats reads them) and the letters of its optstring,
# "--name" and "-x" a line each.
getopt_options() {
	local cmd=$1 src
	src=$ACORE_SRCDIR/cmd/$cmd.c
	[ -f "$ACORE_SRCDIR/cmd/${cmd%-*}-opts.c" ] && src=$ACORE_SRCDIR/cmd/${cmd%-*}-opts.c
	grep -o '{[[:space:]]*"[a-z0-9.-]*",[[:space:]]*[a-z]*_argument' "$src" |
	    sed 's/{[[:space:]]*"\([^"]*\)".*/--\1/'
	# the optstring: "#define [HG_]OPTSTRING ..." in its file or its .h
	grep -ho '^#define [A-Z_]*OPTSTRING[[:space:]]*"[^"]*"' "$src" \
	    "$ACORE_SRCDIR/cmd/$cmd.c" "$ACORE_SRCDIR/cmd/${cmd%-*}.h" 2>/dev/null |
	    sed 's/.*"\(.*\)"/\1/' | sort -u | tr -d ':' | fold -w 1 | sed 's/^/-/'
}

@test "--help names every option of the getopt table, -V and --version, a line each" {
	local cmd opt n
	for cmd in $(acore help | awk '/^  [a-z]/ { print $1 }'); do
		run acore "$cmd" --help
		assert_success
		n=0
		for opt in $(getopt_options "$cmd") -V --version; do
			# "  -x, --long VALUE  text", "  -4, -6  text", "      --long"
			printf '%s\n' "${lines[@]:1}" |
			    grep -Eq -- "^ +(-[a-zA-Z0-9], )*$opt(,| |\$)" ||
			    { echo "$cmd --help lacks $opt"; false; }
			n=$((n + 1))
		done
		[ "$n" -gt 4 ]
		# and the man page documents -V
		grep -qx '\.It Fl V' "$ACORE_SRCDIR/man/acore-$cmd.1" ||
		    { echo "acore-$cmd(1) lacks -V"; false; }
	done
}
