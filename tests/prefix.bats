#!/usr/bin/env bats
# ./configure --prefix=DIR && make install, the way README's Install
# section says: the installed acore finds its library without
# LD_LIBRARY_PATH and libacore.pc names DIR.  Done as a newcomer does it:
# README's first command (./bootstrap) has built the tree for the default
# prefix, then ./configure --prefix=DIR && make && make install in that
# same tree, so the second make must relink for the new prefix.  On a
# copy of the distributed sources (the tree's own build is configured for
# another prefix), with the tree's compiler and flags.

bats_require_minimum_version 1.8.0

load helper

setup_file() {
	export WORK=$BATS_FILE_TMPDIR
	export DIR=$WORK/inst
	# make distdir, not a VPATH build from the source tree: configure
	# refuses a VPATH build of a tree configured in place.
	make -s -C "$ACORE_BUILDDIR" distdir distdir="$WORK/src" \
	    >"$WORK/build.log" 2>&1 &&
	mkdir "$WORK/build" &&
	( cd "$WORK/build" &&
	  conf() { "$WORK/src/configure" -q --disable-static \
	      CC="${ACORE_CC:-cc}" CFLAGS="${ACORE_CFLAGS:-}" \
	      LDFLAGS="${ACORE_LDFLAGS:-}" "$@"; } &&
	  conf && make -j2 &&
	  conf --prefix="$DIR" && make -j2 &&
	  make install ) >>"$WORK/build.log" 2>&1 ||
	    { cat "$WORK/build.log" >&2; return 1; }
	export ACORE_H_VERSION=$(sed -n \
	    's/^#define ACORE_VERSION_STRING.*"\(.*\)"$/\1/p' \
	    "$ACORE_SRCDIR/lib/acore.h")
}

@test "DIR/bin/acore runs without LD_LIBRARY_PATH, on DIR's libacore" {
	cd /
	run env -u LD_LIBRARY_PATH "$DIR/bin/acore" --version
	assert_success
	assert_output --regexp "^acore $ACORE_H_VERSION "
	run env -u LD_LIBRARY_PATH ldd "$DIR/bin/acore"
	assert_line --regexp "^[[:space:]]*libacore\.so\.0 => $DIR/lib/libacore\.so\.0 "
}

@test "DIR's libacore.la names DIR/lib, not the first build's libdir" {
	run grep '^libdir=' "$DIR/lib/libacore.la"
	assert_output "libdir='$DIR/lib'"
}

# libacore(3) EXAMPLES and README's Install: a program of yours against
# the library in DIR, which neither the linker nor ld.so searches.
@test "a program built with DIR's pkg-config and -Wl,-rpath finds DIR's libacore" {
	export PKG_CONFIG_PATH=$DIR/lib/pkgconfig
	cd "$BATS_TEST_TMPDIR"
	${ACORE_CC:-cc} ${ACORE_CFLAGS:-} -std=c11 -D_GNU_SOURCE \
	    "$ACORE_SRCDIR/examples/echo-server.c" \
	    $(pkg-config --cflags --libs libacore) \
	    -Wl,-rpath,"$(pkg-config --variable=libdir libacore)" \
	    ${ACORE_LDFLAGS:-} -o with-rpath
	run env -u LD_LIBRARY_PATH ldd ./with-rpath
	assert_line --regexp "^[[:space:]]*libacore\.so\.0 => $DIR/lib/libacore\.so\.0 "
	# Without the run path: not found, unless LD_LIBRARY_PATH names DIR/lib.
	${ACORE_CC:-cc} ${ACORE_CFLAGS:-} -std=c11 -D_GNU_SOURCE \
	    "$ACORE_SRCDIR/examples/echo-server.c" \
	    $(pkg-config --cflags --libs libacore) ${ACORE_LDFLAGS:-} -o plain
	run env -u LD_LIBRARY_PATH ldd ./plain
	assert_line --regexp "^[[:space:]]*libacore\.so\.0 => not found"
	run env LD_LIBRARY_PATH="$DIR/lib" ldd ./plain
	assert_line --regexp "^[[:space:]]*libacore\.so\.0 => $DIR/lib/libacore\.so\.0 "
}

@test "make after a configure that kept the prefix relinks nothing" {
	cd "$WORK/build"
	"$WORK/src/configure" -q --disable-static --prefix="$DIR" \
	    CC="${ACORE_CC:-cc}" CFLAGS="${ACORE_CFLAGS:-}" \
	    LDFLAGS="${ACORE_LDFLAGS:-}" >/dev/null
	before=$(stat -c %y lib/libacore.la .libs/acore)
	run -0 make -j2
	[ "$(stat -c %y lib/libacore.la .libs/acore)" = "$before" ]
}

@test "DIR's libacore.pc names DIR and acore.h's version" {
	export PKG_CONFIG_PATH=$DIR/lib/pkgconfig
	run pkg-config --variable=prefix libacore
	assert_success
	assert_output "$DIR"
	run pkg-config --modversion libacore
	assert_output "$ACORE_H_VERSION"
	[ "$(pkg-config --libs libacore | xargs)" = "-L$DIR/lib -lacore" ]
}

@test "make uninstall leaves no file under DIR" {
	make -s -C "$WORK/build" uninstall >/dev/null 2>&1
	run find "$DIR" -type f
	assert_output ''
}
