# cases/cli.sh: what a run does when the input is wrong or the run is cut
# short. Sourced by run.sh (NB, OUT, ROOT, check are defined there).
CASES="$ROOT/tests/integration/cases"

# A broken topology file: exit 2, file:line:col in the message, nothing created.
bad_file_exit_2() {
	local rc=0
	"$NB" run "$CASES/broken.topo" --out "$OUT/broken" 2>"$OUT/broken.err" || rc=$?
	cat "$OUT/broken.err"
	[ $rc -eq 2 ] || { echo "exit $rc, want 2"; return 1; }
	grep -q 'broken.topo:[0-9]*:[0-9]*: error:' "$OUT/broken.err"
}
check cli:bad-file-exit-2 bad_file_exit_2

# A failing expectation: exit 1, and the JUnit report names the step.
failing_expect_exit_1() {
	local rc=0
	"$NB" run "$CASES/failing.topo" --out "$OUT/failing" || rc=$?
	[ $rc -eq 1 ] || { echo "exit $rc, want 1"; return 1; }
	grep -q '<failure' "$OUT/failing/junit.xml" || { echo "no <failure> in junit.xml"; return 1; }
	grep -q 'failing.topo:[0-9]*\|line [0-9]*\|[0-9]*: ' "$OUT/failing/junit.xml"
}
check cli:failing-expect-exit-1 failing_expect_exit_1

# Usage errors: exit 2 with a message; help exits 0.
usage_errors() {
	local rc=0
	"$NB" frobnicate 2>/dev/null || rc=$?
	[ $rc -eq 2 ] || { echo "unknown command: exit $rc"; return 1; }
	rc=0; "$NB" run 2>/dev/null || rc=$?
	[ $rc -eq 2 ] || { echo "run without file: exit $rc"; return 1; }
	rc=0; "$NB" run /nonexistent.topo 2>/dev/null || rc=$?
	[ $rc -eq 2 ] || { echo "missing file: exit $rc"; return 1; }
	rc=0; "$NB" ss '../x:h' 2>/dev/null || rc=$?
	[ $rc -eq 2 ] || { echo "ss with a path for a lab: exit $rc"; return 1; }
	"$NB" --help | grep -q 'Commands:'
}
check cli:usage-errors usage_errors

# kill -9 of a running nestbed: no node survives, clean leaves nothing.
kill9_then_clean() {
	"$NB" run "$CASES/long.topo" --out "$OUT/long" >/dev/null 2>&1 &
	local pid=$! i
	for i in $(seq 100); do
		[ -S "/run/nestbed/$NESTBED_PREFIX-long/a.sock" ] && break
		sleep 0.1
	done
	sleep 0.5
	kill -9 $pid; wait $pid 2>/dev/null
	sleep 0.3
	local nodes
	nodes=$(pgrep -x nestbed-node | while read -r p; do
		tr '\0' ' ' < /proc/$p/cmdline 2>/dev/null | grep -q -- "$NESTBED_PREFIX-long" && echo "$p"; done)
	[ -z "$nodes" ] || { echo "nodes survived: $nodes"; return 1; }
	"$NB" clean
}
check cli:kill9-then-clean kill9_then_clean

# --keep leaves a failed lab up for inspection; down removes it.
keep_then_down() {
	local rc=0
	"$NB" run "$CASES/failing.topo" --keep --out "$OUT/keep" || rc=$?
	[ $rc -eq 1 ] || { echo "exit $rc, want 1"; return 1; }
	"$NB" list | grep -q '^failing' || { echo "lab not listed after --keep"; return 1; }
	ip netns list | grep -q "^$NESTBED_PREFIX-failing-" || { echo "namespaces gone after --keep"; return 1; }
	"$NB" ss failing:a | grep -q 'Proto' || { echo "ss failed on a kept lab"; return 1; }
	# no such host in a lab that is up: the caller's mistake (2)
	rc=0; "$NB" ss failing:zz 2>/dev/null || rc=$?
	[ $rc -eq 2 ] || { echo "ss on a missing host: exit $rc, want 2"; return 1; }
	rc=0; "$NB" exec failing:zz true 2>/dev/null || rc=$?
	[ $rc -eq 2 ] || { echo "exec on a missing host: exit $rc, want 2"; return 1; }
	"$NB" down failing
}
check cli:keep-then-down keep_then_down

# No such lab: every command that takes one says so the same way, exit 3.
no_such_lab() {
	local cmd rc
	for cmd in "down nolab" "ss nolab:h" "exec nolab:h true" "do nolab heal"; do
		rc=0
		# shellcheck disable=SC2086
		"$NB" $cmd 2>"$OUT/nolab.err" || rc=$?
		[ $rc -eq 3 ] || { echo "$cmd: exit $rc, want 3"; return 1; }
		grep -q "no lab named 'nolab' is up" "$OUT/nolab.err" || { echo "$cmd: $(cat "$OUT/nolab.err")"; return 1; }
	done
}
check cli:no-such-lab no_such_lab

# Artifacts: reports, dumps, logs, and pcaps that tcpdump reads.
artifacts() {
	local d="$OUT/topo:ping"
	d="$OUT/ping"
	[ -d "$d" ] || "$NB" run "$ROOT/topologies/ping.topo" --out "$d" >/dev/null
	for f in summary.json junit.xml alpha/node.log alpha/final.sockets.txt alpha/final.sockets.json \
		alpha/final.stats.json alpha/eth0.pcap; do
		[ -s "$d/$f" ] || { echo "missing artifact $f"; return 1; }
	done
	tcpdump -nr "$d/alpha/eth0.pcap" 2>/dev/null | grep -q 'ICMP echo request' ||
		{ echo "pcap has no ICMP echo"; return 1; }
	python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$d/summary.json"
}
check cli:artifacts artifacts

# Impaired links report what they did: links.json/links.txt with verdicts.
link_report() {
	local d="$OUT/lossy"
	[ -f "$d/summary.json" ] || "$NB" -q run "$ROOT/topologies/lossy.topo" --out "$d" || return 1
	[ -s "$d/links.txt" ] || { echo "no links.txt"; return 1; }
	python3 - "$d/links.json" <<'PY'
import json, sys
links = json.load(open(sys.argv[1]))
assert len(links) == 2, links
for l in links:
    assert l["spec"] == "loss 5%", l
    assert l["verdict"]["loss"] == "ok", l
    assert l["sent"] > 1000 and 0.03 < l["loss_rate"] < 0.07, l
PY
}
check cli:link-report link_report

# The reference documents every stack parameter the node accepts.
docs_cover_params() {
	local missing=0 p
	for p in $(grep -oE '^\s+X\([a-z_0-9]+, +"[a-z0-9_.]+"' "$ROOT/node/params.h" | grep -oE '"[^"]+"' | tr -d '"'); do
		grep -q "| \`$p\` |" "$ROOT/topologies/REFERENCE.md" || { echo "REFERENCE.md lacks $p"; missing=1; }
	done
	return $missing
}
check cli:docs-cover-params docs_cover_params
