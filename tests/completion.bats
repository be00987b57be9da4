#!/usr/bin/env bats
# completions/acore against the commands and their man pages.

bats_require_minimum_version 1.8.0
load helper

setup() {
	source "$ACORE_SRCDIR/completions/acore"
}

# complete WORDS...: what the completion offers for the last word.
complete_words() {
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMPREPLY=()
	_acore
	printf '%s\n' "${COMPREPLY[@]}"
}

@test "the first word completes to the commands acore help lists" {
	run complete_words acore ''
	want=$(acore help | awk '/^  [a-z]/ { print $1 }'; echo help)
	[ "$(echo "$output" | sort)" = "$(echo "$want" | sort)" ]
}

@test "each command's long options are exactly its man page's" {
	local cmd page
	for cmd in cat-file echo-client echo-server http-get; do
		page=$ACORE_SRCDIR/man/acore-$cmd.1
		man=$(grep -o 'Fl \\-[a-z0-9.-]*' "$page" | sed 's/Fl \\/-/' | sort -u)
		comp=$(_acore_opts "$cmd" | tr -s ' \t\n' '\n' | grep '^--' | sort -u)
		[ "$man" = "$comp" ] || { echo "$cmd: man vs completion"; diff <(echo "$man") <(echo "$comp"); false; }
	done
}

@test "each command's long options are exactly its getopt_long table's" {
	local cmd src
	for cmd in cat-file echo-client echo-server http-get; do
		# the table lives in the command's file or its -opts.c
		src=$ACORE_SRCDIR/cmd/$cmd.c
		[ -f "$ACORE_SRCDIR/cmd/${cmd%-*}-opts.c" ] && src=$ACORE_SRCDIR/cmd/${cmd%-*}-opts.c
		code=$(grep -o '{[[:space:]]*"[a-z0-9.-]*",[[:space:]]*[a-z]*_argument' "$src" |
		    sed 's/{[[:space:]]*"\([^"]*\)".*/--\1/' | sort -u)
		comp=$(_acore_opts "$cmd" | tr -s ' \t\n' '\n' | grep '^--' | sort -u)
		[ -n "$code" ]
		[ "$code" = "$comp" ] || { echo "$cmd: source vs completion"; diff <(echo "$code") <(echo "$comp"); false; }
	done
}

@test "every command completes -h, --help, -V and --version, once each" {
	local cmd
	for cmd in cat-file echo-client echo-server http-get; do
		run complete_words acore "$cmd" --vers
		assert_output --version
		run complete_words acore "$cmd" --hel
		assert_output --help
		run complete_words acore "$cmd" -
		[ "$(printf '%s\n' "$output" | grep -cx -- -V)" -eq 1 ]
		[ "$(printf '%s\n' "$output" | grep -cx -- -h)" -eq 1 ]
	done
}

@test "options complete by prefix, files after -o" {
	run complete_words acore http-get --max-
	assert_output "$(printf -- '--max-host-conns\n--max-redirs\n--max-time')"
	run complete_words acore echo-client -o "$ACORE_SRCDIR/READ"
	assert_output "$ACORE_SRCDIR/README.md"
}
