# Cache images (issue 13, item 5): a registry that misbehaves, and the build
# goes on. Debian's docker-registry on 127.0.0.1 behind tests/registry_proxy.py
# (slow, dying mid-push, answering 403), and one on a tiny tmpfs of this
# test's own (a full disk). Each: the build succeeds, one line per problem,
# the registry holds only whole entries, target/ and the local store are
# right. Sourced by tests/e2e.sh (group cache-registry-faults).
. "$ROOT/tests/cache_registry_lib.sh"

# crf_proxy NAME MODE UPSTREAM ARG: a proxy of $CR/proxy-NAME; its port.
crf_proxy() {
	local d="$CR/proxy-$1"
	mkdir -p "$d"
	python3 "$ROOT/tests/registry_proxy.py" "$2" "$3" "$d/ready" "$d/log" "${4:-0}" >"$d/out" 2>&1 &
	echo $! >"$d/pid"
	for _ in $(seq 1 50); do [ -s "$d/ready" ] && { cat "$d/ready"; return 0; }; sleep 0.1; done
	return 1
}
crf_proxy_stop() { local p; p=$(cat "$CR/proxy-$1/pid" 2>/dev/null) && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; return 0; }
# crf_whole NAME REPO [DIGEST]: every tag of REPO in registry NAME's storage is
# whole (its manifest there, each layer there with the bytes its digest
# says); with DIGEST, no manifest names that layer. Prints the tags' count.
crf_whole() {
	python3 - "$CR/reg-$1/data/docker/registry/v2" "$2" "${3:-}" <<-'EOF'
	import hashlib, json, os, sys
	root, repo, unwanted = sys.argv[1:4]
	tags = os.path.join(root, "repositories", repo, "_manifests", "tags")
	def blob(d):
	    h = d.split(":")[1]
	    return os.path.join(root, "blobs", "sha256", h[:2], h, "data")
	bad = 0
	names = os.listdir(tags) if os.path.isdir(tags) else []
	for t in names:
	    m = open(os.path.join(tags, t, "current", "link")).read().strip()
	    layers = json.load(open(blob(m)))["layers"]
	    for l in layers:
	        p = blob(l["digest"])
	        if not os.path.exists(p) or "sha256:" + hashlib.sha256(open(p, "rb").read()).hexdigest() != l["digest"]:
	            print(f"tag {t[:12]}: layer {l['digest'][:19]} missing or damaged", file=sys.stderr); bad += 1
	        if unwanted and l["digest"] == unwanted:
	            print(f"tag {t[:12]}: names the blob whose upload was cut", file=sys.stderr); bad += 1
	print(len(names))
	sys.exit(1 if bad else 0)
	EOF
}
if want cache-registry-faults; then
	CR="$WORK/cache-registry-faults"
	mkdir -p "$CR"
	P1=$(cr_port)
	if ! command -v docker-registry >/dev/null || ! cr_registry main "$P1"; then
		fail "cache-registry-faults: prerequisite: Debian's docker-registry on 127.0.0.1:$P1" "$(tail -n3 "$CR/reg-main/log" 2>/dev/null)"
	else
		# --- a registry that answers after a minute: every read and write has a deadline ---
		F="$CR/slow/project"
		copy_fixture "$F"
		if PS=$(crf_proxy slow slow "$P1" 60); then
			t0=$(date +%s.%N)
			(cd "$F" && env XDG_CACHE_HOME="$CR/xdg-slow" CARGO_INCREMENTAL=0 CARGOGREEN_CACHE_IMAGES="docker-image://127.0.0.1:$PS/team/slow" \
				timeout 600 cargo green build >/dev/null 2>"$CR/slow.err" && ./target/debug/app >"$CR/slow.out"); rc=$?
			t1=$(date +%s.%N)
			asked=$(grep -c '^GET /v2/team/slow/manifests/' "$CR/proxy-slow/log")
			asked_w=$(grep -c '^HEAD /v2/team/slow/manifests/' "$CR/proxy-slow/log")
			check "cache-registry-faults: a registry that answers after 60 s: the build succeeds ($(echo "$t1 - $t0" | bc) s; exit $rc), one line each way naming the 5 s deadline" \
				bash -c "[ $rc -eq 0 ] && grep -q 'hello from build.rs' '$CR/slow.out' && [ \$(grep -c 'cargo-green: warning: cache image' '$CR/slow.err') -eq 2 ] && [ \$(grep -c 'cache image 127.0.0.1:$PS/team/slow: not read: .*no answer within 5 s' '$CR/slow.err') -eq 1 ] && [ \$(grep -c 'cache image 127.0.0.1:$PS/team/slow: not written: .*no answer within 5 s' '$CR/slow.err') -eq 1 ]"
			check "cache-registry-faults: …and it is not asked again in the run once it missed its deadline (asked $asked lookups, $asked_w writes' lookups)" \
				bash -c "[ $asked -ge 1 ] && [ $asked -le 3 ] && [ $asked_w -ge 1 ] && [ $asked_w -le 4 ]"
			ns=$(cr_store_whole "$CR/xdg-slow" 2>"$CR/slow.store"); rs=$?
			check "cache-registry-faults: …the local store holds whole entries only ($ns)" bash -c "[ $rs -eq 0 ] && [ '$ns' -gt 20 ]"
		else
			fail "cache-registry-faults: prerequisite: tests/registry_proxy.py (slow)" "$(cat "$CR/proxy-slow/out")"
		fi
		crf_proxy_stop slow

		# --- writes: a registry dying mid-push, one answering 403, one whose disk is full ---
		mkdir -p "$CR/reg-full/data"
		PF=$(cr_port)
		if ! mount -t tmpfs -o size=1m tmpfs "$CR/reg-full/data"; then
			fail "cache-registry-faults: prerequisite: a 1 MB tmpfs of the test's own (mount as root)"
		elif ! cr_registry full "$PF" || ! PC=$(crf_proxy cut cut "$P1" 200000) || ! PD=$(crf_proxy deny deny "$P1"); then
			fail "cache-registry-faults: prerequisite: the registries and proxies of the write faults" "$(tail -n3 "$CR"/reg-full/log "$CR"/proxy-*/out 2>/dev/null)"
		else
			W="$CR/write/project"
			copy_fixture "$W"
			to="docker-image://127.0.0.1:$PC/team/cut,docker-image://127.0.0.1:$PD/team/deny,docker-image://127.0.0.1:$PF/team/full"
			(cd "$W" && env XDG_CACHE_HOME="$CR/xdg-w" CARGO_INCREMENTAL=0 CARGOGREEN_CACHE_PRIVATE=1 CARGOGREEN_CACHE_TO_IMAGES="$to" \
				timeout 600 cargo green build >/dev/null 2>"$CR/write.err" && ./target/debug/app >"$CR/write.out"); rc=$?
			check "cache-registry-faults: three registries failing writes: the build succeeds (exit $rc), one line for each, none for reading" \
				bash -c "[ $rc -eq 0 ] && grep -q 'hello from build.rs' '$CR/write.out' && [ \$(grep -c 'cargo-green: warning: cache image' '$CR/write.err') -eq 3 ] && ! grep -q 'not read:' '$CR/write.err'"
			cut=$(sed -n 's/^cut PUT .*digest=\(sha256:[0-9a-f]\{64\}\).*/\1/p' "$CR/proxy-cut/log")
			nc=$(crf_whole main team/cut "$cut" 2>"$CR/cut.whole"); rcut=$?
			check "cache-registry-faults: a registry dying mid-push (cut after 200 kB of a blob): said once ($(grep -o 'team/cut: not written: .*' "$CR/write.err" | cut -c1-90)), no tag names the cut blob, the $nc written before are whole" \
				bash -c "[ -n '$cut' ] && [ \$(grep -c 'cache image 127.0.0.1:$PC/team/cut: not written: .*cannot reach the registry' '$CR/write.err') -eq 1 ] && [ $rcut -eq 0 ]"
			denied=$(grep -c '^\(POST\|PUT\) ' "$CR/proxy-deny/log")
			check "cache-registry-faults: a 403 on writes: said once, naming the denial, no tag, not asked again ($denied writes tried)" \
				bash -c "[ \$(grep -c 'cache image 127.0.0.1:$PD/team/deny: not written: .*HTTP 403 (denied: an anonymous client may not write to team/deny' '$CR/write.err') -eq 1 ] && [ $(cr_tags main team/deny) -eq 0 ] && [ $denied -ge 1 ] && [ $denied -le 4 ]"
			nf=$(crf_whole full team/full 2>"$CR/full.whole"); rfull=$?
			failed=$(grep -c '"\(POST\|PUT\) /v2/team/full/[^"]*" 5[0-9][0-9] ' "$CR/reg-full/log")
			check "cache-registry-faults: a full registry disk (1 MB tmpfs): said once with the registry's words, not asked again ($failed writes failed), the $nf tags it holds are whole" \
				bash -c "[ \$(grep -c 'cache image 127.0.0.1:$PF/team/full: not written: .*HTTP 500 (UNKNOWN: no space left on device)' '$CR/write.err') -eq 1 ] && [ $rfull -eq 0 ] && [ $failed -ge 1 ] && [ $failed -le 3 ]"
			nw=$(cr_store_whole "$CR/xdg-w" 2>"$CR/write.store"); rw=$?
			check "cache-registry-faults: …the local store holds whole entries only ($nw)" bash -c "[ $rw -eq 0 ] && [ '$nw' -gt 20 ]"
		fi
		crf_proxy_stop cut
		crf_proxy_stop deny
		cr_registry_stop full
		umount "$CR/reg-full/data" 2>/dev/null
	fi
	cr_registry_stop main
fi
