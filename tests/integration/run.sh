#!/usr/bin/env bash
# Integration tests: real namespaces, real nodes, real Linux hosts.
#   tests/integration/run.sh BUILD_DIR [TEST...]
# Every topology in topologies/ must run and pass; the cases under
# tests/integration/cases/ check what a run must do when things go wrong.
# Everything is named with a prefix unique to this invocation and removed by
# name at the end, pass or fail.
set -u
BUILD=${1:?usage: run.sh BUILD_DIR [TEST...]}
shift
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
NB="$ROOT/$BUILD/nestbed"
[ -x "$NB" ] || NB="$BUILD/nestbed"
export NESTBED_NODE="$(dirname "$NB")/nestbed-node"
export NESTBED_PREFIX="it$(( $$ % 1000000 ))"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
OUT=$(mktemp -d /tmp/nestbed-it.XXXXXX)
pass=0; fail=0; failed=()
ONLY=("$@")

cleanup() {
	"$NB" clean --all -q >/dev/null 2>&1
	local left
	left=$(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$NESTBED_PREFIX-" || true)
	if [ -n "$left" ]; then
		echo "integration: LEAK: namespaces left behind: $left"
		for ns in $left; do ip netns delete "$ns" 2>/dev/null; done
	fi
}
trap cleanup EXIT

wanted() {
	[ ${#ONLY[@]} -eq 0 ] && return 0
	local t
	for t in "${ONLY[@]}"; do [ "$t" = "$1" ] && return 0; done
	return 1
}

# leaks: fails if anything of ours is left (namespaces, nodes, state).
leaks() {
	local ns procs
	ns=$(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$NESTBED_PREFIX-" || true)
	procs=$(pgrep -x nestbed-node 2>/dev/null | while read -r p; do
		tr '\0' ' ' < /proc/$p/cmdline 2>/dev/null | grep -q -- "/run/nestbed/$NESTBED_PREFIX-" && echo "$p"; done)
	if [ -n "$ns$procs" ] || ls -d /run/nestbed/"$NESTBED_PREFIX"-* >/dev/null 2>&1; then
		echo "    left behind: namespaces [$ns] nodes [$procs] state [$(ls -d /run/nestbed/"$NESTBED_PREFIX"-* 2>/dev/null)]"
		return 1
	fi
	return 0
}

# check NAME CMD...: runs one test function, records the result.
check() {
	local name=$1; shift
	wanted "$name" || return 0
	local start=$SECONDS log="$OUT/$name.log"
	if "$@" >"$log" 2>&1 && leaks >>"$log" 2>&1; then
		pass=$((pass + 1)); printf '  ok    %-34s %3ds\n' "$name" $((SECONDS - start))
	else
		fail=$((fail + 1)); failed+=("$name")
		printf '  FAIL  %-34s %3ds\n' "$name" $((SECONDS - start))
		sed 's/^/    | /' "$log" | tail -n 60
		"$NB" clean --all -q >/dev/null 2>&1
	fi
}

# Every topology file passes.
topo_passes() {
	"$NB" run "$1" --out "$OUT/$(basename "$1" .topo)"
}
for f in "$ROOT"/topologies/*.topo; do
	check "topo:$(basename "$f" .topo)" topo_passes "$f"
done

# Each case script defines the checks it needs (sourced, so it sees NB, OUT).
for c in "$ROOT"/tests/integration/cases/*.sh; do
	[ -e "$c" ] || continue
	# shellcheck source=/dev/null
	. "$c"
done

echo "integration: $pass passed, $fail failed"
[ $fail -eq 0 ] || { echo "failing: ${failed[*]}"; echo "artifacts kept in $OUT"; exit 1; }
rm -rf "$OUT"
