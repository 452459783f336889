# Cache images (issue 13): the local store shared through a real OCI registry
# (Debian's docker-registry on 127.0.0.1, started and stopped here by pid),
# machine A on the shared engine, machine B on a second engine of this
# test's own (scripts/engine.sh on private paths) with its own base, store,
# CARGO_HOME and project path. Sourced by tests/e2e.sh (group cache-registry).
. "$ROOT/tests/cache_registry_lib.sh"

if want cache-registry; then
	CR="$WORK/cache-registry"
	mkdir -p "$CR"
	if ! command -v docker-registry >/dev/null || ! command -v htpasswd >/dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry apache2-utils >/dev/null 2>&1
	fi
	P1=$(cr_port)
	if ! command -v docker-registry >/dev/null || ! cr_registry main "$P1"; then
		fail "cache-registry: prerequisite: Debian's docker-registry on 127.0.0.1:$P1" "$(tail -n3 "$CR/reg-main/log" 2>/dev/null)"
	else
		IMG="docker-image://127.0.0.1:$P1/team/cache"
		# --- machine A: the shared engine, an empty store, publishing ---
		A="$CR/a/project"
		copy_fixture "$A"
		aenv="XDG_CACHE_HOME=$CR/xdg-a CARGO_INCREMENTAL=0 CARGOGREEN_CACHE_IMAGES=$IMG CARGOGREEN_CACHE_PRIVATE=1"
		(cd "$A" && env $aenv cargo green build >/dev/null 2>"$CR/a.err"); rc=$?
		n=$(cr_tags main team/cache)
		check "cache-registry: machine A's cold build publishes every compile it made ($n tags; exit $rc)" \
			bash -c "[ $rc -eq 0 ] && [ $n -gt 30 ] && grep -q 'compiles written to the cache image 127.0.0.1:$P1/team/cache' '$CR/a.err'"
		check "cache-registry: …and, at its end, the index of its build: one tag ($(cr_indexes main team/cache | cut -c1-18))" \
			bash -c "[ $(cr_indexes main team/cache | wc -l) -eq 1 ]"

		# --- machine B: another engine, its own base, an empty store, another CARGO_HOME and path ---
		if cr_e2_start; then
			B="$CR/b/elsewhere/project"
			copy_fixture "$B"
			benv="DOCKER_HOST=unix://$CR/e2/run/docker.sock XDG_CACHE_HOME=$CR/xdg-b CARGO_HOME=$CR/cargo-home-b CARGO_INCREMENTAL=0 CARGOGREEN_CACHE_FROM_IMAGES=$IMG"
			(cd "$B" && env $benv cargo green fetch >/dev/null 2>"$CR/b-fetch.err"); rc=$?
			check "cache-registry: machine B's engine makes its own base (exit $rc)" test $rc -eq 0
			grep -h '^# base identity' <(cd "$A" && env $aenv cargo supergreen env CARGOGREEN_BASE_IMAGE 2>/dev/null) >"$CR/a.ident"
			grep -h '^# base identity' <(cd "$B" && env $benv cargo supergreen env CARGOGREEN_BASE_IMAGE 2>/dev/null) >"$CR/b.ident"
			check "cache-registry: supergreen env says the base's identity, the same on both engines (rustc, OS, packages)" \
				bash -c "grep -q 'sha256:[0-9a-f]\{64\} (rustc .*packages)' '$CR/a.ident' && diff '$CR/a.ident' '$CR/b.ident' >&2"
			t0=$(date +%s.%N)
			(cd "$B" && env $benv cargo green build >/dev/null 2>"$CR/b.err" && ./target/debug/app >"$CR/b.out"); rc=$?
			t1=$(date +%s.%N)
			st=$(cr_stat "$CR/b.err")
			check "cache-registry: machine B gets every compile from the registry: 0 compiles run ($st; exit $rc; $(echo "$t1 - $t0" | bc) s)" \
				bash -c "[ $rc -eq 0 ] && [ '${st#* }' = 0 ] && [ '${st% *}' -gt 30 ] && grep -q 'hello from build.rs' '$CR/b.out'"
			check "cache-registry: …its binary byte-identical to A's" cmp "$A/target/debug/app" "$B/target/debug/app"
			read -r pf listed <<<"$(cr_prefetched "$CR/b.err")"
			check "cache-registry: …B's plugin read A's index before cargo and prefetched what it lists into the store (${pf:-0} of ${listed:-0} prefetched, the rest fetched by their wrappers; $(grep -o '[0-9]* compiles read' "$CR/b.err"))" \
				bash -c "[ '${listed:-0}' -eq $n ] && [ '${pf:-0}' -ge $((n / 2)) ] && grep -q '^cargo-green: ${st% *} compiles read from the cache image 127.0.0.1:$P1/team/cache$' '$CR/b.err'"
			check "cache-registry: …the same keys on both machines (the local stores hold the same entries)" \
				bash -c "[ -n \"\$(cr_keys '$CR/xdg-a')\" ] && diff <(cr_keys '$CR/xdg-a') <(cr_keys '$CR/xdg-b') >&2"
			check "cache-registry: cache-from-images only reads: B wrote nothing" \
				bash -c "[ $(cr_tags main team/cache) -eq $n ] && ! grep -q 'written to the cache image' '$CR/b.err'"
			# A damaged blob and a manifest whose blob is gone: each said once, built instead, nothing wrong lands.
			mapfile -t blobs < <(cr_blobs main | xargs ls -S 2>/dev/null | head -n 2)
			head -c 100 "${blobs[0]}" >"$CR/trunc" && cat "$CR/trunc" >"${blobs[0]}"
			rm -f "${blobs[1]}"
			rm -rf "$B/target" "$CR/xdg-b/cargo-green/store"
			(cd "$B" && env $benv cargo green build >/dev/null 2>"$CR/b2.err" && ./target/debug/app >"$CR/b2.out"); rc=$?
			st=$(cr_stat "$CR/b2.err")
			check "cache-registry: a truncated blob and a missing one: the build succeeds, those compiles run ($st; exit $rc), the binary right" \
				bash -c "[ $rc -eq 0 ] && [ '${st#* }' -ge 1 ] && grep -q 'hello from build.rs' '$CR/b2.out' && cmp '$A/target/debug/app' '$B/target/debug/app'"
			check "cache-registry: …each problem said once, in one line" \
				bash -c "[ \$(grep -c 'not read: .*damaged or truncated' '$CR/b2.err') -eq 1 ] && [ \$(grep -c 'not read: .*GET blob: HTTP 404' '$CR/b2.err') -eq 1 ]"
			read -r pf listed <<<"$(cr_prefetched "$CR/b2.err")"
			nb=$(cr_store_whole "$CR/xdg-b" 2>"$CR/b2.store"); rs=$?
			check "cache-registry: …the index listed them and the prefetch failed on those ($pf of $listed prefetched), the local store holds whole entries only ($nb)" \
				bash -c "[ '${listed:-0}' -eq $n ] && [ '${pf:-0}' -le $((n - 2)) ] && [ $rs -eq 0 ] && [ '$nb' -eq $n ]"
			# An index that is not one of ours (a key that is not a key): said once, ignored, the entries read one by one.
			itag=$(cr_indexes main team/cache | head -n1)
			printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.cargo-green.index.v1","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2}],"annotations":{"org.cargo-green.keys":"../../etc/passwd"}}' >"$CR/bad-index.json"
			curl -s -o /dev/null -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary @"$CR/bad-index.json" \
				"http://127.0.0.1:$P1/v2/team/cache/manifests/$itag"
			rm -rf "$B/target" "$CR/xdg-b/cargo-green/store"
			(cd "$B" && env $benv cargo green build >/dev/null 2>"$CR/b3.err" && ./target/debug/app >"$CR/b3.out"); rc=$?
			st=$(cr_stat "$CR/b3.err")
			check "cache-registry: a corrupt index: said once, the build succeeds from the registry all the same ($st; exit $rc), the binary right, nothing prefetched" \
				bash -c "[ $rc -eq 0 ] && [ \$(grep -c 'not read: .*the index lists' '$CR/b3.err') -eq 1 ] && ! grep -q 'entries prefetched' '$CR/b3.err' && grep -q 'compiles read from the cache image 127.0.0.1:$P1/team/cache' '$CR/b3.err' && grep -q 'hello from build.rs' '$CR/b3.out' && cmp '$A/target/debug/app' '$B/target/debug/app'"

			# --- the edit loop's profile (incremental) on both: the workspace's crates, compiled by
			# A's local rustc in its sandbox, are written too (cache-private); B compiles none ---
			IMGI="docker-image://127.0.0.1:$P1/team/incr"
			AI="$CR/ai/project" BI="$CR/bi/elsewhere/project"
			copy_fixture "$AI"
			copy_fixture "$BI"
			(cd "$AI" && env XDG_CACHE_HOME="$CR/xdg-ai" CARGOGREEN_CACHE_IMAGES="$IMGI" CARGOGREEN_CACHE_PRIVATE=1 cargo green build >/dev/null 2>"$CR/ai.err"); rc=$?
			read -r N H M F P L E I <<<"$(stats "$CR/ai.err")"
			check "cache-registry: A in the incremental profile: its workspace's crates compiled locally (${I:-0}) are written too, once saved ($(cr_tags main team/incr) tags; exit $rc)" \
				bash -c "[ $rc -eq 0 ] && [ '${I:-0}' -ge 2 ] && [ $(cr_tags main team/incr) -ge \$(( ${N:-99} + ${I:-99} )) ]"
			(cd "$BI" && env DOCKER_HOST="unix://$CR/e2/run/docker.sock" XDG_CACHE_HOME="$CR/xdg-bi" CARGO_HOME="$CR/cargo-home-b" CARGOGREEN_CACHE_FROM_IMAGES="$IMGI" \
				cargo green build >/dev/null 2>"$CR/bi.err" && ./target/debug/app >"$CR/bi.out"); rc=$?
			read -r N H M F P L E I <<<"$(stats "$CR/bi.err")"
			check "cache-registry: …B in the same profile compiles nothing, its workspace's crates included (${N:-0} compiles, ${H:-0} cached, ${I:-?} compiled locally; exit $rc), its binary A's" \
				bash -c "[ $rc -eq 0 ] && [ '${N:-0}' -gt 30 ] && [ '${H:-0}' -eq '${N:-1}' ] && [ '${I:-1}' -eq 0 ] && grep -q 'hello from build.rs' '$CR/bi.out' && cmp '$AI/target/debug/app' '$BI/target/debug/app'"
		else
			fail "cache-registry: prerequisite: a second engine (scripts/engine.sh on private paths)" "$(tail -n3 "$CR/e2-start.log")"
		fi
		cr_e2_stop

		# --- what never goes out: by default only crates.io's units; a secret's value never ---
		D="$CR/default/project"
		copy_fixture "$D"
		(cd "$D" && env XDG_CACHE_HOME="$CR/xdg-d" CARGO_INCREMENTAL=0 CARGOGREEN_CACHE_TO_IMAGES="docker-image://127.0.0.1:$P1/team/public" \
			cargo green build >/dev/null 2>"$CR/d.err"); rc=$?
		nd=$(cr_tags main team/public)
		mkdir -p "$CR/listing"
		for b in $(cr_blobs main); do
			if zstd -qdc "$b" 2>/dev/null | tar -t >/dev/null 2>&1; then
				zstd -qdc "$b" 2>/dev/null | tar -t 2>/dev/null | sed "s|^|$(basename "$(dirname "$b")") |"
			fi
		done >"$CR/listing/all"
		# The blobs of team/public only: the layers its manifests name.
		for m in "$CR"/reg-main/data/docker/registry/v2/repositories/team/public/_manifests/tags/*/current/link; do
			d=$(cut -d: -f2 <"$m")
			grep -o 'sha256:[0-9a-f]\{64\}' "$CR/reg-main/data/docker/registry/v2/blobs/sha256/${d:0:2}/$d/data" | sed -n 2p
		done | sort -u | cut -d: -f2 >"$CR/listing/public-layers"
		: >"$CR/listing/public-files"
		while read -r l; do zstd -qdc "$CR/reg-main/data/docker/registry/v2/blobs/sha256/${l:0:2}/$l/data" | tar -t >>"$CR/listing/public-files"; done <"$CR/listing/public-layers" 2>/dev/null
		: >"$CR/listing/public-bytes"
		while read -r l; do zstd -qdc "$CR/reg-main/data/docker/registry/v2/blobs/sha256/${l:0:2}/$l/data" | tar -xO >>"$CR/listing/public-bytes"; done <"$CR/listing/public-layers" 2>/dev/null
		check "cache-registry: by default only crates.io's compiles are written ($nd tags; exit $rc), none of the workspace's (greet, app)" \
			bash -c "[ $rc -eq 0 ] && [ $nd -gt 20 ] && [ $nd -lt $n ] && [ -s '$CR/listing/public-files' ] && ! grep -E 'greet|[/-]app[-.]|/app$' '$CR/listing/public-files' >&2 && ! grep -q 'hello from build.rs' '$CR/listing/public-bytes'"
		# A secret, and a build script that writes its value into OUT_DIR.
		S="$CR/secret/project"
		copy_fixture "$S"
		secret="green-secret-$RANDOM$RANDOM-value"
		sed -i 's|^    let out = env::var("OUT_DIR").unwrap();|&\n    if let Ok(v) = env::var("GREEN_TOKEN") { fs::write(Path::new(\&out).join("leak.txt"), v).unwrap(); }|' "$S/greet/build.rs"
		(cd "$S" && env XDG_CACHE_HOME="$CR/xdg-s" CARGO_INCREMENTAL=0 GREEN_TOKEN="$secret" CARGOGREEN_SET_ENVS=GREEN_TOKEN \
			CARGOGREEN_CACHE_TO_IMAGES="docker-image://127.0.0.1:$P1/team/secret" cargo green build >/dev/null 2>"$CR/s1.err"); rc=$?
		ns=$(cr_tags main team/secret)
		check "cache-registry: units given a secret are not written by default ($ns tags; exit $rc)" \
			bash -c "[ $rc -eq 0 ] && [ $ns -eq 0 ] && grep -q '$secret' '$S'/target/debug/build/greet-*/out/leak.txt"
		rm -rf "$S/target" "$CR/xdg-s"
		(cd "$S" && env XDG_CACHE_HOME="$CR/xdg-s" CARGO_INCREMENTAL=0 GREEN_TOKEN="$secret" CARGOGREEN_SET_ENVS=GREEN_TOKEN \
			CARGOGREEN_CACHE_PRIVATE=1 CARGOGREEN_CACHE_TO_IMAGES="docker-image://127.0.0.1:$P1/team/secret" cargo green build >/dev/null 2>"$CR/s2.err"); rc=$?
		ns=$(cr_tags main team/secret)
		for b in $(cr_blobs main); do zstd -qdc "$b" 2>/dev/null | tar -xO 2>/dev/null; cat "$b"; done >"$CR/listing/every-byte"
		check "cache-registry: with cache-private, the others are written ($ns tags), the entry holding the secret's value is not, said once; no blob holds the value (exit $rc)" \
			bash -c "[ $rc -eq 0 ] && [ $ns -gt 20 ] && [ \$(grep -c 'holds the value of one of its secrets' '$CR/s2.err') -eq 1 ] && ! grep -qF '$secret' '$CR/listing/every-byte'"

		# --- supergreen push: what the last build used ---
		(cd "$D" && env XDG_CACHE_HOME="$CR/xdg-d" CARGOGREEN_CACHE_IMAGES="docker-image://127.0.0.1:$P1/team/pushed" cargo supergreen push >"$CR/push.out" 2>"$CR/push.err"); rc=$?
		check "cache-registry: supergreen push writes what the last build used, with a progress line (exit $rc, $(cr_tags main team/pushed) tags)" \
			bash -c "[ $rc -eq 0 ] && [ $(cr_tags main team/pushed) -eq $nd ] && grep -q 'push 127.0.0.1:$P1/team/pushed: $nd/$nd ($nd written' '$CR/push.err'"

		# --- faults: a registry down, a 401 ---
		F="$CR/faults/project"
		copy_fixture "$F"
		down=$(cr_port)
		(cd "$F" && env XDG_CACHE_HOME="$CR/xdg-f" CARGO_INCREMENTAL=0 CARGOGREEN_CACHE_IMAGES="docker-image://127.0.0.1:$down/x" \
			cargo green build >/dev/null 2>"$CR/down.err" && ./target/debug/app >"$CR/down.out"); rc=$?
		check "cache-registry: a registry that is down: the build succeeds, one line for reading and one for writing (exit $rc)" \
			bash -c "[ $rc -eq 0 ] && grep -q 'hello from build.rs' '$CR/down.out' && [ \$(grep -c 'cargo-green: warning: cache image 127.0.0.1:$down/x: not read: .*cannot reach' '$CR/down.err') -eq 1 ] && [ \$(grep -c 'cargo-green: warning: cache image 127.0.0.1:$down/x: not written: .*cannot reach' '$CR/down.err') -eq 1 ] && [ \$(grep -c 'cargo-green: warning: cache image' '$CR/down.err') -eq 2 ]"
		P2=$(cr_port)
		if cr_registry auth "$P2" auth; then
			rm -rf "$F/target"
			(cd "$F" && env XDG_CACHE_HOME="$CR/xdg-f2" DOCKER_CONFIG="$CR/no-docker-config" CARGO_INCREMENTAL=0 CARGOGREEN_CACHE_IMAGES="docker-image://127.0.0.1:$P2/team/c" \
				cargo green build >/dev/null 2>"$CR/401.err"); rc=$?
			check "cache-registry: a 401 (no credentials): the build succeeds, one line each way naming HTTP 401 and docker login (exit $rc)" \
				bash -c "[ $rc -eq 0 ] && [ \$(grep -c 'cargo-green: warning: cache image' '$CR/401.err') -eq 2 ] && grep 'not read:' '$CR/401.err' | grep -q 'HTTP 401.*docker login' && [ $(cr_tags auth team/c) -eq 0 ]"
			# Basic auth with the credentials of config.json's auths.
			mkdir -p "$CR/docker-config"
			printf '{"auths":{"127.0.0.1:%s":{"auth":"%s"}}}\n' "$P2" "$(printf 'green:s3cret-pass' | base64)" >"$CR/docker-config/config.json"
			rm -rf "$F/target"
			(cd "$F" && env XDG_CACHE_HOME="$CR/xdg-f3" DOCKER_CONFIG="$CR/docker-config" CARGO_INCREMENTAL=0 CARGOGREEN_CACHE_IMAGES="docker-image://127.0.0.1:$P2/team/c" \
				cargo green build >/dev/null 2>"$CR/basic.err"); rc=$?
			check "cache-registry: basic auth (htpasswd) with config.json's credentials: written ($(cr_tags auth team/c) tags; exit $rc)" \
				bash -c "[ $rc -eq 0 ] && [ $(cr_tags auth team/c) -gt 20 ] && ! grep -q 'cargo-green: warning: cache image' '$CR/basic.err'"
		else
			fail "cache-registry: prerequisite: a registry with htpasswd auth" "$(tail -n3 "$CR/reg-auth/log")"
		fi
		cr_registry_stop auth
		# The bearer-token flow: the registry's own token auth, a token server of the test's own
		# (tests/token_server.py: JWTs signed with openssl, only for the right Basic credentials).
		mkdir -p "$CR/token"
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=green-token" -keyout "$CR/token/key" -out "$CR/token/crt" >/dev/null 2>&1
		P4=$(cr_port) P5=$(cr_port)
		python3 "$ROOT/tests/token_server.py" "$P5" "$CR/token/key" "$CR/token/crt" green s3cret-pass green-issuer "$CR/token/log" 			>"$CR/token/out" 2>&1 &
		tpid=$!
		mkdir -p "$CR/reg-token/data"
		printf 'version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\nauth:\n  token:\n    realm: http://127.0.0.1:%s/token\n    service: green-registry\n    issuer: green-issuer\n    rootcertbundle: %s\n' \
			"$CR/reg-token/data" "$P4" "$P5" "$CR/token/crt" >"$CR/reg-token/config.yml"
		docker-registry serve "$CR/reg-token/config.yml" >"$CR/reg-token/log" 2>&1 &
		echo $! >"$CR/reg-token/pid"
		for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$P4/v2/" && curl -s -o /dev/null "http://127.0.0.1:$P5/" && break; sleep 0.1; done
		mkdir -p "$CR/docker-config-token"
		printf '{"auths":{"127.0.0.1:%s":{"auth":"%s"}}}\n' "$P4" "$(printf 'green:s3cret-pass' | base64)" >"$CR/docker-config-token/config.json"
		rm -rf "$F/target"
		mkdir -p "$CR/tmp-tok"
		(cd "$F" && env TMPDIR="$CR/tmp-tok" XDG_CACHE_HOME="$CR/xdg-f6" DOCKER_CONFIG="$CR/docker-config-token" CARGO_INCREMENTAL=0 CARGOGREEN_CACHE_IMAGES="docker-image://127.0.0.1:$P4/team/tok" \
			cargo green build >/dev/null 2>"$CR/token1.err"); rc=$?
		nt=$(cr_tags token team/tok)
		asked=$(grep -c . "$CR/token/log")
		check "cache-registry: bearer tokens (WWW-Authenticate: Bearer realm=...) from a token server, with config.json's credentials: written ($nt tags; exit $rc)" \
			bash -c "[ $rc -eq 0 ] && [ $nt -gt 20 ] && grep -qE '^ok repository:team/tok:(pull,push|push,pull)' '$CR/token/log' && ! grep -q 'cargo-green: warning: cache image' '$CR/token1.err'"
		# (the scope as the registry's challenge orders it: distribution says
		# pull,push or push,pull by the request that was challenged first)
		# Each compile's lookup and each write is a process: tokens are shared by the run (102 asked before, for 32 writes).
		check "cache-registry: …a token asked once per scope in the run, not per compile ($asked asked), none left on disk after it" \
			bash -c "[ $asked -ge 2 ] && [ $asked -le 5 ] && ! ls '$CR/tmp-tok' | grep -q '^cargo-green-stats' && ! grep -rqs 'eyJ' '$CR/tmp-tok'"
		rm -rf "$F/target"
		(cd "$F" && env XDG_CACHE_HOME="$CR/xdg-f7" DOCKER_CONFIG="$CR/docker-config-token" CARGO_INCREMENTAL=0 CARGOGREEN_CACHE_FROM_IMAGES="docker-image://127.0.0.1:$P4/team/tok" \
			cargo green build >/dev/null 2>"$CR/token2.err"); rc=$?
		asked=$(($(grep -c . "$CR/token/log") - asked))
		check "cache-registry: …and read back through a pull token ($(grep -o '[0-9]* compiles read' "$CR/token2.err"), $asked token asked; exit $rc)" \
			bash -c "[ $rc -eq 0 ] && grep -q '^cargo-green: $nt compiles read from the cache image 127.0.0.1:$P4/team/tok' '$CR/token2.err' && grep -q '^ok repository:team/tok:pull$' '$CR/token/log' && [ $asked -ge 1 ] && [ $asked -le 2 ]"
		rm -rf "$F/target"
		(cd "$F" && env XDG_CACHE_HOME="$CR/xdg-f8" DOCKER_CONFIG="$CR/no-docker-config" CARGO_INCREMENTAL=0 CARGOGREEN_CACHE_IMAGES="docker-image://127.0.0.1:$P4/team/tok2" \
			cargo green build >/dev/null 2>"$CR/token3.err"); rc=$?
		check "cache-registry: the token server refusing (no credentials): the build succeeds, one line each way (exit $rc)" \
			bash -c "[ $rc -eq 0 ] && [ \$(grep -c 'cargo-green: warning: cache image 127.0.0.1:$P4/team/tok2: not .*token server' '$CR/token3.err') -eq 2 ]"
		cr_registry_stop token
		kill "$tpid" 2>/dev/null; wait "$tpid" 2>/dev/null
		# TLS with a CA of the test's own, where docker looks for it (certs.d under XDG_CONFIG_HOME).
		mkdir -p "$CR/tls"
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=green-test-ca" -keyout "$CR/tls/ca.key" -out "$CR/tls/ca.crt" >/dev/null 2>&1
		openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$CR/tls/server.key" -out "$CR/tls/server.csr" >/dev/null 2>&1
		printf 'subjectAltName=IP:127.0.0.1\n' >"$CR/tls/san"
		openssl x509 -req -in "$CR/tls/server.csr" -CA "$CR/tls/ca.crt" -CAkey "$CR/tls/ca.key" -CAcreateserial -days 2 \
			-extfile "$CR/tls/san" -out "$CR/tls/server.crt" >/dev/null 2>&1
		P3=$(cr_port)
		if cr_registry tls "$P3" "" tls; then
			rm -rf "$F/target"
			(cd "$F" && env XDG_CACHE_HOME="$CR/xdg-f4" XDG_CONFIG_HOME="$CR/no-config" CARGO_INCREMENTAL=0 CARGOGREEN_CACHE_IMAGES="docker-image://127.0.0.1:$P3/team/t" \
				cargo green build >/dev/null 2>"$CR/tls0.err"); rc=$?
			check "cache-registry: TLS without the CA: the build succeeds, nothing written, said once each way (exit $rc)" \
				bash -c "[ $rc -eq 0 ] && [ $(cr_tags tls team/t) -eq 0 ] && [ \$(grep -c 'cargo-green: warning: cache image' '$CR/tls0.err') -eq 2 ]"
			mkdir -p "$CR/config/docker/certs.d/127.0.0.1:$P3"
			cp "$CR/tls/ca.crt" "$CR/config/docker/certs.d/127.0.0.1:$P3/ca.crt"
			rm -rf "$F/target"
			(cd "$F" && env XDG_CACHE_HOME="$CR/xdg-f5" XDG_CONFIG_HOME="$CR/config" CARGO_INCREMENTAL=0 CARGOGREEN_CACHE_IMAGES="docker-image://127.0.0.1:$P3/team/t" \
				cargo green build >/dev/null 2>"$CR/tls1.err"); rc=$?
			check "cache-registry: TLS with the test's own CA in certs.d: written ($(cr_tags tls team/t) tags; exit $rc)" \
				bash -c "[ $rc -eq 0 ] && [ $(cr_tags tls team/t) -gt 20 ] && ! grep -q 'cargo-green: warning: cache image' '$CR/tls1.err'"
		else
			fail "cache-registry: prerequisite: a registry with TLS" "$(tail -n3 "$CR/reg-tls/log")"
		fi
		cr_registry_stop tls
	fi
	cr_registry_stop main
fi
