# e2e_explain.sh: why a unit missed, and verified hits (issue 16, items 3 and 5;
# sourced by tests/e2e.sh, groups "explain" and "verify"). Each with a store
# of its own (XDG_CACHE_HOME), every build with CARGO_INCREMENTAL=0 (each unit
# through the engine).
#
# explain: the mutations of tests/e2e_correct.sh (a variable read with
# option_env!, a feature, RUSTFLAGS, a source byte) and more (a secret's
# value, the build script's source, the target, the base image, a store
# emptied): for each, the explanation of each unit that missed names the
# input that was changed, in the run's summary (CARGOGREEN_EXPLAIN=1) and in
# `supergreen explain`.
# verify: CARGOGREEN_VERIFY=all on hits that are reproducible (0 differ) and on
# a build script that writes the time (its file named, the build goes on;
# with strict it fails); a bad value is exit 2 and one line.

if want explain; then
	X="$WORK/explain"
	copy_settings "$X/p"
	# probe gets a path dependency of its own (dep), for "which dependency"
	mkdir -p "$X/p/dep/src"
	printf '[package]\nname = "dep"\nversion = "0.1.0"\nedition = "2021"\npublish = false\n' >"$X/p/dep/Cargo.toml"
	printf 'pub fn one() -> u32 { 1 }\n' >"$X/p/dep/src/lib.rs"
	printf '\n[dependencies]\ndep = { path = "../dep" }\n' >>"$X/p/probe/Cargo.toml"
	sed -i 's/^members = \[/members = [ "dep",/' "$X/p/Cargo.toml"
	XENV=(XDG_CACHE_HOME="$X/xdg" CARGO_INCREMENTAL=0 CARGOGREEN_EXPLAIN=1)
	# xbuild NAME ENV... -- ARGS...: cargo green build -p probe (by default); its stderr in $X/NAME.err
	xbuild() {
		local name=$1 envs=()
		shift
		while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
		[ "${1:-}" = -- ] && shift
		[ $# -gt 0 ] || set -- -p probe
		(cd "$X/p" && env "${XENV[@]}" "${envs[@]}" cargo green build "$@" >/dev/null 2>"$X/$name.err")
	}
	# said NAME UNIT TEXT: the run NAME explained the miss of UNIT ("probe (bin)") with TEXT
	said() { grep -qF -- "cargo-green: explain: $2: $3" "$X/$1.err" || { note "e2e: $1: no explanation '$2: $3' in:"; grep '^cargo-green: explain' "$X/$1.err" >&2; return 1; }; }
	# xcheck NAME RC DESCRIPTION NAME UNIT TEXT [UNIT TEXT...]: exit 0 and each explanation said
	xcheck() {
		local desc=$1 run=$2 rc=$3 ok=1
		shift 3
		[ "$rc" -eq 0 ] || { note "e2e: $run: exit $rc"; ok=0; }
		while [ $# -ge 2 ]; do said "$run" "$1" "$2" || ok=0; shift 2; done
		check "explain: $desc" test $ok -eq 1
	}

	xbuild first; rc=$?
	check "explain: the first build: each of its 4 units a first build (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && [ \$(grep -c '^cargo-green: explain: .*: a first build (no earlier build of it noted)\$' '$X/first.err') -eq 4 ]"

	xbuild plain1 GREEN_PLAIN=one
	xcheck "an option_env! variable set: 'env GREEN_PLAIN (set, was unset)'" plain1 $? \
		'probe (bin)' 'env GREEN_PLAIN (set, was unset) differs from its closest earlier build ('
	xbuild plain2 GREEN_PLAIN=two
	xcheck "the variable changed: 'env GREEN_PLAIN (another value)', the one input that differs" plain2 $? \
		'probe (bin)' 'env GREEN_PLAIN (another value) differs from its closest earlier build ('
	check "explain: ... and no other input said to differ" bash -c "! grep -q 'inputs differ' '$X/plain2.err'"

	xbuild feature GREEN_PLAIN=two -- -p probe --features loud
	xcheck "a feature turned on: 'feature loud (on, was off)' for the build script's run and the bin" feature $? \
		'probe (bin)' 'feature loud (on, was off) differs' 'probe (build script run)' 'feature loud (on, was off) differs'

	xbuild flags GREEN_PLAIN=two RUSTFLAGS=--cfg=green_flag -- -p probe --features loud
	xcheck "RUSTFLAGS changed: 'rustc flag --cfg green_flag (added)' for each unit (a run sees RUSTFLAGS)" flags $? \
		'probe (bin)' "rustc flag '--cfg green_flag' (added)" 'probe (build script)' "rustc flag '--cfg green_flag' (added)" \
		'probe (build script run)' "rustc flag 'RUSTFLAGS --cfg=green_flag' (added)" 'dep (lib)' "rustc flag '--cfg green_flag' (added)"

	FL=(GREEN_PLAIN=two RUSTFLAGS=--cfg=green_flag)
	sed -i 's/println!("flag={}"/println!("flag:{}"/' "$X/p/probe/src/main.rs"
	xbuild source "${FL[@]}" -- -p probe --features loud
	xcheck "one source byte: 'source file src/main.rs (changed)', the one input that differs" source $? \
		'probe (bin)' 'source file src/main.rs (changed) differs from its closest earlier build ('
	check "explain: ... and no other input said to differ" bash -c "! grep -q 'inputs differ' '$X/source.err'"

	# (the package's units share its sources: each names build.rs)
	printf '\n// a comment\n' >>"$X/p/probe/build.rs"
	xbuild script "${FL[@]}" -- -p probe --features loud
	xcheck "the build script's source: 'source file build.rs (changed)'" script $? \
		'probe (build script)' 'source file build.rs (changed) differs' 'probe (bin)' 'source file build.rs (changed) differs'

	printf 'pub fn one() -> u32 { 2 }\n' >"$X/p/dep/src/lib.rs"
	xbuild dep "${FL[@]}" -- -p probe --features loud
	xcheck "a dependency's source: dep names src/lib.rs, probe its dependency dep" dep $? \
		'dep (lib)' 'source file src/lib.rs (changed) differs' 'probe (bin)' 'dependency dep (its key changed) differs'

	xbuild secret1 "${FL[@]}" CARGOGREEN_SET_ENVS=GREEN_TOKEN GREEN_TOKEN=hunter2-explain -- -p probe --features loud; rc1=$?
	xbuild secret2 "${FL[@]}" CARGOGREEN_SET_ENVS=GREEN_TOKEN GREEN_TOKEN=swordfish-explain -- -p probe --features loud
	xcheck "a secret's value changed: 'secret GREEN_TOKEN (another value)'" secret2 $(($? + rc1)) \
		'probe (build script run)' 'secret GREEN_TOKEN (another value) differs'
	check "explain: no value in any note: neither a secret's nor a source's text" \
		bash -c "[ -d '$X/xdg/cargo-green/explain/probe.probe.bin' ] && ! grep -rqE 'hunter2|swordfish|println' '$X/xdg/cargo-green/explain'"

	host=$(rustc -vV | sed -n 's/^host: //p')
	xbuild target -- -p dep --target "$host"
	xcheck "--target given: 'the target ($host, was host)'" target $? \
		'dep (lib)' "the target ($host, was host) differs"

	# The base image (another name of the same image: the Dockerfile's head differs), after cargo clean.
	# (the derived base of the host's rustc: its tag ends with rustc's commit hash; other bases may be there)
	derived=$(docker images --format '{{.Repository}}:{{.Tag}}' | grep "^cargo-green-rust:.*-$(rustc -vV | sed -n 's/^commit-hash: //p' | cut -c1-12)\$" | head -n1)
	docker tag "$derived" cargo-green-e2e/rust:explain
	BE=("${FL[@]}" CARGOGREEN_BASE_IMAGE=docker-image://cargo-green-e2e/rust:explain)
	(cd "$X/p" && cargo clean -q)
	xbuild base "${BE[@]}" -- -p probe --features loud
	xcheck "another base image: 'the base image' for each unit" base $? \
		'probe (bin)' 'the base image (another image, or another Dockerfile head) differs' \
		'probe (build script)' 'the base image' 'probe (build script run)' 'the base image' 'dep (lib)' 'the base image'

	(cd "$X/p" && env "${XENV[@]}" cargo green supergreen explain probe >"$X/show.out" 2>"$X/show.err"); rc=$?
	check "supergreen explain probe: the last miss of each of its 3 units, the base image's (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && [ \$(wc -l <'$X/show.out') -eq 3 ] && [ \$(grep -c 'the base image (another image' '$X/show.out') -eq 3 ] && grep -q '^probe (bin): .* ago)\$' '$X/show.out'"
	(cd "$X/p" && env "${XENV[@]}" cargo green supergreen explain no-such-crate >"$X/none.out" 2>&1); rc=$?
	check "supergreen explain of a crate never missed: says so (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && grep -qx \"no miss of 'no-such-crate' noted yet (each miss of the local store is noted, with why)\" '$X/none.out'"

	# The store emptied: the same inputs as the last build, the entries gone.
	rm -rf "$X/xdg/cargo-green/store"
	(cd "$X/p" && cargo clean -q)
	xbuild gone "${BE[@]}" -- -p probe --features loud
	xcheck "the store emptied: 'its inputs are those of an earlier build (...), whose entry is not in the local store'" gone $? \
		'probe (bin)' 'its inputs are those of an earlier build (' 'dep (lib)' 'its inputs are those of an earlier build ('
	check "explain: ... for each of its 4 units" bash -c "[ \$(grep -c 'whose entry is not in the local store (that build failed, or its entry was removed' '$X/gone.err') -eq 4 ]"
	(cd "$X/p" && cargo clean -q)
	xbuild hits "${BE[@]}" -- -p probe --features loud; rc=$?
	nh=$(run_stat local_hit)
	printf '\n// quiet\n' >>"$X/p/probe/src/main.rs"
	xbuild quiet "${BE[@]}" CARGOGREEN_EXPLAIN=0 -- -p probe --features loud; rc2=$?
	(cd "$X/p" && env "${XENV[@]}" cargo green supergreen explain probe >"$X/show2.out" 2>&1)
	docker rmi cargo-green-e2e/rust:explain >/dev/null 2>&1
	check "explain: nothing said for hits ($nh of 4), nor without CARGOGREEN_EXPLAIN, but noted all the same" \
		bash -c "[ $rc -eq 0 ] && [ $rc2 -eq 0 ] && [ '$nh' = 4 ] && ! grep -q '^cargo-green: explain' '$X/hits.err' && ! grep -q '^cargo-green: explain' '$X/quiet.err' && grep -q '^probe (bin): source file src/main.rs (changed) differs' '$X/show2.out'"
fi

if want verify; then
	V="$WORK/verify"
	copy_settings "$V/p"
	VENV=(XDG_CACHE_HOME="$V/xdg" CARGO_INCREMENTAL=0)
	# A package whose build script writes the time: not reproducible.
	mkdir -p "$V/p/stamp/src"
	cat >"$V/p/stamp/Cargo.toml" <<-'TOML'
	[package]
	name = "stamp"
	version = "0.1.0"
	edition = "2021"
	publish = false
	TOML
	cat >"$V/p/stamp/build.rs" <<-'RS'
	fn main() {
	    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
	    std::fs::write(std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("stamp.txt"), t.to_string()).unwrap();
	    println!("cargo:rerun-if-changed=build.rs");
	}
	RS
	printf 'fn main() { println!("{}", include_str!(concat!(env!("OUT_DIR"), "/stamp.txt"))); }\n' >"$V/p/stamp/src/main.rs"
	sed -i 's/^members = \[/members = [ "stamp",/' "$V/p/Cargo.toml"
	grep -q '"stamp"' "$V/p/Cargo.toml" || printf '\n# (the test could not add stamp to the workspace)\n' >>"$V/p/Cargo.toml"
	# vbuild NAME ENV... -- ARGS...: cargo green build in $V/p after cargo clean (every unit a hit but the first time)
	vbuild() {
		local name=$1 envs=()
		shift
		while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
		[ "${1:-}" = -- ] && shift
		(cd "$V/p" && cargo clean -q 2>/dev/null; env "${VENV[@]}" "${envs[@]}" cargo green build "$@" >/dev/null 2>"$V/$name.err")
	}
	vbuild first -- -p probe -p stamp; rc=$?
	(cd "$V/p" && ./target/debug/stamp >"$V/stamp1.out")
	check "verify: the probe and stamp packages build (exit $rc)" bash -c "[ $rc -eq 0 ] && [ -s '$V/stamp1.out' ]"

	vbuild probe CARGOGREEN_VERIFY=all -- -p probe; rc=$?
	check "verify=all on probe's hits: each built again, the same bytes ($(run_stat verified) verified, $(run_stat verify_mismatch) differ, $(run_stat local_hit) hits, exit $rc)" \
		bash -c "[ $rc -eq 0 ] && [ '$(run_stat verified)' -eq 3 ] && [ '$(run_stat local_hit)' -eq 3 ] && [ '$(run_stat verify_mismatch)' -eq 0 ] && grep -q '^cargo-green: verified 3 cache hits against a fresh build: 0 differ\$' '$V/probe.err'"

	vbuild stamp CARGOGREEN_VERIFY=all -- -p stamp; rc=$?
	(cd "$V/p" && ./target/debug/stamp >"$V/stamp2.out")
	check "verify=all on a build script that writes the time: one line naming it and its file, counted, the build goes on with the hit's bytes (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && [ '$(run_stat verify_mismatch)' -eq 1 ] && [ '$(run_stat verified)' -eq 3 ] && grep -qE '^cargo-green: verify: stamp \\(build script run\\): target/debug/build/stamp-[0-9a-f]{16}/out/stamp.txt \\(other bytes\\) differs from a fresh build \\(CARGOGREEN_VERIFY\\)\$' '$V/stamp.err' && cmp -s '$V/stamp1.out' '$V/stamp2.out' && ls '$V'/p/target/cargo-green/verify/run-stamp-*/ >/dev/null"

	(cd "$V/p" && env "${VENV[@]}" cargo green supergreen cache stats --json >"$V/cumul.json" 2>&1 && env "${VENV[@]}" cargo green supergreen cache stats >"$V/cumul.txt" 2>&1); rc=$?
	check "verify: cache stats adds them up since the store began: 6 verified, 1 differed (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && grep -q '\"verified\": 6, \"verify_mismatches\": 1}' '$V/cumul.json' && grep -qx 'verified hits  *6 (1 differed from a fresh build: CARGOGREEN_VERIFY)' '$V/cumul.txt'"

	# Incremental (CARGO_INCREMENTAL=1): the package's units are compiled by the local rustc in its sandbox, and verified so.
	vbuild incr1 CARGO_INCREMENTAL=1 -- -p probe; rc1=$?
	i1=$(run_stat incremental)
	vbuild incr2 CARGO_INCREMENTAL=1 CARGOGREEN_VERIFY=all -- -p probe; rc=$?
	check "verify=all on a package compiled by the local rustc (incremental): each hit compiled again in its sandbox, the same bytes ($i1 local, then $(run_stat verified) verified, $(run_stat verify_mismatch) differ)" \
		bash -c "[ $rc1 -eq 0 ] && [ $rc -eq 0 ] && [ '$i1' -eq 3 ] && [ '$(run_stat local_hit)' -eq 3 ] && [ '$(run_stat verified)' -eq 3 ] && [ '$(run_stat verify_mismatch)' -eq 0 ]"

	vbuild strict CARGOGREEN_VERIFY=strict -- -p stamp; rc=$?
	check "verify=strict: the mismatch fails the build (exit $rc), the error names the unit, the file and the setting" \
		bash -c "[ $rc -ne 0 ] && grep -qE 'cargo-green: error: run-stamp-[0-9a-f]{16}: verify: stamp \\(build script run\\): target/debug/build/stamp-[0-9a-f]{16}/out/stamp.txt \\(other bytes\\): a cache hit differs from a fresh build \\(CARGOGREEN_VERIFY=strict; ' '$V/strict.err'"

	(cd "$V/p" && env "${VENV[@]}" CARGOGREEN_VERIFY=sometimes cargo green build -p probe >/dev/null 2>"$V/bad.err"); rc=$?
	check "verify: a bad value: exit 2 ($rc), one line naming the setting and a valid value" \
		bash -c "[ $rc -eq 2 ] && [ \$(wc -l <'$V/bad.err') -eq 1 ] && grep -qF 'CARGOGREEN_VERIFY=\"sometimes\" (from the environment): not a share of hits to verify: expected off, a number in (0, 1] such as 0.1, all or strict' '$V/bad.err' && grep -qF '(e.g. CARGOGREEN_VERIFY=0.1)' '$V/bad.err'"
fi
