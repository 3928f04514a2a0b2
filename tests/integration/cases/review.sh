# cases/review.sh: lifecycle edges found in review: stale owner pids, labs
# whose names share a prefix, and a run cut short by ^C. Sourced by run.sh
# (NB, OUT, NESTBED_PREFIX and check are defined there).

# review_topo FILE LAB HOST: a lab of one custom host with one unlinked interface.
review_topo() {
	cat >"$1" <<EOF
lab $2
host $3
  eth0 10.0.0.1/24
host z
  eth0 10.0.0.2/24
link $3:eth0 z:eth0
EOF
}

# A stale owner file (a crashed run) whose pid now belongs to some other
# program: `down` must not signal that program.
down_stale_owner() {
	sleep 60 &
	local victim=$! rc=0
	mkdir -p "/run/nestbed/$NESTBED_PREFIX-stale"
	echo "$victim" >"/run/nestbed/$NESTBED_PREFIX-stale/owner"
	"$NB" down stale || rc=$?
	sleep 0.2
	if ! kill -0 "$victim" 2>/dev/null; then
		echo "down killed pid $victim, which is not a nestbed"
		rm -rf "/run/nestbed/$NESTBED_PREFIX-stale"
		return 1
	fi
	kill "$victim"; wait "$victim" 2>/dev/null
	[ $rc -eq 0 ] || { echo "down: exit $rc"; return 1; }
	[ ! -e "/run/nestbed/$NESTBED_PREFIX-stale" ] || { echo "state dir left"; return 1; }
}
check review:down-stale-owner down_stale_owner

# Lab "rva" with host "b-x" and lab "rva-b" with host "x" both want the
# namespace <P>-rva-b-x. The second lab must fail without deleting the
# first lab's namespace.
name_clash_spares_other_lab() {
	local ns="$NESTBED_PREFIX-rva-b-x" rc=0
	review_topo "$OUT/rvab.topo" rva-b x
	review_topo "$OUT/rva.topo" rva b-x
	"$NB" up "$OUT/rvab.topo" --out "$OUT/rvab" || { echo "up rva-b failed"; return 1; }
	"$NB" run "$OUT/rva.topo" --out "$OUT/rva" || rc=$?
	local there=0
	ip netns list | grep -q "^$ns\b" && there=1
	"$NB" ss rva-b:x >/dev/null 2>&1 || there=0
	"$NB" down rva-b >/dev/null
	[ $rc -eq 3 ] || { echo "clashing run: exit $rc, want 3"; return 1; }
	[ $there -eq 1 ] || { echo "lab rva-b lost its namespace or node to a failed bring-up"; return 1; }
}
check review:name-clash-spares-other-lab name_clash_spares_other_lab

# `down rvc` of a stale lab must not remove the namespaces of lab rvc-d.
down_spares_longer_name() {
	review_topo "$OUT/rvcd.topo" rvc-d x
	"$NB" up "$OUT/rvcd.topo" --out "$OUT/rvcd" || { echo "up rvc-d failed"; return 1; }
	mkdir -p "/run/nestbed/$NESTBED_PREFIX-rvc"
	echo 999999 >"/run/nestbed/$NESTBED_PREFIX-rvc/owner"
	"$NB" down rvc
	local there=0
	ip netns list | grep -q "^$NESTBED_PREFIX-rvc-d-x\b" && there=1
	"$NB" down rvc-d >/dev/null
	[ $there -eq 1 ] || { echo "down rvc removed lab rvc-d's namespaces"; return 1; }
	[ ! -e "/run/nestbed/$NESTBED_PREFIX-rvc" ] || { echo "state dir of rvc left"; return 1; }
}
check review:down-spares-longer-name down_spares_longer_name

# ^C at a terminal reaches the whole foreground process group. The run
# must still take its final dumps: the nodes are not the user's to stop.
ctrl_c_keeps_final_dumps() {
	local d="$OUT/ctrlc" rc=0 i
	setsid "$NB" run "$CASES/long.topo" --out "$d" >"$OUT/ctrlc.out" 2>&1 &
	local pid=$!
	for i in $(seq 100); do
		[ -S "/run/nestbed/$NESTBED_PREFIX-long/a.sock" ] && break
		sleep 0.1
	done
	sleep 1
	local t0=$SECONDS
	kill -INT -- -"$pid"
	wait "$pid" || rc=$?
	cat "$OUT/ctrlc.out"
	[ $((SECONDS - t0)) -le 4 ] || { echo "the run took $((SECONDS - t0))s to stop after ^C"; return 1; }
	[ $rc -eq 1 ] || { echo "interrupted run: exit $rc, want 1"; return 1; }
	for f in a/final.sockets.txt b/final.sockets.txt summary.json; do
		[ -s "$d/$f" ] || { echo "missing $f after ^C"; return 1; }
	done
	! grep -q 'node is not running' "$OUT/ctrlc.out"
}
check review:ctrl-c-keeps-final-dumps ctrl_c_keeps_final_dumps

# ^C while `nestbed up` is bringing a lab up: exit 1, and nothing of the
# lab is left (namespaces, nodes, state).
ctrl_c_during_up() {
	local d="$OUT/ctrlc-up" rc=0 i
	mkdir -p "$d"
	{
		echo "lab ccup"
		for i in $(seq 0 149); do echo "host h$i"; echo "  eth0 10.1.0.$((i + 1))/16"; done
		echo "switch sw"
		for i in $(seq 0 149); do echo "link h$i:eth0 sw"; done
	} >"$d/ccup.topo"
	setsid "$NB" up "$d/ccup.topo" --out "$d/out" --no-pcap >"$d/up.out" 2>&1 &
	local pid=$!
	sleep 0.03
	kill -INT -- -"$pid"
	wait "$pid" || rc=$?
	cat "$d/up.out"
	sleep 0.5
	if grep -q "is up" "$d/up.out"; then
		# the signal came after the lab was up: still nothing may be left
		"$NB" down ccup 2>/dev/null || true
	else
		[ $rc -eq 1 ] || { echo "interrupted up: exit $rc, want 1"; return 1; }
	fi
	[ -z "$(ip netns list | grep "^$NESTBED_PREFIX-ccup-")" ] || { echo "namespaces left"; return 1; }
	[ ! -e "/run/nestbed/$NESTBED_PREFIX-ccup" ] || { echo "state left"; return 1; }
	! pgrep -f "nestbed-node.*$NESTBED_PREFIX-ccup" >/dev/null || { echo "nodes left"; return 1; }
}
check review:ctrl-c-during-up ctrl_c_during_up
