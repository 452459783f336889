# e2e_faults.sh: faults, bad input and secrets (sourced by tests/e2e.sh, group
# "faults"). Each case against plain cargo where it has one: the exit status,
# what the program prints, nothing left behind, the next build correct.
# CARGO_INCREMENTAL=0 for plain cargo and cargo green alike: the packages'
# own compiles then go through the engine (incremental ones stay local).
faults_incr=${CARGO_INCREMENTAL-__unset}
export CARGO_INCREMENTAL=0

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

if want faults; then
	# in_group OUT DIR CMD...: CMD in DIR as a terminal's foreground job (a
	# process group of its own, SIGINT not ignored), stdout in OUT, stderr in
	# OUT.err; its pid in $GROUP.
	in_group() {
		local out=$1 dir=$2; shift 2
		set -m
		(cd "$dir" && exec "$@") >"$out" 2>"$out.err" &
		GROUP=$!
		set +m
	}
	# wait_for SECONDS CMD...: until CMD succeeds; 1 if it never did.
	wait_for() {
		local n=$(($1 * 10)); shift
		while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
		return 1
	}
	# interrupt SIG: send SIG to the group, wait for its leader; "STATUS MS" in $GOT
	# (MS: from the signal to the leader's end), then up to 20 s for the whole group.
	interrupt() {
		local t0 t1 rc
		t0=$(date +%s%N)
		kill -"$1" -- -"$GROUP"
		wait "$GROUP"; rc=$?
		t1=$(date +%s%N)
		GOT="$rc $(((t1 - t0) / 1000000))"
		wait_for 20 bash -c "! kill -0 -- -$GROUP 2>/dev/null"
	}

	# --- Ctrl-C stops `cargo green run` as it stops `cargo run`.
	SLEEPER='use std::io::Write;
fn main() {
    println!("started");
    std::io::stdout().flush().unwrap();
    std::thread::sleep(std::time::Duration::from_secs(15));
    println!("finished");
}'
	for who in plain green; do
		D="$WORK/ctrlc-$who"
		newproj "$D" "$SLEEPER"
		if [ $who = plain ]; then (cd "$D" && cargo build -q 2>/dev/null); else (cd "$D" && cargo green build -q 2>/dev/null); fi
		if [ $who = plain ]; then in_group "$WORK/ctrlc-$who.out" "$D" cargo run -q; else in_group "$WORK/ctrlc-$who.out" "$D" cargo green run -q; fi
		wait_for 60 grep -qs started "$WORK/ctrlc-$who.out"
		interrupt INT
		eval "ctrlc_$who=(\$GOT)"
	done
	check "Ctrl-C ends cargo green run within a second (${ctrlc_green[1]} ms, exit ${ctrlc_green[0]}), as cargo run (${ctrlc_plain[1]} ms, exit ${ctrlc_plain[0]})" \
		bash -c "[ '${ctrlc_plain[0]}' = 130 ] && [ '${ctrlc_green[0]}' = '${ctrlc_plain[0]}' ] && [ '${ctrlc_green[1]}' -lt 1000 ] && ! grep -q finished '$WORK/ctrlc-green.out'"
	in_group "$WORK/term-green.out" "$WORK/ctrlc-green" cargo green run -q
	wait_for 60 grep -qs started "$WORK/term-green.out"
	kill -TERM "$GROUP"; wait "$GROUP"; rc=$?
	check "SIGTERM to cargo green alone reaches the program: it ends by it (exit $rc)" \
		bash -c "[ $rc = 143 ] && ! grep -q finished '$WORK/term-green.out'"

	# --- An interrupted build: the engine's build stops, nothing is left
	# behind, the secret never lands in a file; the next build is correct.
	BS_MAIN='fn main() { println!("built"); }'
	BS_RS="// $(date +%s%N)
fn main() {
    let secs: u64 = std::fs::read_to_string(\"sleep.txt\").unwrap().trim().parse().unwrap();
    std::fs::write(std::path::Path::new(&std::env::var(\"OUT_DIR\").unwrap()).join(\"started\"), \"\").unwrap();
    std::thread::sleep(std::time::Duration::from_secs(secs));
}"
	SECRET="green-fault-secret-$(date +%s%N)"
	for who in plain green; do
		D="$WORK/intr-$who"
		newproj "$D" "$BS_MAIN" "$BS_RS"
		echo 60 >"$D/sleep.txt"
		cmd=(cargo build); [ $who = green ] && cmd=(cargo green build)
		in_group "$WORK/intr-$who.out" "$D" env CARGOGREEN_SET_ENVS=GREEN_FAULT_TOKEN GREEN_FAULT_TOKEN="$SECRET" "${cmd[@]}"
		if [ $who = plain ]; then
			wait_for 120 bash -c "ls '$D'/target/debug/build/faultprobe-*/out/started >/dev/null 2>&1"
		else
			wait_for 120 bash -c "grep -qs '\] RUN ' '$D'/target/cargo-green/log/run-faultprobe-*.log"
			sleep 2
			secret_files_running=$(grep -rlF "$SECRET" "$D/target" 2>/dev/null | wc -l)
		fi
		interrupt INT
		eval "intr_$who=(\$GOT)"
	done
	D="$WORK/intr-green"
	check "Ctrl-C while a build script runs in the engine: cargo green ends (${intr_green[1]} ms, exit ${intr_green[0]}) as cargo build (${intr_plain[1]} ms, exit ${intr_plain[0]})" \
		bash -c "[ '${intr_plain[0]}' = 130 ] && [ '${intr_green[0]}' = 130 ] && [ '${intr_green[1]}' -lt 3000 ]"
	check "…no process of the build is left (buildx stopped with it)" bash -c "! pgrep -g $GROUP >/dev/null"
	check "…no error line but cargo's own, nothing left in target/cargo-green/tmp ($(ls -A "$D/target/cargo-green/tmp" 2>/dev/null | tr '\n' ' '))" \
		bash -c "[ -f '$WORK/intr-green.out.err' ] && ! grep '^cargo-green: error' '$WORK/intr-green.out.err' && [ -d '$D/target/cargo-green/tmp' ] && [ -z \"\$(ls -A '$D/target/cargo-green/tmp')\" ]"
	check "a secret (CARGOGREEN_SET_ENVS, secret-looking name) is in no file under target/, during the build ($secret_files_running) or after" \
		bash -c "[ '$secret_files_running' = 0 ] && ! grep -rqF '$SECRET' '$D/target'"

	# Killed outright (SIGKILL to the whole group): what it leaves, the next run removes.
	in_group "$WORK/kill-green.out" "$D" env CARGOGREEN_SET_ENVS=GREEN_FAULT_TOKEN GREEN_FAULT_TOKEN="$SECRET" cargo green build
	wait_for 120 bash -c "grep -qs '\] RUN ' '$D'/target/cargo-green/log/run-faultprobe-*.log"
	sleep 2
	interrupt KILL
	check "SIGKILL mid-build: the secret is in no file under target/" bash -c "[ -d '$D/target/debug' ] && ! grep -rqF '$SECRET' '$D/target'"
	# What a killed earlier run may leave: a landing's temporary file, an
	# export dir, a secrets dir, of processes that are gone.
	sleep 0 & dead=$!; wait $dead
	mkdir -p "$D/target/cargo-green/tmp/faultprobe-0123.$dead/x" "$D/target/cargo-green/tmp/run-faultprobe-0123.$dead.secrets"
	echo stale >"$D/target/cargo-green/tmp/faultprobe-0123.$dead.land"
	echo 0 >"$D/sleep.txt"
	(cd "$D" && env CARGOGREEN_SET_ENVS=GREEN_FAULT_TOKEN GREEN_FAULT_TOKEN="$SECRET" cargo green build >"$WORK/after-kill.out" 2>"$WORK/after-kill.err"); rc=$?
	(cd "$D" && ./target/debug/faultprobe >"$WORK/after-kill.run" 2>&1)
	check "the next build succeeds (exit $rc), its binary runs" bash -c "[ $rc = 0 ] && grep -qx built '$WORK/after-kill.run'"
	check "…and it removed what the killed runs left in target/cargo-green/tmp ($(ls -A "$D/target/cargo-green/tmp" | tr '\n' ' '))" \
		bash -c "[ -z \"\$(ls -A '$D/target/cargo-green/tmp')\" ] && ! find '$D/target' -name '*.green.[0-9]*' -o -name '*.tmp.[0-9]*' | grep -q ."
fi

if want faults; then
	# --- A target dir on a full disk (a small tmpfs): the failed landing
	# leaves no temporary file, and the next build, with room, is correct.
	FD="$WORK/fulldisk" FT="$WORK/fulldisk-target"
	copy_fixture "$FD"
	(cd "$FD" && cargo green build -q 2>/dev/null) # the local store holds every unit: the next build lands copies
	rm -rf "$FD/target"
	mkdir -p "$FT"
	if mount -t tmpfs -o size=24m tmpfs "$FT"; then
		(cd "$FD" && CARGO_TARGET_DIR="$FT" cargo green build >"$WORK/full1.out" 2>"$WORK/full1.err"); rc=$?
		leftovers() { find "$FT" \( -name '*.green.[0-9]*' -o -name '*.tmp.[0-9]*' -o -name '*.land' \) | head -n 5; ls -A "$FT/cargo-green/tmp" 2>/dev/null; }
		left=$(leftovers | tr '\n' ' ')
		check "a build on a full target dir fails (exit $rc: $(grep -m1 -o 'No space left on device' "$WORK/full1.err")) and leaves no temporary file (${left:-none})" \
			bash -c "[ $rc -ne 0 ] && grep -q 'No space left on device' '$WORK/full1.err' && [ -z '$left' ]"
		mount -o remount,size=400m "$FT"
		(cd "$FD" && CARGO_TARGET_DIR="$FT" cargo green build >"$WORK/full2.out" 2>"$WORK/full2.err"); rc=$?
		"$FT/debug/app" >"$WORK/full2.run" 2>&1
		left=$(leftovers | tr '\n' ' ')
		check "…with room, the next build succeeds (exit $rc), runs as plain cargo's, nothing left (${left:-none})" \
			bash -c "[ $rc -eq 0 ] && grep -q 'hello from build.rs' '$WORK/full2.run' && [ -z '$left' ]"
		umount "$FT"
	else
		fail "prerequisite: mount a tmpfs (root) for the full-disk case"
	fi
fi

if want faults; then
	# --- An interrupted base image check (a new state dir: the plugin probes the
	# engine and checks the base image's rustc): nothing left in the state dir;
	# what a killed run left there, the next run removes.
	# (a user's image, a copy of the derived one: checked by a build and
	# probed; the derived one's check is read from its files in ~30 ms)
	XC="$WORK/xdg-cache" BD="$WORK/ctrlc-green"
	rm -rf "$XC"
	docker tag "$(docker images --format '{{.Repository}}:{{.Tag}}' | grep "^cargo-green-rust:$(rustc --version | cut -d' ' -f2)-" | head -n1)" cargo-green-e2e/rust:intr
	in_group "$WORK/base-intr.out" "$BD" env XDG_CACHE_HOME="$XC" CARGOGREEN_BASE_IMAGE=docker-image://cargo-green-e2e/rust:intr cargo green build
	wait_for 60 bash -c "ls -d '$XC'/cargo-green/base/probe.* '$XC'/cargo-green/base/check.* >/dev/null 2>&1"
	interrupt INT
	left=$(cd "$XC/cargo-green/base" 2>/dev/null && ls -d probe.[0-9]* check.[0-9]* os-*.tar 2>/dev/null | tr '\n' ' ')
	check "Ctrl-C while the plugin checks the base image: it ends by it (exit ${GOT% *}), no probe or check dir left (${left:-none})" \
		bash -c "[ '${GOT% *}' = 130 ] && [ -d '$XC/cargo-green/base' ] && [ -z '$left' ] && ! [ -e '$XC'/cargo-green/base/*.ok ]"
	sleep 0 & dead=$!; wait $dead
	mkdir -p "$XC/cargo-green/base/probe.$dead/ctx"
	: >"$XC/cargo-green/base/os-bookworm.$dead.tar"
	: >"$XC/cargo-green/base/check.$dead.Dockerfile"
	(cd "$BD" && XDG_CACHE_HOME="$XC" CARGOGREEN_BASE_IMAGE=docker-image://cargo-green-e2e/rust:intr cargo green fetch >"$WORK/base-after.out" 2>"$WORK/base-after.err"); rc=$?
	docker rmi cargo-green-e2e/rust:intr >/dev/null 2>&1
	left=$(cd "$XC/cargo-green/base" && ls -d probe.[0-9]* check.[0-9]* os-*.tar 2>/dev/null | tr '\n' ' ')
	check "…the next run checks it (exit $rc) and removes what a killed run left: a 0-byte OS tarball, probe and check files (${left:-none})" \
		bash -c "[ $rc -eq 0 ] && [ -z '$left' ] && ls '$XC'/cargo-green/base/*.ok >/dev/null"
fi

if want faults; then
	# --- SIGINT and SIGKILL at several points of a cold fixture build: after
	# SIGINT nothing is left; after either, the next build is correct and
	# leaves nothing (what the killed one left, it sweeps).
	for c in "INT 1" "INT 4" "KILL 2" "KILL 6"; do
		read -r sig delay <<<"$c"
		R="$WORK/random-$sig-$delay"
		copy_fixture "$R"
		in_group "$WORK/random.out" "$R" env __CARGOGREEN_NO_STORE=1 cargo green build
		sleep "$delay"
		interrupt "$sig"
		st=${GOT% *}
		left=$( (ls -A "$R/target/cargo-green/tmp" 2>/dev/null; find "$R/target" -name '*.green.[0-9]*' -o -name '*.tmp.[0-9]*') | tr '\n' ' ')
		if [ "$sig" = INT ]; then
			check "SIGINT ${delay}s into a cold build: it ends by it (exit $st) and leaves nothing behind (${left:-nothing})" \
				bash -c "[ '$st' = 130 ] && [ -z '$left' ] && ! pgrep -g $GROUP >/dev/null"
		fi
		(cd "$R" && cargo green build >"$WORK/random-next.out" 2>"$WORK/random-next.err"); rc=$?
		(cd "$R" && ./target/debug/app >"$WORK/random-next.run" 2>&1)
		left=$( (ls -A "$R/target/cargo-green/tmp" 2>/dev/null; find "$R/target" -name '*.green.[0-9]*' -o -name '*.tmp.[0-9]*') | tr '\n' ' ')
		check "…after SIG$sig at ${delay}s (exit $st), the next build succeeds (exit $rc), its binary is right, nothing left (${left:-nothing})" \
			bash -c "[ $rc = 0 ] && grep -q 'hello from build.rs' '$WORK/random-next.run' && [ -z '$left' ]"
		rm -rf "$R"
	done
fi

if [ "$faults_incr" = __unset ]; then unset CARGO_INCREMENTAL; else export CARGO_INCREMENTAL="$faults_incr"; fi
