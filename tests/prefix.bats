#!/usr/bin/env bats
# ./configure --prefix=DIR && make install, the way README's Install
# section says: the installed acore finds its library without
# LD_LIBRARY_PATH and libacore.pc names DIR.  One configure + make of the
# distributed sources (a separate build: the tree's own is configured for
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
	  "$WORK/src/configure" -q --disable-static --prefix="$DIR" \
	      CC="${ACORE_CC:-cc}" CFLAGS="${ACORE_CFLAGS:-}" \
	      LDFLAGS="${ACORE_LDFLAGS:-}" &&
	  make -j2 &&
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
