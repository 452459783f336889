# cache_registry_lib.sh: helpers for a registry and a second engine of a
# test's or a benchmark's own (sourced by tests/e2e_cache_registry*.sh and
# bench/registry.sh). Needs $ROOT (the repository) and $CR (a work dir of
# the caller's own: registries under $CR/reg-NAME, the engine under $CR/e2).

# cr_port: a free TCP port on 127.0.0.1.
cr_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# cr_registry NAME PORT [auth] [tls]: a registry of its own config and storage under $CR/reg-NAME.
cr_registry() {
	local d="$CR/reg-$1" port=$2 extra=""
	mkdir -p "$d/data"
	if [ "${3:-}" = auth ]; then
		htpasswd -Bbc "$d/htpasswd" green "s3cret-pass" >/dev/null 2>&1
		extra="auth:
  htpasswd:
    realm: green-test
    path: $d/htpasswd"
	fi
	{
		printf 'version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\n' "$d/data"
		printf 'http:\n  addr: 127.0.0.1:%s\n' "$port"
		if [ "${4:-}" = tls ]; then printf '  tls:\n    certificate: %s\n    key: %s\n' "$CR/tls/server.crt" "$CR/tls/server.key"; fi
		[ -n "$extra" ] && printf '%s\n' "$extra"
	} >"$d/config.yml"
	docker-registry serve "$d/config.yml" >"$d/log" 2>&1 &
	echo $! >"$d/pid"
	for _ in $(seq 1 50); do
		curl -sk -o /dev/null "http${4:+s}://127.0.0.1:$port/v2/" && return 0
		sleep 0.1
	done
	return 1
}
cr_registry_stop() { local p; p=$(cat "$CR/reg-$1/pid" 2>/dev/null) && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; return 0; }
# cr_tags NAME REPO: how many entries (tags that are keys) the registry's storage holds for REPO.
cr_tags() { ls "$CR/reg-$1/data/docker/registry/v2/repositories/$2/_manifests/tags" 2>/dev/null | grep -cE '^[0-9a-f]{64}$'; }
# cr_indexes NAME REPO: the index tags of REPO (cacheindex.h), one a line.
cr_indexes() { ls "$CR/reg-$1/data/docker/registry/v2/repositories/$2/_manifests/tags" 2>/dev/null | grep -E '^index-[0-9a-f]{64}$'; }
# cr_prefetched FILE: "prefetched listed" of the last build's prefetch line.
cr_prefetched() { sed -n 's/^cargo-green: \([0-9]*\) entries prefetched from the cache image .* (its index listed \([0-9]*\),.*/\1 \2/p' "$1" | tail -n1; }
# cr_blobs NAME: every blob file of the registry.
cr_blobs() { find "$CR/reg-$1/data/docker/registry/v2/blobs" -name data -type f 2>/dev/null; }
# cr_keys XDG: the local store's keys.
cr_keys() { ls "$1"/cargo-green/store/*/ 2>/dev/null | grep -E '^[0-9a-f]{64}$' | sort; }
export -f cr_keys
# cr_stat FILE: "cached built" of the stats line.
cr_stat() { sed -n 's/^cargo-green: [0-9]* compiles\{0,1\} in BuildKit (\([0-9]*\) cached: .*; \([0-9]*\) built,.*/\1 \2/p' "$1" | tail -n1; }

# cr_store_whole XDG: every entry of the local store matches its manifest
# (.green-sums: each file's size and SHA-256, each link's target); prints the count.
cr_store_whole() {
	python3 - "$1/cargo-green/store" <<-'EOF'
	import glob, hashlib, os, sys
	bad = n = 0
	for sums in glob.glob(os.path.join(sys.argv[1], "*", "*", ".green-sums")):
	    e = os.path.dirname(sums); n += 1
	    for line in open(sums).read().splitlines():
	        path, what = line.split("\t", 1)
	        p = os.path.join(e, path)
	        if what.startswith("l "):
	            ok = os.path.islink(p) and os.readlink(p) == what[2:]
	        else:
	            _, size, digest = what.split(" ")
	            ok = os.path.isfile(p) and os.path.getsize(p) == int(size) and \
	                 (digest == "-" or hashlib.sha256(open(p, "rb").read()).hexdigest() == digest)
	        if not ok:
	            print(f"{e}: {path} is not what its manifest says", file=sys.stderr); bad += 1
	print(n)
	sys.exit(1 if bad else 0)
	EOF
}

cr_e2_start() {
	CARGOGREEN_ENGINE_RUN="$CR/e2/run" CARGOGREEN_ENGINE_DATA="$CR/e2/data/docker" CARGOGREEN_ENGINE_BRIDGE="" \
		DOCKER_HOST="unix://$CR/e2/run/docker.sock" "$ROOT/scripts/engine.sh" >/dev/null 2>"$CR/e2-start.log"
}
cr_e2_stop() {
	local d m p
	d=$(cat "$CR/e2/run/docker.pid" 2>/dev/null) || return 0
	local pids="$d $(ps -o pid= --ppid "$d" 2>/dev/null | tr '\n' ' ')"
	for p in $pids; do kill -TERM "$p" 2>/dev/null; done
	for _ in $(seq 1 60); do
		[ -n "$(for p in $pids; do kill -0 "$p" 2>/dev/null && echo "$p"; done)" ] || break
		sleep 0.5
	done
	for m in $(grep -F " $CR/e2/" /proc/mounts | awk '{print $2}' | sort -r); do umount -l "$m" 2>/dev/null; done
}

