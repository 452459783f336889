# e2e_final.sh: CARGOGREEN_FINAL_PATH (sourced by tests/e2e.sh, groups "final", "ripgrep-dockerfile", "recipe").
# One standalone Dockerfile for the primary unit's closure: written by
# `cargo green build`, the same text from another checkout, and built by
# plain `docker buildx build` (no cargo-green, no cache) into the same bytes.

if want final; then
	FA="$WORK/final-a" FB="$WORK/final-b/elsewhere"
	copy_fixture "$FA"
	(cd "$FA" && CARGOGREEN_FINAL_PATH="$FA/app.Dockerfile" cargo green build --release --bin app >/dev/null 2>"$WORK/final-a.err"); rc=$?
	check "FINAL_PATH: cargo green build --release --bin app succeeds and says it wrote the file (exit $rc)" \
		grep -q "^cargo-green: wrote $FA/app.Dockerfile ([0-9]* units" "$WORK/final-a.err"
	DF="$FA/app.Dockerfile"
	check "FINAL_PATH: the file ends with a FROM scratch stage holding just the binary" \
		bash -c "grep -A1 -x 'FROM scratch AS final' '$DF' | grep -qx 'COPY --link --from=o-app-[0-9a-f]* /green/target/release/deps/app-[0-9a-f]* /app'"
	check "FINAL_PATH: every stage of the closure: the base, each compile, build scripts compiled and run" \
		bash -c "grep -q '^FROM cargo-green-rust:.* AS rust-base$' '$DF' && grep -q '^FROM rust-base AS u-serde_derive-' '$DF' &&
			grep -q '^FROM rust-base AS u-build_script_build-' '$DF' && grep -q '^FROM rust-base AS u-run-greet-' '$DF' &&
			[ \$(grep -c '^FROM .* AS ' '$DF') = \$(grep '^FROM .* AS ' '$DF' | sort -u | wc -l) ]"
	check "FINAL_PATH: crates.io sources come by ADD --checksum from static.crates.io, with Cargo.lock's checksum" \
		bash -c "ck=\$(grep -A3 '^name = \"itoa\"' '$FA/Cargo.lock' | sed -n 's/^checksum = \"\\(.*\\)\"/\\1/p'); [ -n \"\$ck\" ] &&
			grep -q \"^ADD --checksum=sha256:\$ck https://static.crates.io/crates/itoa/itoa-[0-9.]*.crate \" '$DF'"
	check "FINAL_PATH: no host path, no user name in the file" \
		bash -c "[ -s '$DF' ] && ! grep -q -e '$WORK' -e '$HOME/' -e '/home/' -e \"\$(id -un)/\" '$DF'"

	# Another checkout at another path: the same text, byte for byte.
	copy_fixture "$FB"
	(cd "$FB" && CARGOGREEN_FINAL_PATH="$FB/app.Dockerfile" cargo green build --release --bin app >/dev/null 2>"$WORK/final-b.err")
	check "FINAL_PATH: the same file from another checkout at another path (deterministic)" cmp -s "$DF" "$FB/app.Dockerfile"
	# Only the binary compiled again (its build script and greet fresh): still the same text.
	touch "$FB/app/src/main.rs"
	rm -f "$FB/app.Dockerfile"
	(cd "$FB" && CARGOGREEN_FINAL_PATH="$FB/app.Dockerfile" cargo green build --release --bin app >/dev/null 2>"$WORK/final-b2.err")
	check "FINAL_PATH: the same file when only the binary was compiled in the run" cmp -s "$DF" "$FB/app.Dockerfile"

	# Plain docker, from the workspace root, as the file's closing comment says; no cache.
	cmd=$(sed -n '/^# Build it with plain docker/,/--output=DIR/p' "$DF" | sed '1d; s/^# *//; s/ \\$//' | tr '\n' ' ')
	FOUT="$WORK/final-out"
	rm -rf "$FOUT"
	cmd=${cmd/--output=DIR/--output=$FOUT}
	cmd=${cmd/docker buildx build /docker buildx build --no-cache --progress=plain }
	note "e2e: final: $cmd"
	(cd "$FA" && eval "$cmd" >"$WORK/final-docker.log" 2>&1); rc=$?
	check "FINAL_PATH: plain docker buildx build of the file, as its comment says, with --no-cache (exit $rc; log $WORK/final-docker.log)" \
		bash -c "[ $rc -eq 0 ] && [ -x '$FOUT/app' ]"
	check "FINAL_PATH: its binary is byte for byte target/release/app" cmp "$FOUT/app" "$FA/target/release/app"
	check "FINAL_PATH: the engine downloaded crates.io's crates (no named context for them)" \
		bash -c "grep -q 'https://static.crates.io/crates/' '$WORK/final-docker.log' && ! grep -q 'transferring src-itoa-' '$WORK/final-docker.log'"

	# The dev profile, as the command is usually typed: the workspace's
	# units compiled by the local rustc in its sandbox are in the file too.
	FE="$WORK/final-e"
	copy_fixture "$FE"
	(cd "$FE" && CARGOGREEN_FINAL_PATH="$FE/app.Dockerfile" cargo green build --bin app >/dev/null 2>"$WORK/final-e.err"); rc=$?
	cmd=$(sed -n '/^# Build it with plain docker/,/--output=DIR/p' "$FE/app.Dockerfile" | sed '1d; s/^# *//; s/ \\$//' | tr '\n' ' ')
	cmd=${cmd/--output=DIR/--output=$WORK/final-e-out}
	cmd=${cmd/docker buildx build /docker buildx build --no-cache }
	(cd "$FE" && eval "$cmd" >"$WORK/final-e-docker.log" 2>&1); rc2=$?
	check "FINAL_PATH: cargo green build --bin app (dev): plain docker --no-cache builds target/debug/app byte for byte (exit $rc, $rc2)" \
		cmp "$WORK/final-e-out/app" "$FE/target/debug/app"

	# A build failing early: greet (not primary with --bin app) does not compile.
	FD="$WORK/final-d"
	copy_fixture "$FD"
	echo 'pub fn broken() -> u32 { "not a number" }' >>"$FD/greet/src/lib.rs"
	(cd "$FD" && CARGOGREEN_FINAL_PATH="$FD/app.Dockerfile" cargo green build --release --bin app >/dev/null 2>"$WORK/final-d1.err"); rc=$?
	# Only app's build script compile (primary, it needs nothing of greet) ran of the primary units.
	check "FINAL_PATH: a build failing in a dependency holds the primary units that ran, not the dependency (exit $rc)" \
		bash -c "[ $rc -ne 0 ] && grep -q 'wrote $FD/app.Dockerfile (1 units, .*the build failed' '$WORK/final-d1.err' &&
			grep -q '^FROM rust-base AS u-build_script_build-' '$FD/app.Dockerfile' && ! grep -q '^FROM rust-base AS u-greet-' '$FD/app.Dockerfile'"
	(cd "$FD" && CARGOGREEN_FINAL_PATH="$FD/app.Dockerfile" CARGOGREEN_FINAL_PATH_NONPRIMARY=1 cargo green build --release --bin app >/dev/null 2>"$WORK/final-d2.err"); rc=$?
	check "FINAL_PATH_NONPRIMARY=1: the failed build writes the units that ran, the failed one too, and says so (exit $rc)" \
		bash -c "[ $rc -ne 0 ] && grep -q 'wrote $FD/app.Dockerfile (.*the build failed' '$WORK/final-d2.err' &&
			grep -q '^FROM rust-base AS u-greet-' '$FD/app.Dockerfile' && grep -q '^FROM rust-base AS u-serde_derive-' '$FD/app.Dockerfile' &&
			grep -A1 -x 'FROM scratch AS final' '$FD/app.Dockerfile' | grep -q '^COPY --link --from=o-greet-[0-9a-f]* / /$'"
	cmd=$(sed -n '/^# Build it with plain docker/,/--output=DIR/p' "$FD/app.Dockerfile" | sed '1d; s/^# *//; s/ \\$//' | tr '\n' ' ')
	cmd=${cmd/--output=DIR/--output=$WORK/final-d-out}
	(cd "$FD" && eval "$cmd" >"$WORK/final-d-docker.log" 2>&1); rc=$?
	check "FINAL_PATH_NONPRIMARY=1: plain docker reproduces the failure: greet's stderr has rustc's error (exit $rc)" \
		bash -c "grep -q 'error\[E0308\]' '$WORK'/final-d-out/green/greet-*.stderr"

	# Bad values: one line naming the setting and the fix, exit 2, before any compile.
	FC="$WORK/final-c"
	copy_fixture "$FC"
	for v in rel.Dockerfile - "$WORK" "$WORK/no-such-dir/app.Dockerfile" /proc/app.Dockerfile; do
		(cd "$FC" && CARGOGREEN_FINAL_PATH="$v" cargo green build --release >/dev/null 2>"$WORK/final-bad.err"); rc=$?
		check "FINAL_PATH=$v: exit 2, one line naming CARGOGREEN_FINAL_PATH and a fix, nothing compiled (exit $rc)" \
			bash -c "[ $rc -eq 2 ] && [ \$(wc -l <'$WORK/final-bad.err') -eq 1 ] &&
				grep -q '^cargo-green: error: CARGOGREEN_FINAL_PATH.*e\\.g\\. CARGOGREEN_FINAL_PATH=/' '$WORK/final-bad.err' &&
				[ ! -e '$FC/target/release' ]"
	done
fi

# A crates.io CLI as users install it: its file needs no context at all (every
# source from static.crates.io), and plain docker rebuilds the installed bytes.
if want ripgrep-dockerfile; then
	FR="$WORK/final-rg"
	mkdir -p "$FR"
	(cd "$FR" && CARGOGREEN_FINAL_PATH="$FR/rg.Dockerfile" cargo green install --locked --root "$FR/root" ripgrep@14.1.1 >/dev/null 2>"$FR/install.err"); rc=$?
	check "FINAL_PATH: cargo green install ripgrep writes the file, whose only build command names no context (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && grep -q '^cargo-green: wrote $FR/rg.Dockerfile' '$FR/install.err' && ! grep -q -- '--build-context' '$FR/rg.Dockerfile' &&
			grep -q '^COPY --link --from=o-rg-[0-9a-f]* /green/target/release/deps/rg-[0-9a-f]* /rg$' '$FR/rg.Dockerfile'"
	(cd "$FR" && docker buildx build --no-cache --progress=plain -f rg.Dockerfile --output="$FR/out" . >"$FR/docker.log" 2>&1); rc=$?
	check "FINAL_PATH: plain docker --no-cache builds ripgrep's file into the installed rg, byte for byte (exit $rc)" \
		cmp "$FR/out/rg" "$FR/root/bin/rg"
fi

# `cargo green supergreen recipe NAME@VERSION`: the Dockerfile that installs a
# crates.io crate's binaries as `cargo install --locked` does, on two small
# real CLIs; plain docker builds each into the bytes cargo green install gives.
if want recipe; then
	RC="$WORK/recipe"
	mkdir -p "$RC"
	# Bad input: one line naming the cause and the fix, exit 2, nothing on stdout, nothing written.
	# recipe_bad RC WHAT: the failed call's output is as said.
	recipe_bad() {
		[ "$1" -eq 2 ] && [ "$(wc -l <"$RC/bad.err")" -eq 1 ] && [ ! -s "$RC/bad.out" ] &&
			grep -q "^cargo-green: error: recipe: .*$2" "$RC/bad.err" && [ ! -e "$RC/x.Dockerfile" ] &&
			! grep -q 'Installing' "$RC/bad.err"
	}
	while IFS='|' read -r args what; do
		# shellcheck disable=SC2086
		(cd "$RC" && cargo green supergreen recipe $args >"$RC/bad.out" 2>"$RC/bad.err"); rc=$?
		check "recipe $args: exit 2, one line ($what), nothing on stdout (exit $rc: $(head -c 300 "$RC/bad.err"))" \
			recipe_bad "$rc" "$what"
	done <<-'LIST'
		|which crate?.*e.g. ripgrep@14.1.1
		Bad!name|'Bad!name' is not a crate name
		ripgrep@14.1|'14.1' is not a version (MAJOR.MINOR.PATCH
		no-such-crate-cargo-green-e2e|crates.io has no crate 'no-such-crate-cargo-green-e2e' (check its name: `cargo search
		ripgrep@99.0.0|crates.io has no crate 'ripgrep' with version 99.0.0 (its versions: `cargo info ripgrep`
		serde@1.0.210|'serde' has no binaries: a recipe is for what `cargo install` installs
		rustfilt@0.2.2 -o /proc/x.Dockerfile|-o /proc/x.Dockerfile: it cannot be written: .* (e.g. -o /tmp/rustfilt.Dockerfile)
		rustfilt@0.2.2 -o /tmp|-o /tmp: it is a directory: name a file in it
		rustfilt@0.2.2 -o no-dir/x.Dockerfile|-o no-dir/x.Dockerfile: its directory .*/no-dir does not exist
		rustfilt@0.2.2 ripgrep|unexpected 'ripgrep'
	LIST

	# rustfilt (11 compiles): to stdout, as `... > rustfilt.Dockerfile`.
	(cd "$RC" && cargo green supergreen recipe rustfilt@0.2.2 >"$RC/rustfilt.Dockerfile" 2>"$RC/rustfilt.err"); rc=$?
	check "recipe rustfilt@0.2.2: exit 0, stdout is the Dockerfile alone: its binary in the last stage, every source from static.crates.io (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && head -n1 '$RC/rustfilt.Dockerfile' | grep -q '^# cargo-green: a standalone Dockerfile of [0-9]* units' &&
			grep -A1 -x 'FROM scratch AS final' '$RC/rustfilt.Dockerfile' | grep -q '^COPY --link --from=o-rustfilt-[0-9a-f]* /green/target/release/deps/rustfilt-[0-9a-f]* /rustfilt$' &&
			grep -q '^ADD --checksum=sha256:[0-9a-f]\{64\} https://static.crates.io/crates/rustfilt/rustfilt-0.2.2.crate ' '$RC/rustfilt.Dockerfile' &&
			! grep -q -e '--build-context' -e '$WORK' -e 'cargo-green-recipe\\.' -e '$HOME/' '$RC/rustfilt.Dockerfile'"
	check "recipe: cargo's progress on stderr from its Installing line, never the temporary directory" \
		bash -c "grep -q '^ *Installing rustfilt v0.2.2' '$RC/rustfilt.err' && grep -q 'Installed package .rustfilt v0.2.2.' '$RC/rustfilt.err' &&
			! grep -q 'cargo-green-recipe\\.' '$RC/rustfilt.err'"
	check "recipe: no stage twice, each crate's source once" \
		bash -c "[ \$(grep -c '^FROM .* AS ' '$RC/rustfilt.Dockerfile') = \$(grep '^FROM .* AS ' '$RC/rustfilt.Dockerfile' | sort -u | wc -l) ] &&
			[ \$(grep -c '^ADD ' '$RC/rustfilt.Dockerfile') = \$(grep '^ADD ' '$RC/rustfilt.Dockerfile' | sort -u | wc -l) ] &&
			! grep -q '^FROM scratch AS src-.*-[0-9a-f]\{16\}$' '$RC/rustfilt.Dockerfile'"
	mkdir -p "$RC/again"
	(cd "$RC" && cargo green supergreen recipe rustfilt@0.2.2 -o again/rustfilt.Dockerfile >"$RC/again.out" 2>"$RC/again.err"); rc=$?
	check "recipe -o FILE (relative): the same bytes again, said on stderr, served by the cache (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && cmp -s '$RC/rustfilt.Dockerfile' '$RC/again/rustfilt.Dockerfile' && [ ! -s '$RC/again.out' ] &&
			grep -q '^cargo-green: recipe: wrote $RC/again/rustfilt.Dockerfile ([0-9]* bytes): docker buildx build -f rustfilt.Dockerfile --output=DIR .' '$RC/again.err' &&
			grep -q '^cargo-green: [0-9]* compiles\{0,1\} in BuildKit ([0-9]* cached: .* 0 built, 0 failed)' '$RC/again.err'"
	(cd "$RC" && cargo green install --locked --root "$RC/root" rustfilt@0.2.2 >/dev/null 2>"$RC/rustfilt-install.err")
	(cd "$RC" && docker buildx build --no-cache --progress=plain -f rustfilt.Dockerfile --output="$RC/rustfilt-out" . >"$RC/rustfilt-docker.log" 2>&1); rc=$?
	check "recipe rustfilt: plain docker --no-cache builds it into cargo green install's rustfilt, byte for byte (exit $rc; log $RC/rustfilt-docker.log)" \
		cmp "$RC/rustfilt-out/rustfilt" "$RC/root/bin/rustfilt"
	check "recipe rustfilt: the binary runs (demangles a symbol)" \
		bash -c "echo _ZN4core3fmt5write17h0123456789abcdefE | '$RC/rustfilt-out/rustfilt' | grep -qx 'core::fmt::write'"

	# cargo-bloat (17 compiles, a cargo subcommand), with -o FILE.
	(cd "$RC" && cargo green supergreen recipe cargo-bloat@0.12.1 -o "$RC/cargo-bloat.Dockerfile" >/dev/null 2>"$RC/bloat.err"); rc=$?
	(cd "$RC" && cargo green install --locked --root "$RC/root" cargo-bloat@0.12.1 >/dev/null 2>"$RC/bloat-install.err")
	(cd "$RC" && docker buildx build --no-cache --progress=plain -f cargo-bloat.Dockerfile --output="$RC/bloat-out" . >"$RC/bloat-docker.log" 2>&1); rc2=$?
	check "recipe cargo-bloat@0.12.1 -o FILE, plain docker --no-cache: cargo green install's cargo-bloat byte for byte (exit $rc, $rc2; log $RC/bloat-docker.log)" \
		cmp "$RC/bloat-out/cargo-bloat" "$RC/root/bin/cargo-bloat"
	check "recipe cargo-bloat: the binary runs" bash -c "'$RC/bloat-out/cargo-bloat' bloat --version | grep -qx 0.12.1"
fi
