# cases/live.sh: `nestbed do`: faults and steps on a lab that is up, run
# by the lab's supervisor: link impairments, a cable pulled and put back,
# a partition and its heal, a node killed and restarted, names defined by
# one live step and used by the next, and what `do` says when the step or
# the lab is wrong. Every lab is taken down by name, pass or fail. Sourced
# by run.sh (NB, OUT, NESTBED_PREFIX and check are defined there).

# live_topo DIR: a lab of two custom hosts and a kernel host on a switch.
live_topo() {
	mkdir -p "$1"
	cat >"$1/live.topo" <<'EOF'
lab live
seed 5
host a
  eth0 10.0.0.1/24
host b
  eth0 10.0.0.2/24
host k kernel
  eth0 10.0.0.3/24
switch lan
link a:eth0 lan
link b:eth0 lan
link k:eth0 lan
# the script is not run by `up`; its names are free for live steps
a: connect b:80 as c
EOF
}

# do_is RC STEP...: `nestbed do live STEP` exits RC (its output is shown).
do_is() {
	local want=$1 rc=0
	shift
	"$NB" do live "$@" || rc=$?
	[ $rc -eq "$want" ] || { echo "nestbed do live '$*': exit $rc, want $want"; return 1; }
}

# with_lab FN: brings the lab up, runs FN, takes the lab down whatever FN did.
with_lab() {
	local d="$OUT/live" rc=0
	live_topo "$d"
	"$NB" up "$d/live.topo" --out "$d/out" || return 1
	"$1" || rc=$?
	"$NB" down live || rc=1
	return $rc
}

faults_body() {
	do_is 0 'a: ping b count 2 interval 50ms' || return 1
	# a loss change takes effect at once: all lost, then none
	do_is 0 'link a:eth0 lan set loss 100%' || return 1
	do_is 1 'a: ping b count 1 timeout 300ms' || return 1
	do_is 0 'link a:eth0 lan set loss 0%' || return 1
	do_is 0 'a: ping b count 2 interval 50ms' || return 1
	# the cable out: no ping gets through; back in: they do
	do_is 0 'link a:eth0 lan down' || return 1
	do_is 1 'a: ping b count 1 timeout 300ms' || return 1
	do_is 0 'a: ping b count 1 timeout 300ms expect failure' || return 1
	do_is 0 'link a:eth0 lan up' || return 1
	do_is 0 'a: ping b count 2 interval 50ms timeout 2s' || return 1
	# a partition cuts a off; b still reaches Linux; heal undoes it
	do_is 0 partition a '|' b k || return 1
	do_is 0 'a: ping b count 1 timeout 300ms expect failure' || return 1
	do_is 0 'b: ping k count 1 timeout 1s' || return 1
	do_is 0 heal || return 1
	do_is 0 'a: ping b count 2 interval 50ms timeout 2s' || return 1
	# a node killed answers nothing; restarted, it does again
	do_is 0 kill b || return 1
	do_is 0 'a: ping b count 1 timeout 300ms expect failure' || return 1
	do_is 1 'expect b counter ip.rx > 0' || return 1
	do_is 0 restart b || return 1
	do_is 0 'a: ping b count 2 interval 50ms timeout 2s' || return 1
	do_is 0 'k: exec ping -c 1 -W 2 10.0.0.2 expect exit 0'
}
live_faults() { with_lab faults_body; }
check live:faults live_faults

names_body() {
	local out
	do_is 0 'b: listen tcp 80 backlog 2 as web app none' || return 1
	do_is 0 'a: connect b:80 as c' || return 1
	do_is 0 'wait web accept-queue 1 within 2s' || return 1
	do_is 0 'b: accept web as s' || return 1
	do_is 1 'b: accept web as s2' || return 1          # nothing is waiting
	do_is 0 'a: send c 10KiB push' || return 1
	do_is 0 'b: recv s 10KiB' || return 1
	do_is 0 'wait s received 10KiB within 2s' || return 1
	do_is 0 'expect s digest received == c digest' || return 1
	do_is 1 'expect c state closed' || return 1
	out=$("$NB" do live 'dump sockets b') || return 1
	echo "$out"
	echo "$out" | grep -q 'ESTABLISHED.*/s$' || { echo "no ESTABLISHED socket owned by s"; return 1; }
	ls "$OUT/live/out/b/"dump-line*.sockets.txt >/dev/null || { echo "no dump artifact"; return 1; }
	# a socket table longer than a control line (4 KiB) is still one JSON
	# document, every socket in it
	local p
	for p in 81 82 83 84 85 86 87 88; do do_is 0 "b: listen tcp $p as l$p app none" || return 1; done
	"$NB" ss live:b --json >"$OUT/live/ss.json" || return 1
	python3 - "$OUT/live/ss.json" <<'PY' || { echo "ss --json: not the whole table"; return 1; }
import json, sys
text = open(sys.argv[1]).read()
doc = json.loads(text)
ports = sorted(s["lport"] for s in doc["sockets"] if s["state"] == "LISTEN")
assert len(text) > 4096, len(text)
assert ports == [80, 81, 82, 83, 84, 85, 86, 87, 88], ports
PY
	# a step that does not parse: exit 2, the message points into it
	local rc=0
	"$NB" do live 'a: conect b:80' 2>"$OUT/live/conect.err" || rc=$?
	cat "$OUT/live/conect.err"
	[ $rc -eq 2 ] || { echo "bad step: exit $rc, want 2"; return 1; }
	grep -q "^live:[0-9]*:4: error: unknown action 'conect'; did you mean 'connect'?" "$OUT/live/conect.err" ||
		{ echo "no live:LINE:COL message"; return 1; }
	do_is 2 'a: connect b:80 as c' || return 1          # c is taken, by a live step
	do_is 2 'host z' || return 1
	# --timeout: `do` stops waiting (exit 3) while the lab finishes the
	# step; the next step waits for it and works
	local t0 t1
	t0=$(date +%s%N)
	rc=0; "$NB" do --timeout 300ms live 'a: ping b count 6 interval 200ms' 2>"$OUT/live/timeout.err" || rc=$?
	t1=$(date +%s%N)
	cat "$OUT/live/timeout.err"
	[ $rc -eq 3 ] || { echo "do --timeout: exit $rc, want 3"; return 1; }
	[ $(( (t1 - t0) / 1000000 )) -lt 1000 ] || { echo "do --timeout 300ms took $(( (t1 - t0) / 1000000 )) ms"; return 1; }
	grep -q "no answer from lab 'live' within 300ms" "$OUT/live/timeout.err" || return 1
	do_is 0 'a: ping b count 1' || return 1
	rc=0; "$NB" do --timeout soon live heal 2>/dev/null || rc=$?
	[ $rc -eq 2 ] || { echo "do --timeout soon: exit $rc, want 2"; return 1; }
	# a background job lives until the lab goes down
	do_is 0 'k: exec sleep 60 as nap'
}
live_names() { with_lab names_body; }
check live:names live_names

# What `do` says without a lab: exit 3; a plain usage error: exit 2.
live_no_lab() {
	local rc=0
	"$NB" do nosuchlab heal 2>"$OUT/nolab.err" || rc=$?
	cat "$OUT/nolab.err"
	[ $rc -eq 3 ] || { echo "no lab: exit $rc, want 3"; return 1; }
	grep -q "no lab named 'nosuchlab'" "$OUT/nolab.err" || return 1
	rc=0; "$NB" do 2>/dev/null || rc=$?
	[ $rc -eq 2 ] || { echo "no arguments: exit $rc, want 2"; return 1; }
	rc=0; "$NB" do Bad_Name heal 2>/dev/null || rc=$?
	[ $rc -eq 2 ] || { echo "bad lab name: exit $rc, want 2"; return 1; }
	"$NB" --help | grep -q '  do \[--timeout T\] LAB STEP'
}
check live:no-lab live_no_lab

# A lab kept by `run --keep` after a failure takes steps too, and knows
# the names its script defined.
keep_body() {
	local rc=0
	"$NB" do failing 'a: ping 10.0.0.2 count 1' || return 1
	"$NB" do failing 'a: ping 10.0.0.9 count 1 timeout 300ms' || rc=$?
	[ $rc -eq 1 ] || { echo "failing ping: exit $rc, want 1"; return 1; }
	"$NB" do failing 'link a:eth0 b:eth0 down' || return 1
	"$NB" do failing 'a: ping 10.0.0.2 count 1 timeout 300ms expect failure'
}
live_keep() {
	local rc=0
	"$NB" run "$ROOT/tests/integration/cases/failing.topo" --keep --out "$OUT/live-keep" || rc=$?
	[ $rc -eq 1 ] || { echo "run --keep: exit $rc, want 1"; "$NB" down failing; return 1; }
	rc=0
	keep_body || rc=$?
	"$NB" down failing || rc=1
	[ ! -e "/run/nestbed/$NESTBED_PREFIX-failing" ] || { echo "state left after down"; rc=1; }
	return $rc
}
check live:keep live_keep
