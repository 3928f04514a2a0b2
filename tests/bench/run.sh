#!/usr/bin/env bash
# make bench: nestbed's benchmarks side by side with Linux and the kernel's
# limits; one table on stdout, build/bench/results.json, PNGs if matplotlib.
#   tests/bench/run.sh [--quick]
# Builds what it needs (nestbed, nestbed-node, the C helpers in tests/bench/).
# Everything it creates is named with a prefix unique to this invocation
# (bn<pid>) and removed by name at the end, pass or fail. Exit status is 1
# only if a digest/pattern check or a run failed, never for a low figure.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 3
QUICK=
[ "${1:-}" = "--quick" ] && QUICK=--quick
if [ "$(id -u)" != 0 ]; then
	echo "bench: needs root (namespaces, veths, AF_PACKET)" >&2
	exit 3
fi
make -s --no-print-directory all || exit 1
BIN=build/bench/bin
mkdir -p "$BIN"
for p in bench_tcp bench_raw bench_ctl; do
	if [ ! -x "$BIN/$p" ] || [ "tests/bench/$p.c" -nt "$BIN/$p" ]; then
		${CC:-cc} -std=gnu11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Wshadow \
			-o "$BIN/$p" "tests/bench/$p.c" || exit 1
	fi
done

export NESTBED_PREFIX="bn$(( $$ % 1000000 ))"
cleanup() {
	build/nestbed -q clean --all >/dev/null 2>&1
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$NESTBED_PREFIX-"); do
		ip netns delete "$ns" 2>/dev/null
	done
}
trap cleanup EXIT
trap 'exit 1' INT TERM

PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3   # Debian's, where python3-matplotlib lives
"$PY" tests/bench/bench.py "$ROOT" "$BIN" $QUICK
status=$?
"$PY" tools/bench_plot.py build/bench/results.json build/bench || true
exit $status
