#!/usr/bin/env bats
# Test your own client against acore echo-server: each test gets a fresh
# server on a port the kernel picks, started in the background (the
# command returns once it accepts connections) and stopped by its pid.
# The client under test here is nc(1); put yours in its place.

bats_require_minimum_version 1.7.0

setup() {
	cd "$BATS_TEST_TMPDIR"
	acore echo-server -p 0 --port-file port --pid-file pid --background
}

teardown() {
	kill "$(cat pid)"
}

@test "the client gets back the line it sent" {
	run -0 nc -N 127.0.0.1 "$(cat port)" <<<'hello, world'
	[ "$output" = 'hello, world' ]
}

@test "the client gets back a whole file, byte for byte" {
	seq 100000 >sent
	nc -N 127.0.0.1 "$(cat port)" <sent >received
	cmp sent received
}
