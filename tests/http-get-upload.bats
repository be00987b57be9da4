#!/usr/bin/env bats
# acore http-get -T and -X DELETE against nginx's DAV module (/dav/ of
# tests/http-helper.bash): what is PUT comes back the same from a GET.

bats_require_minimum_version 1.8.0

load helper
load http-helper

setup_file() {
	nginx_start
}

teardown_file() {
	nginx_stop
}

setup() {
	setup_tmp
}

# put_get_delete FILE NAME [acore -T args]: PUT FILE (or stdin with -)
# as /dav/NAME, GET it back and compare, DELETE it, and see it gone.
put_get_delete() {
	local file=$1 name=$2
	if [ "$file" = - ]; then
		run acore http-get -T - "$NGINX_URL/dav/$name" < <(cat "$3")
		file=$3
	else
		run acore http-get -T "$file" "$NGINX_URL/dav/$name"
	fi
	assert_success
	cmp "$NGINX_ROOT/dav/$name" "$file"
	acore http-get "$NGINX_URL/dav/$name" >"$TMP/back"
	cmp "$TMP/back" "$file"
	run acore http-get -X DELETE -w '%{http_code}\n' "$NGINX_URL/dav/$name"
	assert_success
	assert_output 204
	[ ! -e "$NGINX_ROOT/dav/$name" ]
	run acore http-get "$NGINX_URL/dav/$name"
	assert_failure 9
}

@test "-T to nginx DAV: 0 bytes, 1 byte and 50 MB come back the same, then DELETE" {
	: >"$TMP/zero"
	printf x >"$TMP/one"
	put_get_delete "$TMP/zero" zero
	put_get_delete "$TMP/one" d/e/one
	put_get_delete "$NGINX_ROOT/big.bin" big.bin
}

@test "-T - to nginx DAV: stdin sent chunked, 0 bytes, 1 byte and 50 MB" {
	: >"$TMP/zero"
	printf x >"$TMP/one"
	put_get_delete - s0 "$TMP/zero"
	put_get_delete - s1 "$TMP/one"
	put_get_delete - s50 "$NGINX_ROOT/big.bin"
}

@test "-T FILE to a URL ending in /: PUT under the file's name, 201 then 204" {
	printf 'named\n' >"$TMP/named.txt"
	run acore http-get -w '%{http_code}\n' -T "$TMP/named.txt" "$NGINX_URL/dav/dir/"
	assert_success
	assert_output 201
	run acore http-get -w '%{http_code}\n' -T "$TMP/named.txt" "$NGINX_URL/dav/dir/"
	assert_output 204
	cmp "$NGINX_ROOT/dav/dir/named.txt" "$TMP/named.txt"
}
