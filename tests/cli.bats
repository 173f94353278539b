#!/usr/bin/env bats
load setup
@test "version" {
	run "$MPRUN" --version
	[ "$status" -eq 0 ]
}
