# Faults (issue 11, items 6 and 2) and the local store's integrity. Sourced
# by tests/e2e.sh (group faults-more).

# one_line_usage NAME ERRFILE RC DIR PATTERN: exit 2, one line on stderr that
# holds PATTERN (fixed), nothing built in DIR.
usage_line() { [ "$2" -eq 2 ] && [ "$(wc -l <"$1")" -eq 1 ] && grep -qF -- "$4" "$1" && test ! -e "$3/target/debug"; }
one_line_usage() { check "faults-more: $1: exit 2 ($3), one line before anything is built" usage_line "$2" "$3" "$4" "$5"; }

if want faults-more; then
	V="$WORK/more"
	copy_fixture "$V/p"

	# Item 6: validation gaps, each one line with the fix, exit 2.
	big=$(head -c 100000 /dev/zero | tr '\0' a)
	(cd "$V/p" && CARGOGREEN_BASE_IMAGE="docker-image://$big" cargo green build >/dev/null 2>"$V/bigimage.err"); rc=$?
	one_line_usage "a 100 KB base-image" "$V/bigimage.err" $rc "$V/p" \
		"(from the environment): the image name is 100000 characters long, more than the engine's 255 (e.g. CARGOGREEN_BASE_IMAGE=docker-image://"

	(cd "$V/p" && BUILDX_BUILDER=no-such-builder cargo green build >/dev/null 2>"$V/builder.err"); rc=$?
	one_line_usage "a BUILDX_BUILDER that names no builder" "$V/builder.err" $rc "$V/p" \
		'BUILDX_BUILDER=no-such-builder names no builder (see `docker buildx ls`; unset BUILDX_BUILDER'

	(cd "$V/p" && CARGOGREEN_LOG=info CARGOGREEN_LOG_PATH="$V/no/such/dir/log.txt" cargo green build >/dev/null 2>"$V/logpath.err"); rc=$?
	one_line_usage "an unwritable CARGOGREEN_LOG_PATH" "$V/logpath.err" $rc "$V/p" \
		"CARGOGREEN_LOG_PATH=\"$V/no/such/dir/log.txt\" (from the environment): cannot open it to append the logs CARGOGREEN_LOG asks for: No such file or directory"
	(cd "$V/p" && CARGOGREEN_LOG_PATH="$V/no/such/dir/log.txt" cargo green build -q >/dev/null 2>"$V/logpath-off.err"); rc=$?
	check "faults-more: …and without CARGOGREEN_LOG that path is not opened: the build succeeds ($rc)" \
		bash -c "[ $rc -eq 0 ] && test -x '$V/p/target/debug/app'"
	rm -rf "$V/p/target"

	cp "$V/p/app/Cargo.toml" "$V/app.toml"
	printf '\n[package.metadata.green]\nset-envs = [1, 2]\n' >>"$V/p/app/Cargo.toml"
	(cd "$V/p" && cargo green build >/dev/null 2>"$V/setenvs.err"); rc=$?
	one_line_usage "set-envs = [1, 2]" "$V/setenvs.err" $rc "$V/p" \
		"set-envs in [package.metadata.green] of $V/p/app/Cargo.toml: must be an array of strings, but entry 1 is a number (e.g. set-envs = "
	cp "$V/app.toml" "$V/p/app/Cargo.toml"
fi

