# cases/tcp.sh: what users of the TCP and UDP tour rely on beyond "the
# topologies pass": failing digests are reported precisely, the socket dump
# JSON holds the control block, `nestbed ss` shows a kept lab's sockets the
# way netstat does. Sourced by run.sh (NB, OUT, ROOT, check are defined there).
TCP_CASES="$ROOT/tests/integration/cases"

# A failing digest expectation: exit 1, and junit.xml has a <failure> for
# exactly the steps that failed, naming each step and both digests.
digest_failure_reported() {
	local rc=0 d="$OUT/digest-fail"
	"$NB" run "$TCP_CASES/digest_fail.topo" --out "$d" || rc=$?
	[ $rc -eq 1 ] || { echo "exit $rc, want 1"; return 1; }
	python3 - "$d/junit.xml" <<'PY'
import re, sys, xml.etree.ElementTree as ET
suite = ET.parse(sys.argv[1]).getroot()
failed = {}
for tc in suite.iter("testcase"):
    f = tc.find("failure")
    if f is not None:
        failed[tc.get("line")] = f.get("message")
assert sorted(failed) == ["21", "24"], "failures on lines %s, want 21 and 24" % sorted(failed)
want21 = (r"^line 21: expect web digest == file linux/zeros\.bin: web digest [0-9a-f]{12}\.\.\. "
          r"\(65536 bytes\) != file linux/zeros\.bin [0-9a-f]{12}\.\.\. \(65536 bytes\)$")
want24 = (r"^line 24: expect c digest == hello output: c digest [0-9a-f]{12}\.\.\. \(65536 bytes\) "
          r"!= hello output 2cf24dba5fb0\.\.\. \(5 bytes\)$")
assert re.match(want21, failed["21"]), failed["21"]
assert re.match(want24, failed["24"]), failed["24"]
assert suite.get("failures") == "2", suite.get("failures")
PY
	# the job's output was kept apart from its errors
	[ "$(cat "$d/linux/exec-line22.out")" = hello ] || { echo "exec-line22.out is not 'hello'"; return 1; }
	[ -e "$d/linux/exec-line22.err" ] || { echo "no exec-line22.err"; return 1; }
}
check tcp:digest-failure-reported digest_failure_reported

# The socket dump at the end of bulk.topo: strict JSON, and each end's
# connection holds the control block; the two ends agree on the sequence
# numbers (all sent is acknowledged and received).
bulk_dump_json() {
	local d="$OUT/bulk" line
	[ -f "$d/summary.json" ] || "$NB" run "$ROOT/topologies/bulk.topo" --out "$d" >/dev/null || return 1
	line=$(grep -n '^dump sockets' "$ROOT/topologies/bulk.topo" | tail -n 1 | cut -d: -f1)
	python3 - "$d/sender/dump-line$line.sockets.json" "$d/receiver/dump-line$line.sockets.json" <<'PY'
import json, sys
keys = ["snd_una", "snd_nxt", "rcv_nxt", "srtt_ns", "rto_ns", "cwnd", "mss", "snd_wnd", "rcv_wnd"]
conns = []
for path in sys.argv[1:]:
    dump = json.load(open(path))
    tcp = [s for s in dump["sockets"] if s["proto"] == "tcp" and s["state"] == "ESTABLISHED"]
    assert len(tcp) == 1, "%s: %d established connections" % (path, len(tcp))
    c = tcp[0]
    for k in keys:
        assert isinstance(c.get(k), int), "%s: %s is %r" % (path, k, c.get(k))
    assert c["srtt_ns"] > 0 and c["rto_ns"] >= c["srtt_ns"] and c["cwnd"] >= c["mss"] > 0, c
    conns.append(c)
s, r = conns
assert s["snd_una"] == s["snd_nxt"] == r["rcv_nxt"], (s["snd_una"], s["snd_nxt"], r["rcv_nxt"])
assert r["snd_nxt"] == s["rcv_nxt"], (r["snd_nxt"], s["rcv_nxt"])
assert s["local"] == r["foreign"] and s["foreign"] == r["local"], (s["local"], r["foreign"])
PY
}
check tcp:bulk-dump-json bulk_dump_json

# A lab kept after a failure: `nestbed ss` prints its sockets in netstat
# form, with the listener and the connection it accepted.
ss_on_kept_lab() {
	local rc=0 out
	"$NB" run "$TCP_CASES/digest_fail.topo" --keep --out "$OUT/digest-fail-keep" >/dev/null || rc=$?
	[ $rc -eq 1 ] || { echo "exit $rc, want 1"; return 1; }
	out=$("$NB" ss digest-fail:server) || { echo "nestbed ss failed"; "$NB" down digest-fail; return 1; }
	echo "$out"
	"$NB" down digest-fail || return 1
	echo "$out" | grep -q '^Proto Local Address  *Foreign Address  *State  *PID/Program name' ||
		{ echo "no netstat header"; return 1; }
	echo "$out" | grep -Eq '^tcp +0\.0\.0\.0:80 +0\.0\.0\.0:\* +LISTEN +[0-9]+/web$' ||
		{ echo "no LISTEN line for port 80"; return 1; }
	echo "$out" | grep -Eq '^tcp +10\.0\.0\.2:80 +10\.0\.0\.1:[0-9]+ +ESTABLISHED +[0-9]+/web$' ||
		{ echo "no ESTABLISHED line for the accepted connection"; return 1; }
}
check tcp:ss-on-kept-lab ss_on_kept_lab
