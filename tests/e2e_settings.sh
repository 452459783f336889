# e2e_settings.sh: every setting of the spec, end to end (sourced by tests/e2e.sh,
# groups "settings" and "settings-build"). Crates under tests/settings:
#   probe  a build script that reports what the build sees: the network, a file
#          of the base image, a secret's length; main prints it with an env var
#   sys    links the system's libsqlite3 through pkg-config (libsqlite3-sys)

SET="$ROOT/tests/settings"
copy_settings() { rm -rf "$1"; mkdir -p "$(dirname "$1")"; cp -r "$SET" "$1"; rm -rf "$1/target"; }
# one_line FILE: the file holds exactly one line
one_line() { [ "$(wc -l <"$1")" -eq 1 ]; }
export -f one_line

if want settings; then
	# --- the supergreen command ---
	mkdir -p "$WORK/nowhere"
	(cd "$WORK/nowhere" && env -u BUILDX_BUILDER TMPDIR=/tmp cargo supergreen env >"$WORK/env.out" 2>"$WORK/env.err"); rc=$?
	check "supergreen env: every setting, its value and where it comes from (golden)" \
		bash -c "[ $rc -eq 0 ] && grep -v '^# base identity: ' '$WORK/env.out' | diff -u '$ROOT/tests/golden/env.txt' - >&2"
	(cd "$WORK/nowhere" && cargo supergreen doc >"$WORK/doc.out" 2>&1); rc=$?
	check "supergreen doc: the documentation of every setting, as in docs/settings.md (golden)" \
		bash -c "[ $rc -eq 0 ] && diff -u '$ROOT/docs/settings.md' '$WORK/doc.out' >&2"
	(cd "$WORK/nowhere" && cargo supergreen doc CARGOGREEN_ADD_APT >"$WORK/doc1.out" 2>&1)
	check "supergreen doc ENV: only that setting" \
		bash -c "head -n1 '$WORK/doc1.out' | grep -qx CARGOGREEN_ADD_APT && ! grep -q CARGOGREEN_RUNNER '$WORK/doc1.out'"
	(cd "$WORK/nowhere" && cargo supergreen -V >"$WORK/v.out" && cargo green supergreen --help >"$WORK/h.out"); rc=$?
	check "supergreen -V and --help (also as cargo supergreen)" \
		bash -c "[ $rc -eq 0 ] && grep -q '^cargo-green ' '$WORK/v.out' && grep -q 'supergreen env \[ENV ...\]' '$WORK/h.out'"
	(cd "$WORK/nowhere" && cargo supergreen frob >/dev/null 2>"$WORK/frob.err"); rc=$?
	check "supergreen with an unknown subcommand: exit 2, the valid ones listed (exit $rc)" \
		bash -c "[ $rc -eq 2 ] && one_line '$WORK/frob.err' && grep -q 'valid: env, doc, fetch, push' '$WORK/frob.err'"
	(cd "$WORK/nowhere" && cargo supergreen env CARGOGREEN_NOPE >/dev/null 2>"$WORK/nope.err"); rc=$?
	check "supergreen env with an unknown setting: exit 2 (exit $rc)" \
		bash -c "[ $rc -eq 2 ] && grep -q \"'CARGOGREEN_NOPE' is not a setting\" '$WORK/nope.err'"
	(cd "$WORK/nowhere" && cargo supergreen push >/dev/null 2>"$WORK/push.err"); rc=$?
	check "supergreen push without cache images: exit 2, says what to set (exit $rc)" \
		bash -c "[ $rc -eq 2 ] && one_line '$WORK/push.err' && grep -q 'set CARGOGREEN_CACHE_IMAGES' '$WORK/push.err'"

	# --- sources and precedence: default < workspace < package < env ---
	D="$WORK/prec"
	copy_settings "$D"
	cat >>"$D/Cargo.toml" <<-'TOML'

	[workspace.metadata.green]
	set-envs = [ "GREEN_PLAIN", "GREEN_TOKEN" ]
	base-image = "docker-image://ws-image:1"
	add.apt = [ "libsqlite3-dev" ]
	TOML
	cat >>"$D/probe/Cargo.toml" <<-'TOML'

	[package.metadata.green]
	base-image = "docker-image://pkg-image:1"
	TOML
	names="CARGOGREEN_SET_ENVS CARGOGREEN_BASE_IMAGE CARGOGREEN_WITH_NETWORK CARGOGREEN_ADD_APT CARGOGREEN_LOG"
	(cd "$D/probe" && CARGOGREEN_WITH_NETWORK=host cargo supergreen env $names >"$WORK/prec1.out" 2>&1)
	printf '%s\n' "CARGOGREEN_SET_ENVS=GREEN_PLAIN,GREEN_TOKEN # workspace ($D/Cargo.toml)" \
		"CARGOGREEN_BASE_IMAGE=docker-image://pkg-image:1 # package ($D/probe/Cargo.toml)" \
		"CARGOGREEN_WITH_NETWORK=host # env" \
		"CARGOGREEN_ADD_APT=libsqlite3-dev # workspace ($D/Cargo.toml)" \
		"# CARGOGREEN_LOG is unset" >"$WORK/prec1.want"
	check "in a package: its section over the workspace's, env over both" \
		bash -c "grep -v '^# base identity: ' '$WORK/prec1.out' | diff -u '$WORK/prec1.want' -"
	(cd "$D" && cargo supergreen env CARGOGREEN_BASE_IMAGE >"$WORK/prec2.out" 2>&1)
	check "at a virtual workspace root: the workspace's section" \
		grep -qx "CARGOGREEN_BASE_IMAGE=docker-image://ws-image:1 # workspace ($D/Cargo.toml)" "$WORK/prec2.out"
	(cd "$D" && CARGOGREEN_BASE_IMAGE=docker-image://env:1 cargo supergreen env CARGOGREEN_BASE_IMAGE >"$WORK/prec3.out" 2>&1)
	check "the environment over Cargo.toml" grep -qx "CARGOGREEN_BASE_IMAGE=docker-image://env:1 # env" "$WORK/prec3.out"
	(cd "$D/probe" && . <(cargo supergreen env CARGOGREEN_SET_ENVS CARGOGREEN_BASE_IMAGE 2>/dev/null) && \
		[ "$CARGOGREEN_SET_ENVS" = GREEN_PLAIN,GREEN_TOKEN ] && [ "$CARGOGREEN_BASE_IMAGE" = docker-image://pkg-image:1 ]); rc=$?
	check "supergreen env output can be sourced by a shell" [ $rc -eq 0 ]

	# --- bad values stop before any build: one line, exit 2, nothing built ---
	bad_setting() { # NAME WANT DIR ENV... -- cargo green build in DIR with ENV
		local name=$1 want=$2 dir=$3; shift 3
		(cd "$dir" && env "$@" cargo green build >/dev/null 2>"$WORK/bad.err"); local rc=$?
		printf '%s\n' "$want" >"$WORK/bad.want"
		check "$name: exit 2, one line, nothing built (exit $rc)" \
			bash -c "[ $rc -eq 2 ] && one_line '$WORK/bad.err' && grep -qF -f '$WORK/bad.want' '$WORK/bad.err' && [ ! -e '$dir/target' ]"
	}
	B="$WORK/bad"
	copy_settings "$B"
	bad_setting "unknown runner" 'CARGOGREEN_RUNNER="dockr" (from the environment): not a runner, expected docker, podman or none (e.g. CARGOGREEN_RUNNER=docker)' "$B" CARGOGREEN_RUNNER=dockr
	bad_setting "image without docker-image://" 'CARGOGREEN_BASE_IMAGE="rust:1" (from the environment): an image must start with docker-image://' "$B" CARGOGREEN_BASE_IMAGE=rust:1
	bad_setting "duplicate list entry" "'GREEN_PLAIN' is listed twice" "$B" CARGOGREEN_SET_ENVS=GREEN_PLAIN,GREEN_PLAIN
	bad_setting "empty list entry" 'an entry is empty' "$B" CARGOGREEN_ADD_APT=libpq-dev,,pkg-config
	bad_setting "a value with a space" 'not a package name' "$B" "CARGOGREEN_ADD_APT=libpq-dev pkg-config"
	bad_setting "a value with quotes" 'not an image reference' "$B" 'CARGOGREEN_SYNTAX_IMAGE=docker-image://"x"'
	bad_setting "bad log filter" "CARGOGREEN_LOG=\"info,job=loud\"" "$B" CARGOGREEN_LOG=info,job=loud
	cp "$B/probe/Cargo.toml" "$WORK/probe.toml"
	printf '\n[package.metadata.green]\nbase-imag = "docker-image://x"\n' >>"$B/probe/Cargo.toml"
	bad_setting "unknown key in [package.metadata.green]" "base-imag in [package.metadata.green] of $B/probe/Cargo.toml: unknown key" "$B/probe"
	cp "$WORK/probe.toml" "$B/probe/Cargo.toml"
	printf '\n[package.metadata.green]\nrunner = "docker"\n' >>"$B/probe/Cargo.toml"
	bad_setting "an env-only setting in Cargo.toml" "runner in [package.metadata.green] of $B/probe/Cargo.toml: this setting is read from the environment only; remove it there and set CARGOGREEN_RUNNER instead" "$B/probe"
	cp "$WORK/probe.toml" "$B/probe/Cargo.toml"
	printf '\n[workspace.metadata.green]\nset-envs = "GREEN_PLAIN"\n' >>"$B/Cargo.toml"
	bad_setting "a string where a list is wanted, in the workspace" "set-envs in [workspace.metadata.green] of $B/Cargo.toml: must be an array of strings, not a string" "$B/probe"
fi

if want settings-build; then
	P="$WORK/probe"
	copy_settings "$P"
	# probe_run NAME ENV...: a fresh build of probe with ENV; its report in $WORK/NAME.out.
	# CARGO_INCREMENTAL=0: probe's own compile and build script run in the
	# engine, whose settings these are (an incremental unit is compiled locally).
	probe_run() {
		local name=$1; shift
		rm -rf "$P/target"
		(cd "$P" && env CARGO_INCREMENTAL=0 "$@" cargo green build -p probe >/dev/null 2>"$WORK/$name.err" && ./target/debug/probe >"$WORK/$name.out")
	}
	probe_run plain; rc=$?
	check "by default compiles have no network, the base is the derived image, no variable passes (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && grep -qx 'net=no-dns' '$WORK/plain.out' && grep -qx 'inline=none' '$WORK/plain.out' && grep -qx 'plain=unset' '$WORK/plain.out'"

	# WITH_NETWORK
	probe_run netdefault CARGOGREEN_WITH_NETWORK=default; rc=$?
	check "CARGOGREEN_WITH_NETWORK=default: a build script reaches Debian's mirror (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && grep -qx 'net=ok' '$WORK/netdefault.out'"
	probe_run nethost CARGOGREEN_WITH_NETWORK=host; rc=$?
	check "CARGOGREEN_WITH_NETWORK=host: the same through the host's network (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && grep -qx 'net=ok' '$WORK/nethost.out'"

	# BASE_IMAGE_INLINE
	inline='FROM ${CARGOGREEN_BASE} AS mine
RUN --network=none echo made-by-inline >/etc/green-inline'
	probe_run inline "CARGOGREEN_BASE_IMAGE_INLINE=$inline"; rc=$?
	check "CARGOGREEN_BASE_IMAGE_INLINE: its last stage is the base of every compile (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && grep -qx 'inline=made-by-inline' '$WORK/inline.out' && grep -q 'FROM cargo-green-base:' $P/target/cargo-green/df/probe-*/Dockerfile"

	# SET_ENVS: plain values in the stage, secret ones never written anywhere.
	# Unique per run, of a fixed length: a secret's change alone rebuilds nothing
	# (BuildKit does not key on it), so an earlier run's output may be reused.
	secret=s3cr3t-green-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
	probe_run setenvs CARGOGREEN_SET_ENVS=GREEN_PLAIN,GREEN_TOKEN GREEN_PLAIN=hello GREEN_TOKEN=$secret \
		CARGOGREEN_LOG=trace CARGOGREEN_LOG_PATH="$WORK/setenvs.log"; rc=$?
	check "CARGOGREEN_SET_ENVS: named variables reach compiles and build scripts (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && grep -qx 'plain=hello' '$WORK/setenvs.out' && grep -qx 'token_len=${#secret}' '$WORK/setenvs.out'"
	# (cargo itself keeps a rerun-if-env-changed value in its fingerprint, as without cargo-green)
	check "a secret-looking variable's value is in no Dockerfile, log, output or store" \
		bash -c "grep -q GREEN_PLAIN=hello $P/target/cargo-green/df/probe-*/Dockerfile && grep -q 'type=secret,id=GREEN_TOKEN' $P/target/cargo-green/df/*/Dockerfile && ! grep -rqF --exclude-dir=.fingerprint '$secret' '$P/target' '$WORK/setenvs.log' '$WORK/setenvs.err' \"\${XDG_CACHE_HOME:-\$HOME/.cache}/cargo-green\""

	probe_run setenvs2 CARGOGREEN_SET_ENVS=GREEN_PLAIN,GREEN_TOKEN GREEN_PLAIN=hello GREEN_TOKEN=short; rc=$?
	check "a new secret value rebuilds what used it: the cache keys on a keyed digest of it (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && grep -qx 'token_len=5' '$WORK/setenvs2.out'"

	# LOG, LOG_PATH, LOG_STYLE
	check "CARGOGREEN_LOG_PATH: every wrapper of the run appends to one file, lines prefixed [time pid crate]" \
		bash -c "[ \$(sed -n 's/^\[[0-9T:.-]*Z \([0-9]*\) [^]]*\].*/\1/p' '$WORK/setenvs.log' | sort -u | wc -l) -ge 3 ] && grep -q '^\[[0-9T:.-]*Z [0-9]* probe-[0-9a-f]*\] ' '$WORK/setenvs.log'"
	mkdir -p "$WORK/tmpdir"
	probe_run logdefault TMPDIR="$WORK/tmpdir" CARGOGREEN_LOG=debug,engine=off,store=trace CARGOGREEN_LOG_STYLE=never __CARGOGREEN_NO_STORE=1; rc=$?
	check "CARGOGREEN_LOG=debug,engine=off: a log under the temp dir by default, the engine module silent" \
		bash -c "[ $rc -eq 0 ] && grep -q '\] debug job: ' '$WORK/tmpdir/cargo-green.log' && ! grep -q ' engine: ' '$WORK/tmpdir/cargo-green.log'"
	mkdir -p "$WORK/tmpdir2"
	probe_run logengine TMPDIR="$WORK/tmpdir2" CARGOGREEN_LOG=info,engine=debug __CARGOGREEN_NO_STORE=1; rc=$?
	check "CARGOGREEN_LOG=info,engine=debug: the engine module's debug lines, no one else's" \
		bash -c "[ $rc -eq 0 ] && grep -q '\] debug engine: ' '$WORK/tmpdir2/cargo-green.log' && grep -q '\] info job: ' '$WORK/tmpdir2/cargo-green.log' && ! grep -v '\] debug engine: ' '$WORK/tmpdir2/cargo-green.log' | grep -q '\] debug '"

	# The runner's environment: the spec's list, nothing else.
	real=$(readlink -f "${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins/docker-buildx")
	mkdir -p "$WORK/dcfg/cli-plugins"
	printf '#!/bin/sh\n/usr/bin/env >"%s/runner-env.$$"\nexec "%s" "$@"\n' "$WORK" "$real" >"$WORK/dcfg/cli-plugins/docker-buildx"
	chmod +x "$WORK/dcfg/cli-plugins/docker-buildx"
	# (the local store off: every compile goes to the engine)
	probe_run runnerenv DOCKER_CONFIG="$WORK/dcfg" GREEN_STRAY=1 DOCKER_HIDE_LEGACY_COMMANDS=1 __CARGOGREEN_NO_STORE=1; rc=$?
	allowed="BUILDKIT_COLORS BUILDKIT_HOST BUILDKIT_PROGRESS BUILDKIT_TTY_LOG_LINES BUILDX_BAKE_GIT_AUTH_HEADER BUILDX_BAKE_GIT_AUTH_TOKEN BUILDX_BAKE_GIT_SSH BUILDX_BUILDER DOCKER_BUILDKIT BUILDX_CONFIG BUILDX_CPU_PROFILE BUILDX_EXPERIMENTAL BUILDX_GIT_CHECK_DIRTY BUILDX_GIT_INFO BUILDX_GIT_LABELS BUILDX_MEM_PROFILE BUILDX_METADATA_PROVENANCE BUILDX_METADATA_WARNINGS BUILDX_NO_DEFAULT_ATTESTATIONS BUILDX_NO_DEFAULT_LOAD DOCKER_API_VERSION DOCKER_CERT_PATH DOCKER_CONFIG DOCKER_CONTENT_TRUST DOCKER_CONTENT_TRUST_SERVER DOCKER_CONTEXT DOCKER_DEFAULT_PLATFORM DOCKER_HIDE_LEGACY_COMMANDS DOCKER_HOST DOCKER_TLS DOCKER_TLS_VERIFY EXPERIMENTAL_BUILDKIT_SOURCE_POLICY HTTP_PROXY HTTPS_PROXY NO_PROXY"
	# and what docker needs to run ssh for DOCKER_HOST=ssh:// (issue 14): PATH, HOME, the agent
	allowed="$allowed PATH HOME SSH_AUTH_SOCK"
	# /bin/sh itself adds PWD to what the dump sees: it is not from cargo-green.
	cat "$WORK"/runner-env.* 2>/dev/null | cut -d= -f1 | grep -vx PWD | sort -u >"$WORK/runner-env.names"
	stray=$(grep -vxF -f <(tr ' ' '\n' <<<"$allowed") "$WORK/runner-env.names" | tr '\n' ' ')
	check "the runner gets only the variables the spec lists (stray: ${stray:-none}; exit $rc)" \
		bash -c "[ $rc -eq 0 ] && [ -z '$stray' ] && grep -qx DOCKER_HOST '$WORK/runner-env.names' && grep -qx DOCKER_HIDE_LEGACY_COMMANDS '$WORK/runner-env.names'"

	# BUILDX_BUILDER
	probe_run builder_sg BUILDX_BUILDER=supergreen; rc=$?
	check "BUILDX_BUILDER=supergreen with no such builder: exit 2, one line (exit $rc)" \
		bash -c "[ $rc -eq 2 ] && one_line '$WORK/builder_sg.err' && grep -q 'BUILDX_BUILDER=supergreen names no builder' '$WORK/builder_sg.err'"
	probe_run builder_named BUILDX_BUILDER=default __CARGOGREEN_NO_STORE=1; rc=$?
	check "BUILDX_BUILDER=NAME: that builder builds (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && grep -qx 'net=no-dns' '$WORK/builder_named.out'"
	probe_run builder_nope BUILDX_BUILDER=cg-nope __CARGOGREEN_NO_STORE=1; rc=$?
	check "BUILDX_BUILDER=NAME of no builder: exit 2, one line naming it, before the build (exit $rc)" \
		bash -c "[ $rc -eq 2 ] && one_line '$WORK/builder_nope.err' && grep -q 'BUILDX_BUILDER=cg-nope names no builder' '$WORK/builder_nope.err'"
	base="cargo-green-rust:$(rustc -vV | sed -n 's/^release: //p')-os2-$(rustc -vV | sed -n 's/^commit-hash: //p' | cut -c1-12)"
	# (a state dir of its own: the note is said once per engine and image)
	probe_run builder_managed CARGOGREEN_BASE_IMAGE="docker-image://$base" XDG_CACHE_HOME="$WORK/xdg"; rc=$?
	check "BUILDX_BUILDER unset, no builder image in the engine: the default builder, one line says why (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && grep -q \"using the engine's default builder: the builder image docker.io/moby/buildkit:buildx-stable-1 is not in the engine\" '$WORK/builder_managed.err'"

	# SYNTAX_IMAGE
	probe_run syntax CARGOGREEN_SYNTAX_IMAGE=docker-image://docker.io/docker/dockerfile:1; rc=$?
	check "CARGOGREEN_SYNTAX_IMAGE: an image the engine cannot get fails the build, naming it (exit $rc)" \
		bash -c "[ $rc -ne 0 ] && grep -q 'docker/dockerfile:1' '$WORK/syntax.err'"

	# ADD_APT (in Cargo.toml): a -sys crate builds only once its -dev package is in the base.
	S="$WORK/sys"
	copy_settings "$S"
	# (CARGO_INCREMENTAL=0: sys itself links in the engine, not by the local
	# rustc against the host's libraries)
	(cd "$S" && CARGO_INCREMENTAL=0 cargo green build -p sys >/dev/null 2>"$WORK/sys1.err"); rc=$?
	check "a -sys crate without its system library fails in the engine (exit $rc)" \
		bash -c "[ $rc -ne 0 ] && grep -q sqlite3 '$WORK/sys1.err'"
	rm -rf "$S/target"
	printf '\n[package.metadata.green]\nadd.apt = [ "libsqlite3-dev" ]\n' >>"$S/sys/Cargo.toml"
	(cd "$S" && cargo green build -p sys >/dev/null 2>"$WORK/sys2.err" && ./target/debug/sys >"$WORK/sys2.out"); rc=$?
	check "add.apt = [ \"libsqlite3-dev\" ] in Cargo.toml: it builds and runs (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && grep -q '^sqlite 3' '$WORK/sys2.out'"
	rm -rf "$S/target"
	(cd "$S" && CARGOGREEN_ADD_APT_GET=libsqlite3-dev cargo green build -p sys >/dev/null 2>"$WORK/sys3.err"); rc=$?
	check "CARGOGREEN_ADD_APT_GET=libsqlite3-dev: the same through apt-get (exit $rc)" [ $rc -eq 0 ]
	(cd "$S" && CARGOGREEN_ADD_APK=sqlite-dev cargo green build -p sys >/dev/null 2>"$WORK/sys4.err"); rc=$?
	check "CARGOGREEN_ADD_APK on a Debian base: fails making the base, naming apk (exit $rc)" \
		bash -c "[ $rc -ne 0 ] && grep -q 'apk' '$WORK/sys4.err'"

	# INCREMENTAL: the incremental dir travels with the stage and comes back.
	I="$WORK/incr"
	copy_fixture "$I"
	(cd "$I" && CARGOGREEN_INCREMENTAL=1 cargo green build >/dev/null 2>"$WORK/incr1.err" && ./target/debug/app >"$WORK/incr1.out"); rc=$?
	ls -d "$I"/target/debug/incremental/greet-*/s-*[!k] 2>/dev/null | sort >"$WORK/incr1.sessions"
	n1=$(wc -l <"$WORK/incr1.sessions")
	check "CARGOGREEN_INCREMENTAL=1: the crate's incremental session comes back from the engine (exit $rc, $n1 sessions)" \
		bash -c "[ $rc -eq 0 ] && [ $n1 -ge 1 ] && grep -q 'hello from build.rs' '$WORK/incr1.out'"
	printf '\npub fn incr_marker() -> u32 { 7 }\n' >>"$I/greet/src/lib.rs"
	(cd "$I" && CARGOGREEN_INCREMENTAL=1 cargo green build >/dev/null 2>"$WORK/incr2.err" && ./target/debug/app >"$WORK/incr2.out"); rc=$?
	ls -d "$I"/target/debug/incremental/greet-*/s-*[!k] 2>/dev/null | sort >"$WORK/incr2.sessions"
	new=$(comm -13 "$WORK/incr1.sessions" "$WORK/incr2.sessions" | wc -l)
	check "after a one-line change, rustc in the engine continues from those sessions and a new one comes back (exit $rc, $new new)" \
		bash -c "[ $rc -eq 0 ] && [ $new -eq 1 ] && grep -q 'hello from build.rs' '$WORK/incr2.out' && grep -q 'incremental=/green/target/debug/incremental' $I/target/cargo-green/df/greet-*/Dockerfile && grep -q 'green-incremental/. ' $I/target/cargo-green/df/greet-*/Dockerfile && [ -d $I/target/cargo-green/src/greet-*/.green-incremental ]"

	# fetch: cargo's fetch, and the base image made, for a later offline build.
	F="$WORK/fetch"
	copy_settings "$F"
	(cd "$F" && CARGOGREEN_ADD_APT=libsqlite3-dev cargo green supergreen fetch >/dev/null 2>"$WORK/fetch.err"); rc=$?
	(cd "$F" && CARGOGREEN_ADD_APT=libsqlite3-dev cargo green build --offline -p sys >/dev/null 2>"$WORK/fetch2.err"); rc2=$?
	check "supergreen fetch, then an offline build (exit $rc, then $rc2)" bash -c "[ $rc -eq 0 ] && [ $rc2 -eq 0 ]"
fi

if want settings-build; then
	# RUNNER=podman: Debian 12's podman (scripts/setup.sh installs it) cannot
	# build our Dockerfiles; it must say so, and what is missing.
	Q="$WORK/podman"
	copy_settings "$Q"
	(cd "$Q" && CARGOGREEN_RUNNER=podman cargo green build -p probe >/dev/null 2>"$WORK/podman.err"); rc=$?
	check "CARGOGREEN_RUNNER=podman with podman $(podman --version 2>/dev/null | awk '{print $3}'): one line saying what is missing, nothing built (exit $rc)" \
		bash -c "[ $rc -ne 0 ] && one_line '$WORK/podman.err' && grep -q 'CARGOGREEN_RUNNER=podman: podman version [0-9.]* cannot build .* RUN --network= and heredoc RUNs' '$WORK/podman.err' && [ ! -e '$Q/target/debug/probe' ]"
fi
