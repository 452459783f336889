# The local store as users manage it (issue 16): a size limit with least
# recently used entries evicted first, `supergreen cache ls|rm|gc|stats`,
# checksummed entries (a damaged one is a miss, said once in the log), the
# engine's build cache bounded. A store of its own (XDG_CACHE_HOME under the
# work dir): the shared store is never touched. Sourced by tests/e2e.sh
# (group cachemgmt).

if want cachemgmt; then
	CM="$WORK/cachemgmt"
	CMX="$CM/xdg"
	mkdir -p "$CMX"
	# cmg DIR ARGS...: cargo green ARGS in DIR, on this group's store.
	cmg() { local d=$1; shift; (cd "$d" && XDG_CACHE_HOME="$CMX" cargo green "$@"); }
	# cms ARGS...: supergreen cache ARGS, on this group's store (from a directory with no Cargo.toml).
	cms() { (cd "$CM" && XDG_CACHE_HOME="$CMX" "$BIN" supergreen cache "$@"); }
	cm_keys() { ls "$CMX"/cargo-green/store/*/ 2>/dev/null | grep -cE '^[0-9a-f]{64}$'; }
	# cm_py FILE CODE: python over the JSON in FILE (as j); exits non-zero when CODE raises.
	cm_py() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); $2" "$1"; }
	one_line() { [ "$(grep -c . "$1")" -eq 1 ]; }
	export -f one_line

	CP="$CM/plain"
	copy_fixture "$CP"
	(cd "$CP" && cargo build -q 2>/dev/null && ./target/debug/app >"$CM/plain.out")
	check "cachemgmt: plain cargo builds the fixture (baseline)" test -s "$CM/plain.out"

	# ---- ls, on a store the fixture filled ----
	A="$CM/a"
	copy_fixture "$A"
	cmg "$A" build >/dev/null 2>"$CM/a1.err"; rc=$?
	(cd "$A" && ./target/debug/app >"$CM/a1.out" 2>&1)
	outputs_sum "$A" >"$CM/a1.sums"
	check "cachemgmt: the fixture builds on a store of its own (exit $rc), its binary as plain cargo's" \
		bash -c "[ $rc -eq 0 ] && cmp -s '$CM/plain.out' '$CM/a1.out'"
	cms ls >"$CM/ls.out"; rc=$?
	keys=$(cm_keys)
	check "cache ls: one line per entry ($keys), a header and a total" \
		bash -c "[ $rc -eq 0 ] && [ $keys -ge 30 ] && [ \$(wc -l <'$CM/ls.out') -eq $((keys + 2)) ] && head -n1 '$CM/ls.out' | grep -q '^CRATE  *VERSION  *KIND  *SIZE  *LAST USE  *HITS  *KEY' && tail -n1 '$CM/ls.out' | grep -q '^$keys entries, .* of 5.0 GiB (CARGOGREEN_CACHE_SIZE)'"
	check "cache ls: each entry's crate, version and kind (a lib, a proc-macro, a build script and its run, a bin)" \
		bash -c "grep -qE '^serde  +1\\.[0-9.]+  +lib ' '$CM/ls.out' && grep -qE '^serde_derive  +1\\.[0-9.]+  +proc-macro ' '$CM/ls.out' && grep -qE '^serde  +1\\.[0-9.]+  +build-script ' '$CM/ls.out' && grep -qE '^serde  +1\\.[0-9.]+  +build-script-run ' '$CM/ls.out' && grep -qE '^app  +0\\.1\\.0  +bin ' '$CM/ls.out'"
	cms ls --json >"$CM/ls.json"; rc=$?
	check "cache ls --json: every entry, with its key, crate, version, kind, size, last use and hits" \
		cm_py "$CM/ls.json" "assert $rc == 0 and len(j) == $keys and all(len(e['key']) == 64 and e['crate'] and e['version'] and e['kind'] and e['size'] > 0 and e['last_use'] > 0 and e['hits'] == 0 for e in j)"
	for col in size used hits; do
		field=$col
		[ $col = used ] && field=last_use
		cms ls --sort=$col --json >"$CM/ls-$col.json"
		check "cache ls --sort=$col: largest first" cm_py "$CM/ls-$col.json" "v=[e['$field'] for e in j]; assert len(v) == $keys and v == sorted(v, reverse=True)"
	done
	cms ls --sort=colour >/dev/null 2>"$CM/sort.err"; rc=$?
	check "cache ls --sort=colour: exit 2, one line naming the columns (exit $rc)" \
		bash -c "[ $rc -eq 2 ] && one_line '$CM/sort.err' && grep -q 'name, size, used or hits' '$CM/sort.err'"

	# ---- the setting in Cargo.toml ----
	WS="$CM/ws"
	copy_fixture "$WS"
	printf '\n[workspace.metadata.green]\ncache-size = "200MiB"\n' >>"$WS/Cargo.toml"
	(cd "$WS" && XDG_CACHE_HOME="$CMX" cargo green supergreen env CARGOGREEN_CACHE_SIZE >"$CM/ws-env.out" 2>&1)
	(cd "$WS" && XDG_CACHE_HOME="$CMX" cargo green supergreen cache ls >"$CM/ws-ls.out" 2>&1)
	check "cache-size in [workspace.metadata.green]: supergreen env shows it and where from, cache ls the limit" \
		bash -c "grep -qx 'CARGOGREEN_CACHE_SIZE=200MiB # workspace ($WS/Cargo.toml)' '$CM/ws-env.out' && tail -n1 '$CM/ws-ls.out' | grep -q ' of 200.0 MiB (CARGOGREEN_CACHE_SIZE)'"
	sed -i 's/^cache-size = .*/cache-size = "lots"/' "$WS/Cargo.toml"
	(cd "$WS" && XDG_CACHE_HOME="$CMX" cargo green build >/dev/null 2>"$CM/ws-bad.err"); rc=$?
	check "cache-size = \"lots\" in Cargo.toml: exit 2, one line naming the setting and the manifest (exit $rc)" \
		bash -c "[ $rc -eq 2 ] && one_line '$CM/ws-bad.err' && grep -q 'cache-size' '$CM/ws-bad.err' && grep -q '$WS/Cargo.toml' '$CM/ws-bad.err'"

	# ---- stats: cumulative since --zero ----
	cms stats --zero >"$CM/zero.out"; rc=$?
	(cd "$A" && cargo clean -q)
	cmg "$A" build >/dev/null 2>"$CM/a2.err"
	L=$(run_stat local_hit) P=$(run_stat passed) E=$(run_stat engine_hit)
	cms stats --json >"$CM/stats.json"
	cms stats >"$CM/stats.out"
	check "cache stats --zero, then a build: its local hits ($L), engine hits ($E), pass-throughs by reason ($P), time saved, the wrapper's time, bytes stored" \
		cm_py "$CM/stats.json" "s=j; assert $rc == 0 and s['runs'] == 1 and s['local_hits'] == $L and $L >= 30 and s['engine_hits'] == $E and s['passed'] == $P and sum(s['passed_by_reason'].values()) == $P and s['time_saved_ms'] > 0 and s['wrapper_ms'] > 0 and s['wrapper_cpu_ms'] > 0 and s['entries'] == $keys and s['bytes_stored'] == sum(e['size'] for e in json.load(open('$CM/ls.json')))"
	check "cache stats: the same for people, one value a line" \
		bash -c "grep -qE '^  local hits +$L\$' '$CM/stats.out' && grep -qE '^passed to the local rustc +$P\$' '$CM/stats.out' && grep -qE '^time saved by local hits +[0-9]' '$CM/stats.out' && grep -qE '^local store +$keys entries, ' '$CM/stats.out'"
	cms ls --json >"$CM/ls2.json"
	check "cache ls: every local hit of that build counted once, in its entry ($L)" \
		cm_py "$CM/ls2.json" "assert sum(e['hits'] for e in j) == $L"
	cmg "$A" build >/dev/null 2>&1
	cms stats --json >"$CM/stats2.json"
	check "cache stats: the next build's added (a no-op build: one more run, nothing more)" \
		cm_py "$CM/stats2.json" "assert j['runs'] == 2 and j['local_hits'] == $L"

	# ---- integrity: a damaged entry is a miss, removed, said once ----
	entry_of() { cm_py "$CM/ls2.json" "print([e['key'] for e in j if e['crate'] == '$1' and e['kind'] == 'lib'][0])"; }
	kl=$(entry_of libc) ki=$(entry_of itoa) kr=$(entry_of memchr)
	el="$CMX/cargo-green/store/${kl:0:2}/$kl" ei="$CMX/cargo-green/store/${ki:0:2}/$ki" er="$CMX/cargo-green/store/${kr:0:2}/$kr"
	f_flip=$(ls "$el"/green/target/debug/deps/liblibc-*.rlib) f_trunc=$(ls "$ei"/green/target/debug/deps/libitoa-*.rlib) f_del=$(ls "$er"/green/target/debug/deps/libmemchr-*.rmeta)
	size=$(stat -c %s "$f_flip")
	byte=$(dd if="$f_flip" bs=1 skip=$((size / 2)) count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
	printf "$(printf '\\%03o' $(((byte + 1) % 256)))" | dd of="$f_flip" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
	truncate -s $(($(stat -c %s "$f_trunc") / 2)) "$f_trunc"
	isize=$(stat -c %s "$f_trunc")
	[ -n "$f_del" ] && rm -f "$f_del"
	check "integrity: the test damaged three entries (a byte flipped, a file truncated, a file deleted)" \
		bash -c "[ -n '$f_flip' ] && [ -n '$f_trunc' ] && [ -n '$f_del' ] && [ \$(stat -c %s '$f_flip') -eq $size ] && ! cmp -s '$f_flip' '$A/target/debug/deps/$(basename "$f_flip")' && [ $isize -lt \$(stat -c %s '$A/target/debug/deps/$(basename "$f_trunc")') ] && [ ! -e '$f_del' ]"
	(cd "$A" && cargo clean -q)
	(cd "$A" && XDG_CACHE_HOME="$CMX" CARGOGREEN_LOG=warn CARGOGREEN_LOG_PATH="$CM/damaged.log" cargo green build >/dev/null 2>"$CM/a3.err"); rc=$?
	(cd "$A" && ./target/debug/app >"$CM/a3.out" 2>&1)
	outputs_sum "$A" >"$CM/a3.sums"
	check "integrity: the build over the damaged entries succeeds (exit $rc), its binary as plain cargo's, every output the first build's bytes" \
		bash -c "[ $rc -eq 0 ] && cmp -s '$CM/plain.out' '$CM/a3.out' && cmp -s '$CM/a1.sums' '$CM/a3.sums'"
	check "integrity: the three are misses, the others hits ($(run_stat local_hit) of $L local)" expect_stat local_hit $((L - 3))
	check "integrity: one log line each, naming the entry and the file (a byte flipped or truncated: not as saved; deleted: missing)" \
		bash -c "[ \$(grep -c 'local store entry .* is damaged' '$CM/damaged.log') -eq 3 ] && grep 'local store entry .*$kl is damaged: green/target/debug/deps/liblibc-.*\\.rlib is not as saved: removed, a miss' '$CM/damaged.log' >/dev/null && grep -q '$ki is damaged: green/target/debug/deps/libitoa-.*\\.rlib is not as saved' '$CM/damaged.log' && grep -q '$kr is damaged: green/target/debug/deps/libmemchr-.*\\.rmeta is missing' '$CM/damaged.log'"
	check "integrity: whole entries saved again in their place (the same files as landed in target/)" \
		bash -c "[ \$(ls '$CMX'/cargo-green/store/*/ | grep -cE '^[0-9a-f]{64}\$') -eq $keys ] && cmp -s '$f_flip' '$A/target/debug/deps/$(basename "$f_flip")' && cmp -s '$f_trunc' '$A/target/debug/deps/$(basename "$f_trunc")' && cmp -s '$f_del' '$A/target/debug/deps/$(basename "$f_del")'"

	# ---- the size limit: least recently used first ----
	cms ls --json >"$CM/before.json"
	total=$(cm_py "$CM/before.json" "print(sum(e['size'] for e in j))")
	limit=$((total / 2))
	(cd "$A" && XDG_CACHE_HOME="$CMX" CARGOGREEN_CACHE_SIZE=$limit CARGOGREEN_LOG=info CARGOGREEN_LOG_PATH="$CM/gc.log" cargo green build >/dev/null 2>&1); rc=$?
	cms ls --json >"$CM/after.json"
	check "size limit: a build that ends over CARGOGREEN_CACHE_SIZE ($limit of $total bytes) evicts down to 90% of it (exit $rc)" \
		cm_py "$CM/after.json" "t=sum(e['size'] for e in j); assert $rc == 0 and 0 < t <= $limit * 0.9 and len(j) < $keys, t"
	check "size limit: the least recently used went first (every evicted entry's last use before every kept one's)" \
		cm_py "$CM/before.json" "b={e['key']: e['last_use'] for e in j}; a={e['key'] for e in json.load(open('$CM/after.json'))}; ev=[b[k] for k in b if k not in a]; kept=[b[k] for k in a]; assert ev and max(ev) <= min(kept)"
	check "size limit: the eviction is logged, one line" \
		bash -c "[ \$(grep -c 'gc: the local store held .* over its limit of $limit: .* entries evicted' '$CM/gc.log') -eq 1 ]"
	(cd "$A" && cargo clean -q)
	cmg "$A" build >/dev/null 2>"$CM/a4.err"; rc=$?
	(cd "$A" && ./target/debug/app >"$CM/a4.out" 2>&1)
	outputs_sum "$A" >"$CM/a4.sums"
	check "size limit: the next build after cargo clean is right (exit $rc): what was kept is a hit ($(run_stat local_hit)), the rest built again ($(run_stat engine_hit) engine hits, $(run_stat built) built), the same bytes" \
		bash -c "[ $rc -eq 0 ] && cmp -s '$CM/plain.out' '$CM/a4.out' && cmp -s '$CM/a1.sums' '$CM/a4.sums' && [ $(run_stat local_hit) -eq \$(python3 -c 'import json; print(len(json.load(open(\"$CM/after.json\"))))') ] && [ $(run_stat local_hit) -lt $L ]"
	# A hit is a use: anyhow's units hit again (cargo clean -p), then a
	# limit that fits about them alone keeps them.
	cms ls --json >"$CM/pre-hit.json"
	(cd "$A" && cargo clean -q -p anyhow)
	cmg "$A" build >/dev/null 2>&1
	cms ls --json >"$CM/post-hit.json"
	hitkeys=$(cm_py "$CM/post-hit.json" "p={e['key']: e['hits'] for e in json.load(open('$CM/pre-hit.json'))}; print(' '.join(e['key'] for e in j if e['hits'] > p.get(e['key'], 0)))")
	hitsize=$(cm_py "$CM/post-hit.json" "print(sum(e['size'] for e in j if e['key'] in '$hitkeys'.split()))")
	cms gc --max-size "$hitsize" >"$CM/gc-hit.out"; rc=$?
	cms ls --json >"$CM/gc-hit.json"
	check "size limit: a hit counts as a use: the entries hit last ($(echo $hitkeys | wc -w), anyhow's among them) are what a gc to their size keeps (exit $rc)" \
		cm_py "$CM/gc-hit.json" "k=sorted(e['key'] for e in j); h=sorted('$hitkeys'.split()); assert $rc == 0 and h and k == h and any(e['crate'] == 'anyhow' for e in j), (k, h)"
	check "cache gc: one line, what it evicted" \
		bash -c "one_line '$CM/gc-hit.out' && grep -qE '^cache gc: [0-9]+ of [0-9]+ entries evicted, .* -> .* \\(limit ' '$CM/gc-hit.out'"

	# ---- a target dir never needs its entries: all evicted, then an edit ----
	# (CARGOGREEN_INCREMENTAL=1: the workspace's crates go through the engine too, with deps contexts)
	R="$CM/r"
	copy_fixture "$R"
	export CARGOGREEN_INCREMENTAL=1
	cmg "$R" build >/dev/null 2>&1
	(cd "$R" && cargo clean -q)
	cmg "$R" build >/dev/null 2>"$CM/r2.err"; rc=$?
	check "eviction: a build after cargo clean is all local hits (exit $rc; its dependencies' outputs then only in the store)" \
		bash -c "[ $rc -eq 0 ] && [ $(run_stat local_hit) -eq $(run_stat compiles) ]"
	cms rm --all >"$CM/rmall.out"; rc=$?
	left=$(cm_keys)
	check "cache rm --all: every entry and its side files gone (exit $rc, $left left)" \
		bash -c "[ $rc -eq 0 ] && [ $left -eq 0 ] && ! ls '$CMX'/cargo-green/store/*/ | grep -qE '\\.(meta|uses|checked)\$' && grep -qE '^cache rm: [0-9]+ entries removed' '$CM/rmall.out'"
	printf '\n// edited after the store was emptied\n' >>"$R/greet/src/lib.rs"
	(cd "$R" && XDG_CACHE_HOME="$CMX" CARGOGREEN_LOG=job=debug CARGOGREEN_LOG_PATH="$CM/r3.log" cargo green build >/dev/null 2>"$CM/r3.err"); rc=$?
	(cd "$R" && ./target/debug/app >"$CM/r3.out" 2>&1)
	unset CARGOGREEN_INCREMENTAL
	check "eviction: an edit after every entry was evicted rebuilds right (exit $rc): the dependents render their closure's stages, the binary is plain cargo's" \
		bash -c "[ $rc -eq 0 ] && cmp -s '$CM/plain.out' '$CM/r3.out' && grep -q 'greet-[0-9a-f]*: [0-9]* units in its closure, their stages' '$CM/r3.log'"

	# (the store holds the fixture's entries again)
	(cd "$A" && cargo clean -q) && cmg "$A" build >/dev/null 2>&1
	# ---- rm ----
	cms ls >"$CM/rm-before.out"
	cms rm serde >"$CM/rm.out"; rc=$?
	cms ls >"$CM/rm-after.out"
	check "cache rm serde: its entries gone, the others kept (exit $rc)" \
		bash -c "[ $rc -eq 0 ] && grep -qE '^cache rm: [1-9][0-9]* entr(y|ies) removed' '$CM/rm.out' && grep -q '^serde ' '$CM/rm-before.out' && ! grep -q '^serde ' '$CM/rm-after.out' && grep -q '^serde_json ' '$CM/rm-after.out'"
	cms rm serde >/dev/null 2>"$CM/rm2.err"; rc=$?
	check "cache rm of a crate with no entry: exit 2, one line (exit $rc)" \
		bash -c "[ $rc -eq 2 ] && one_line '$CM/rm2.err' && grep -q \"no entry of 'serde' in the local store\" '$CM/rm2.err'"
	v=$(cms ls --json | python3 -c "import json,sys; print([e['version'] for e in json.load(sys.stdin) if e['crate'] == 'serde_json'][0])")
	cms rm "serde_json@0.0.1" >/dev/null 2>&1; rc1=$?
	cms ls >"$CM/rm-v1.out"
	cms rm "serde_json@$v" >/dev/null 2>&1; rc2=$?
	cms ls >"$CM/rm-v2.out"
	check "cache rm CRATE@VERSION: only that version (exit $rc1 for another, $rc2 for $v)" \
		bash -c "[ $rc1 -eq 2 ] && [ $rc2 -eq 0 ] && grep -q '^serde_json ' '$CM/rm-v1.out' && ! grep -q '^serde_json ' '$CM/rm-v2.out'"
	cms rm >/dev/null 2>"$CM/rm3.err"; rc=$?
	check "cache rm with nothing named: exit 2, one line (exit $rc)" bash -c "[ $rc -eq 2 ] && one_line '$CM/rm3.err'"

	# ---- gc's errors ----
	cms gc --max-size 5x >/dev/null 2>"$CM/gc-bad.err"; rc=$?
	check "cache gc --max-size 5x: exit 2, one line naming the option and a valid size (exit $rc)" \
		bash -c "[ $rc -eq 2 ] && one_line '$CM/gc-bad.err' && grep -q \"cache gc: --max-size '5x': not a size .*e.g. 5GiB\" '$CM/gc-bad.err'"
	(cd "$A" && XDG_CACHE_HOME="$CMX" CARGOGREEN_CACHE_SIZE=lots cargo green build >/dev/null 2>"$CM/size-bad.err"); rc=$?
	check "CARGOGREEN_CACHE_SIZE=lots: exit 2, one line (exit $rc)" \
		bash -c "[ $rc -eq 2 ] && one_line '$CM/size-bad.err' && grep -q 'CARGOGREEN_CACHE_SIZE' '$CM/size-bad.err'"
	cms frob >/dev/null 2>"$CM/frob.err"; rc=$?
	check "supergreen cache frob: exit 2, one line with the valid subcommands (exit $rc)" \
		bash -c "[ $rc -eq 2 ] && one_line '$CM/frob.err' && grep -q 'valid: ls, .*gc, stats' '$CM/frob.err'"
	(cd "$CM" && "$BIN" supergreen -h >"$CM/help.out")
	check "supergreen -h lists the cache commands" \
		bash -c "grep -q 'supergreen cache ls' '$CM/help.out' && grep -q 'supergreen cache rm' '$CM/help.out' && grep -q 'supergreen cache gc' '$CM/help.out' && grep -q 'supergreen cache stats' '$CM/help.out'"

	# ---- two builds and gc at once ----
	B1="$CM/b1" B2="$CM/b2"
	copy_fixture "$B1"
	copy_fixture "$B2"
	# (the store holds the fixture again: the builds below hit while gc evicts)
	(cd "$A" && cargo clean -q) && cmg "$A" build >/dev/null 2>&1
	: >"$CM/gc-loop.out"
	cmg "$B1" build >/dev/null 2>"$CM/b1.err" &
	p1=$!
	cmg "$B2" build >/dev/null 2>"$CM/b2.err" &
	p2=$!
	while kill -0 $p1 2>/dev/null || kill -0 $p2 2>/dev/null; do
		cms gc --max-size 1 >>"$CM/gc-loop.out" 2>&1
		sleep 0.2
	done
	wait $p1; r1=$?
	wait $p2; r2=$?
	(cd "$B1" && ./target/debug/app >"$CM/b1.out" 2>&1)
	(cd "$B2" && ./target/debug/app >"$CM/b2.out" 2>&1)
	ev=$(awk '{ n += $3 } END { print n + 0 }' "$CM/gc-loop.out") used=$(grep -c 'kept: a running build reads' "$CM/gc-loop.out")
	check "concurrency: two builds and a gc evicting everything it may, at once: both succeed (exit $r1, $r2), their binaries plain cargo's ($ev evicted meanwhile, $used times entries in use kept)" \
		bash -c "[ $r1 -eq 0 ] && [ $r2 -eq 0 ] && cmp -s '$CM/plain.out' '$CM/b1.out' && cmp -s '$CM/plain.out' '$CM/b2.out' && [ $ev -gt 0 ] && ! grep -q error '$CM/gc-loop.out'"
	check "concurrency: nothing half-removed is left in the store" \
		bash -c "! ls '$CMX'/cargo-green/store/*/ | grep -qE '\\.(gone|tmp)\\.'"

	# ---- the engine's build cache: bounded by BuildKit's gc ----
	CE="$CM/eng"
	CARGOGREEN_ENGINE_CACHE_SIZE=300MB CARGOGREEN_ENGINE_RUN="$CE/run" CARGOGREEN_ENGINE_DATA="$CE/data/docker" CARGOGREEN_ENGINE_BRIDGE="" \
		DOCKER_HOST="unix://$CE/run/docker.sock" "$ROOT/scripts/engine.sh" >/dev/null 2>"$CM/eng.log"; rc=$?
	DOCKER_HOST="unix://$CE/run/docker.sock" docker buildx inspect default >"$CM/eng-inspect.out" 2>&1
	check "engine.sh: the engine it starts keeps its build cache under CARGOGREEN_ENGINE_CACHE_SIZE (BuildKit's gc policy; exit $rc)" \
		bash -c "[ $rc -eq 0 ] && grep -q 'GC Policy rule#1' '$CM/eng-inspect.out' && [ \$(grep -c 'Keep Bytes: *300MiB' '$CM/eng-inspect.out') -eq 2 ] && grep -q 'Keep Duration: *168h' '$CM/eng-inspect.out'"
	d=$(cat "$CE/run/docker.pid" 2>/dev/null)
	if [ -n "$d" ]; then
		pids="$d $(ps -o pid= --ppid "$d" 2>/dev/null | tr '\n' ' ')"
		for p in $pids; do kill -TERM "$p" 2>/dev/null; done
		for _ in $(seq 1 60); do
			[ -n "$(for p in $pids; do kill -0 "$p" 2>/dev/null && echo "$p"; done)" ] || break
			sleep 0.5
		done
		for m in $(grep -F " $CE/" /proc/mounts | awk '{print $2}' | sort -r); do umount -l "$m" 2>/dev/null; done
	fi
fi
