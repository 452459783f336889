# e2e_faults.sh: faults, bad input and secrets (sourced by tests/e2e.sh, group
# "faults"). Each case against plain cargo where it has one: the exit status,
# what the program prints, nothing left behind, the next build correct.

if want faults; then
	# newproj DIR MAIN_RS [BUILD_RS]: a package without dependencies.
	newproj() {
		rm -rf "$1"
		mkdir -p "$1/src"
		printf '[package]\nname = "faultprobe"\nversion = "0.1.0"\nedition = "2021"\n%s\n[dependencies]\n' \
			"$([ -n "${3:-}" ] && echo 'build = "build.rs"')" >"$1/Cargo.toml"
		printf '%s\n' "$2" >"$1/src/main.rs"
		[ -n "${3:-}" ] && printf '%s\n' "$3" >"$1/build.rs"
		(cd "$1" && cargo generate-lockfile -q --offline 2>/dev/null || cargo generate-lockfile -q)
	}

	# --- Dockerfile injection: values holding newlines never change a Dockerfile's structure.
	INJ_MAIN='fn main() {
    println!("flag={}", cfg!(green_flag));
    println!("desc={}", env!("CARGO_PKG_DESCRIPTION"));
}'
	# A rustc argument (build.rustflags) and a description (CARGO_PKG_DESCRIPTION,
	# in every compile's environment), both closing the heredoc and adding a RUN.
	INJ_CONFIG='[build]
rustflags = ["--cfg", "green_flag", "--remap-path-prefix", "/nowhere\nCARGO_GREEN_EOF\nRUN --network=default touch /pwned\nRUN <<'"'"'CARGO_GREEN_EOF'"'"'\n=/x"]'
	for who in plain green; do
		D="$WORK/inject-$who"
		newproj "$D" "$INJ_MAIN"
		mkdir -p "$D/.cargo"
		printf '%s\n' "$INJ_CONFIG" >"$D/.cargo/config.toml"
		# A description with a newline too (CARGO_PKG_DESCRIPTION reaches every compile).
		printf 'description = """one\nCARGO_GREEN_EOF\nRUN --network=default touch /pwned2"""\n' >"$D/desc"
		sed -i "/^edition/r $D/desc" "$D/Cargo.toml"
		if [ $who = plain ]; then
			(cd "$D" && cargo build >"$WORK/inject-$who.out" 2>"$WORK/inject-$who.err"); echo $? >"$WORK/inject-$who.rc"
		else
			(cd "$D" && cargo green build >"$WORK/inject-$who.out" 2>"$WORK/inject-$who.err"); echo $? >"$WORK/inject-$who.rc"
		fi
		(cd "$D" && ./target/debug/faultprobe >"$WORK/inject-$who.run" 2>&1)
	done
	read -r N H M F P L E <<<"$(stats "$WORK/inject-green.err")"
	check "rustflags and a description with newlines: cargo green exits as plain cargo ($(cat "$WORK/inject-green.rc") vs $(cat "$WORK/inject-plain.rc")), in BuildKit (${N:-0} compiles)" \
		bash -c "[ \$(cat '$WORK/inject-green.rc') = \$(cat '$WORK/inject-plain.rc') ] && [ \$(cat '$WORK/inject-plain.rc') = 0 ] && [ '${N:-0}' -ge 1 ] && [ '${F:-1}' -eq 0 ]"
	check "…and the binary sees the values as plain cargo's does ($(tr '\n' ' ' <"$WORK/inject-green.run"))" \
		bash -c "grep -qx 'flag=true' '$WORK/inject-plain.run' && grep -qx 'RUN --network=default touch /pwned2' '$WORK/inject-plain.run' && cmp -s '$WORK/inject-plain.run' '$WORK/inject-green.run'"
	inj_df=$(ls "$WORK"/inject-green/target/cargo-green/df/faultprobe-*/Dockerfile 2>/dev/null | head -n1)
	check "the injected RUN --network=default is no instruction of the generated Dockerfile, whose heredoc ends once (${inj_df:-no Dockerfile})" \
		bash -c "[ -s '$inj_df' ] && grep -q 'RUN --network=default touch /pwned' '$inj_df' && ! grep -q '^RUN --network=default' '$inj_df' && [ \$(grep -cx CARGO_GREEN_EOF '$inj_df') -eq 1 ] && [ \$(grep -c '^RUN ' '$inj_df') -eq 1 ]"
fi
