#!/usr/bin/env bats
# README's two commands: ./bootstrap installs what building and running
# needs, ./bootstrap --test also what the tests and CI use, and .ci/run
# runs README's test command exactly.  bootstrap --list prints a set
# without installing or building anything.

bats_require_minimum_version 1.8.0

load helper

@test "bootstrap alone installs only what building and running need" {
	run -0 "$ACORE_SRCDIR/bootstrap" --list
	assert_output "gcc
make
libc6-dev
autoconf
automake
libtool
pkg-config
libevent-dev
libssl-dev
zlib1g-dev
libnghttp2-dev
ca-certificates
netbase"
}

@test "bootstrap --test adds the test and lint tools" {
	run -0 "$ACORE_SRCDIR/bootstrap" --list
	build=$output
	run -0 "$ACORE_SRCDIR/bootstrap" --test --list
	# The build set first, then the test set.
	[ "$(head -n "$(wc -l <<<"$build")" <<<"$output")" = "$build" ]
	for pkg in bats bats-assert bats-support mandoc nginx-light socat \
	    ncat netcat-openbsd openssl curl python3 valgrind clang cppcheck \
	    clang-tools procps bsdextrautils iproute2 time nghttp2-server \
	    nghttp2-client squid dante-server microsocks; do
		assert_line "$pkg"
	done
	[ "${#lines[@]}" -eq 37 ]
}

@test "README's first command builds, its second is .ci/run's test command" {
	block=$(awk '/^```sh$/ { go = 1; next } go && /^```$/ { exit } go' \
	    "$ACORE_SRCDIR/README.md")
	[ "$(sed -n 1p <<<"$block")" = "./bootstrap && ./acore echo-server --once -p 0 --chunk-size 256 --with-client tests/data/lorem.txt -v" ]
	[ "$(sed -n 2p <<<"$block")" = "./bootstrap --test && make check" ]
	run -0 grep -cxF './bootstrap --test && make check || status=1' \
	    "$ACORE_SRCDIR/.ci/run"
	assert_output 1
}

# README's order: the first command configured the tree without bats (it
# did not install it), so the test command must configure it again, or
# make check would skip every bats file.  On a copy of the distributed
# sources; every package is already here, so nothing is installed.
@test "bootstrap --test reconfigures a tree configured without bats" {
	[ "$(id -u)" = 0 ] || skip "bootstrap --test may apt-get: root only"
	make -s -C "$ACORE_BUILDDIR" distdir distdir="$BATS_TEST_TMPDIR/src" \
	    >/dev/null 2>&1
	cd "$BATS_TEST_TMPDIR/src"
	./configure -q --disable-static CC="${ACORE_CC:-cc}" \
	    CFLAGS="${ACORE_CFLAGS:-}" LDFLAGS="${ACORE_LDFLAGS:-}" >/dev/null
	# Built (the copy's timestamps may ask make to run configure again:
	# let that happen now), then as configure writes it without bats.
	make -s -j2 >/dev/null 2>&1
	sed -i 's|^BATS = .*|BATS = no|' Makefile
	run ./bootstrap --test
	assert_success
	run grep '^BATS = ' Makefile
	assert_output "BATS = $(command -v bats)"
	grep -qx 'CFLAGS = '"${ACORE_CFLAGS:-}" Makefile
}
