# e2e_exact_sys.sh: system libraries (issue 9, item 5), group exact-sys
# (sourced by tests/e2e.sh). A -sys crate whose library the host has and the
# build image lacks: plain cargo links the host's library; cargo green must
# either do the same or say in one line which Debian package to add, and how.
#   tests/settings/sys    libsqlite3-sys (no bundled copy): fails to link without it
#                         (--release: the binary links in the engine; in the dev
#                         profile the local rustc compiles it, as incremental)
#   tests/exact/sys/zlib  libz-sys (default features): falls back to a bundled
#                         static zlib without it, a different binary
#   tests/exact/sys/openssl  openssl-sys: its build script fails without it
# Then CARGOGREEN_ADD_APT_FROM_HOST, which adds the host's packages as found.

if want exact-sys; then
	# The host's -dev packages (CI starts from a fresh machine).
	need=
	for p in libsqlite3-dev zlib1g-dev libssl-dev; do dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"; done
	if [ -n "$need" ]; then
		note "e2e: installing$need on the host (exact-sys)"
		apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >&2
	fi
	check "prerequisite: the host has libsqlite3-dev, zlib1g-dev and libssl-dev" bash -c "dpkg -s libsqlite3-dev zlib1g-dev libssl-dev >/dev/null"

	# needed BIN: the binary's NEEDED entries, one a line
	needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
	export -f needed
	# only_probes ERR: every compile went to the engine, only probes to the local rustc
	only_probes() {
		local N H M F P L E
		read -r N H M F P L E I <<<"$(stats "$1")"
		[ "${N:-0}" -ge 1 ] && [ "${F:-1}" -eq 0 ] && { [ "${P:-1}" -eq 0 ] || grep -q 'passed to the local rustc (probe);' "$1"; }
	}
	sys_copy() { rm -rf "$2"; mkdir -p "$(dirname "$2")"; cp -r "$1" "$2"; rm -rf "$2/target"; }

	# --- libsqlite3-sys: a link failure, then the setting the line names ---
	want_line='cargo-green: warning: the build image lacks sqlite3, which this host has (Debian package libsqlite3-dev): set CARGOGREEN_ADD_APT=libsqlite3-dev or add.apt = [ "libsqlite3-dev" ] in [package.metadata.green], then cargo clean'
	SP="$WORK/xsys-sqlite-plain" SG="$WORK/xsys-sqlite"
	sys_copy "$ROOT/tests/settings" "$SP"
	sys_copy "$ROOT/tests/settings" "$SG"
	(cd "$SP" && cargo build -q --release -p sys 2>"$WORK/xsys-sq-plain.err" && ./target/release/sys >"$WORK/xsys-sq-plain.out"); rc=$?
	check "plain cargo links the host's libsqlite3 (baseline, exit $rc)" \
		bash -c "[ $rc -eq 0 ] && grep -q '^sqlite 3' '$WORK/xsys-sq-plain.out'"
	(cd "$SG" && cargo green build --release -p sys >/dev/null 2>"$WORK/xsys-sq1.err"); rc=$?
	n=$(grep -c '^cargo-green: warning: the build image lacks' "$WORK/xsys-sq1.err")
	check "libsqlite3-sys without the setting: the link fails, one line names libsqlite3-dev and the setting (exit $rc, $n lines)" \
		bash -c "[ $rc -ne 0 ] && grep -q 'unable to find library -lsqlite3' '$WORK/xsys-sq1.err' && [ $n -eq 1 ] && grep -qxF '$want_line' '$WORK/xsys-sq1.err'"
	(cd "$SG" && cargo green build -p sys >/dev/null 2>"$WORK/xsys-sq0.err" && ./target/debug/sys >"$WORK/xsys-sq0.out"); rc=$?
	check "in the dev profile (sys compiled by the local rustc): it runs as plain cargo's, and the same line says the build script's probe failed in the engine (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && cmp -s '$WORK/xsys-sq-plain.out' '$WORK/xsys-sq0.out' && grep -qxF '$want_line' '$WORK/xsys-sq0.err'"
	(cd "$SG" && cargo clean -q && CARGOGREEN_ADD_APT=libsqlite3-dev cargo green build --release -p sys >/dev/null 2>"$WORK/xsys-sq2.err" &&
		./target/release/sys >"$WORK/xsys-sq2.out"); rc=$?
	check "with CARGOGREEN_ADD_APT=libsqlite3-dev: it builds, prints what plain cargo's prints, links what it links (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && cmp -s '$WORK/xsys-sq-plain.out' '$WORK/xsys-sq2.out' && diff <(needed '$SP/target/release/sys') <(needed '$SG/target/release/sys') >&2 && ! grep -q 'the build image lacks' '$WORK/xsys-sq2.err'"
	check "with the setting: every compile in the engine, only probes to the local rustc" only_probes "$WORK/xsys-sq2.err"

	# --- libz-sys: a silent fallback to a bundled zlib, then the setting ---
	want_line='cargo-green: warning: the build image lacks zlib, which this host has (Debian package zlib1g-dev): set CARGOGREEN_ADD_APT=zlib1g-dev or add.apt = [ "zlib1g-dev" ] in [package.metadata.green], then cargo clean'
	ZP="$WORK/xsys-zlib-plain" ZG="$WORK/xsys-zlib"
	sys_copy "$ROOT/tests/exact/sys" "$ZP"
	sys_copy "$ROOT/tests/exact/sys" "$ZG"
	(cd "$ZP" && cargo build -q -p zlib 2>"$WORK/xsys-z-plain.err" && ./target/debug/zlib >"$WORK/xsys-z-plain.out"); rc=$?
	check "plain cargo links the host's libz.so.1 (baseline, exit $rc)" \
		bash -c "[ $rc -eq 0 ] && needed '$ZP/target/debug/zlib' | grep -qx libz.so.1"
	(cd "$ZG" && cargo green build -p zlib >/dev/null 2>"$WORK/xsys-z1.err"); rc=$?
	n=$(grep -c '^cargo-green: warning: the build image lacks' "$WORK/xsys-z1.err")
	check "libz-sys without the setting: the fallback to a bundled zlib is said in one line naming zlib1g-dev and the setting (exit $rc, $n lines)" \
		bash -c "[ $rc -eq 0 ] && [ $n -eq 1 ] && grep -qxF '$want_line' '$WORK/xsys-z1.err'"
	(cd "$ZG" && cargo clean -q && CARGOGREEN_ADD_APT=zlib1g-dev cargo green build -p zlib >/dev/null 2>"$WORK/xsys-z2.err" &&
		./target/debug/zlib >"$WORK/xsys-z2.out"); rc=$?
	check "with CARGOGREEN_ADD_APT=zlib1g-dev: the same zlib as plain cargo's, linked as plain cargo links it (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && cmp -s '$WORK/xsys-z-plain.out' '$WORK/xsys-z2.out' && diff <(needed '$ZP/target/debug/zlib') <(needed '$ZG/target/debug/zlib') >&2 && ! grep -q 'the build image lacks' '$WORK/xsys-z2.err'"
	check "with the setting: every compile in the engine, only probes to the local rustc" only_probes "$WORK/xsys-z2.err"
fi

if want exact-sys; then
	# --- CARGOGREEN_ADD_APT_FROM_HOST: the host's packages, added as found ---
	SA="$WORK/xsys-sqlite-auto"
	sys_copy "$ROOT/tests/settings" "$SA"
	(cd "$SA" && CARGOGREEN_ADD_APT_FROM_HOST=1 cargo green build --release -p sys >/dev/null 2>"$WORK/xsys-sqa1.err" &&
		./target/release/sys >"$WORK/xsys-sqa1.out"); rc=$?
	check "CARGOGREEN_ADD_APT_FROM_HOST=1: libsqlite3-sys builds with the host's libsqlite3-dev, as plain cargo's (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && cmp -s '$WORK/xsys-sq-plain.out' '$WORK/xsys-sqa1.out' && diff <(needed '$SP/target/release/sys') <(needed '$SA/target/release/sys') >&2 && ! grep -q 'the build image lacks' '$WORK/xsys-sqa1.err'"
	check "it says in one line what it added" \
		grep -qxF 'cargo-green: added to the base of the units that need it, from this host (CARGOGREEN_ADD_APT_FROM_HOST): libsqlite3-dev (sqlite3)' "$WORK/xsys-sqa1.err"
	check "with it: every compile in the engine, only probes to the local rustc" only_probes "$WORK/xsys-sqa1.err"
	printf '\n[package.metadata.green]\nadd.apt-from-host = true\n' >>"$SA/sys/Cargo.toml"
	(cd "$SA" && cargo clean -q && cargo green build --release -p sys >/dev/null 2>"$WORK/xsys-sqa2.err" &&
		./target/release/sys >"$WORK/xsys-sqa2.out"); rc=$?
	read -r N H M F P L E I <<<"$(stats "$WORK/xsys-sqa2.err")"
	# (sys's own Cargo.toml changed: sys alone may build again, unless an earlier run stored it)
	check "add.apt-from-host = true in Cargo.toml, after cargo clean: the same program, the other compiles hits (exit $rc, ${M:-?} built)" \
		bash -c "[ $rc -eq 0 ] && cmp -s '$WORK/xsys-sq-plain.out' '$WORK/xsys-sqa2.out' && [ '${N:-0}' -ge 2 ] && [ '${M:-2}' -le 1 ] && [ '${F:-1}' -eq 0 ]"

	ZA="$WORK/xsys-zlib-auto"
	sys_copy "$ROOT/tests/exact/sys" "$ZA"
	(cd "$ZA" && CARGOGREEN_ADD_APT_FROM_HOST=1 cargo green build -p zlib >/dev/null 2>"$WORK/xsys-za.err" &&
		./target/debug/zlib >"$WORK/xsys-za.out"); rc=$?
	check "CARGOGREEN_ADD_APT_FROM_HOST=1: libz-sys links the system zlib, as plain cargo's (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && cmp -s '$WORK/xsys-z-plain.out' '$WORK/xsys-za.out' && diff <(needed '$ZP/target/debug/zlib') <(needed '$ZA/target/debug/zlib') >&2 && ! grep -q 'the build image lacks' '$WORK/xsys-za.err' && grep -q 'CARGOGREEN_ADD_APT_FROM_HOST): zlib1g-dev (zlib)' '$WORK/xsys-za.err'"
	check "with it: every compile in the engine, only probes to the local rustc" only_probes "$WORK/xsys-za.err"

	# --- openssl-sys: its build script fails in the engine ---
	want_line='cargo-green: warning: the build image lacks openssl, which this host has (Debian package libssl-dev): set CARGOGREEN_ADD_APT=libssl-dev or add.apt = [ "libssl-dev" ] in [package.metadata.green], then cargo clean'
	OP="$WORK/xsys-ossl-plain" OG="$WORK/xsys-ossl"
	sys_copy "$ROOT/tests/exact/sys" "$OP"
	sys_copy "$ROOT/tests/exact/sys" "$OG"
	(cd "$OP" && cargo build -q -p openssl 2>"$WORK/xsys-o-plain.err" && ./target/debug/openssl >"$WORK/xsys-o-plain.out"); rc=$?
	check "plain cargo links the host's OpenSSL (baseline, exit $rc)" \
		bash -c "[ $rc -eq 0 ] && grep -q '^OpenSSL ' '$WORK/xsys-o-plain.out'"
	(cd "$OG" && cargo green build -p openssl >/dev/null 2>"$WORK/xsys-o1.err"); rc=$?
	n=$(grep -c '^cargo-green: warning: the build image lacks' "$WORK/xsys-o1.err")
	check "openssl-sys without the setting: its build script fails, one line names libssl-dev and the setting (exit $rc, $n lines)" \
		bash -c "[ $rc -ne 0 ] && grep -q 'Could not find directory of OpenSSL installation' '$WORK/xsys-o1.err' && [ $n -eq 1 ] && grep -qxF '$want_line' '$WORK/xsys-o1.err'"
	(cd "$OG" && CARGOGREEN_ADD_APT_FROM_HOST=1 cargo green build -p openssl >/dev/null 2>"$WORK/xsys-o2.err" &&
		./target/debug/openssl >"$WORK/xsys-o2.out"); rc=$?
	check "CARGOGREEN_ADD_APT_FROM_HOST=1: openssl-sys builds with the host's libssl-dev, as plain cargo's (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && cmp -s '$WORK/xsys-o-plain.out' '$WORK/xsys-o2.out' && diff <(needed '$OP/target/debug/openssl') <(needed '$OG/target/debug/openssl') >&2 && grep -q 'CARGOGREEN_ADD_APT_FROM_HOST): libssl-dev (openssl)' '$WORK/xsys-o2.err'"
	check "with it: every compile in the engine, only probes to the local rustc" only_probes "$WORK/xsys-o2.err"
fi
