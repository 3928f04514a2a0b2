# cases/links.sh: links and faults at their edges: impairments a link cannot
# take, partitions that leave nothing behind, partitions replaced without a
# heal, and a user's own `link down` that must outlive `heal`. Sourced by
# run.sh (NB, OUT, ROOT, NESTBED_PREFIX and check are defined there).

# nft_tables NETNS: "FAMILY NAME" for each nftables table in a namespace
# (raw nfnetlink from python3, so no nft binary is needed; family 7 is
# the bridge family).
nft_tables() {
	ip netns exec "$1" python3 - <<'EOF'
import socket, struct, sys
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)  # NETLINK_NETFILTER
s.bind((0, 0))
# NFT_MSG_GETTABLE (subsystem 10, message 1), NLM_F_REQUEST | NLM_F_DUMP, all families
s.send(struct.pack('=IHHII', 20, (10 << 8) | 1, 0x301, 1, 0) + struct.pack('=BBH', 0, 0, 0))
while True:
    data, off = s.recv(65536), 0
    while off + 16 <= len(data):
        ln, typ = struct.unpack_from('=IH', data, off)
        if typ == 3:  # NLMSG_DONE
            sys.exit(0)
        if typ == 2:  # NLMSG_ERROR
            err = struct.unpack_from('=i', data, off + 16)[0]
            sys.exit('nfnetlink error %d' % err if err else 0)
        fam, a = data[off + 16], off + 20
        while a + 4 <= off + ln:
            alen, atyp = struct.unpack_from('=HH', data, a)
            if atyp & 0x7fff == 1:  # NFTA_TABLE_NAME
                print(fam, data[a + 4:a + alen].rstrip(b'\0').decode())
            a += (alen + 3) & ~3
        off += (ln + 3) & ~3
EOF
}

# check_rejects FILE PATTERN: `nestbed check` exits 2 and prints
# FILE:LINE:COL: error: ... matching PATTERN; nothing is created.
check_rejects() {
	local rc=0 f=$1 pat=$2
	"$NB" check "$f" >"$f.err" 2>&1 || rc=$?
	cat "$f.err"
	[ $rc -eq 2 ] || { echo "exit $rc, want 2"; return 1; }
	grep -q "$(basename "$f"):[0-9]*:[0-9]*: error: .*$pat" "$f.err" ||
		{ echo "no '$(basename "$f"):LINE:COL: error: ...$pat' in the output"; return 1; }
}

# Delay, loss and friends on a link with no custom host: refused before
# anything starts, naming file:line:col; rate and queue are fine.
kernel_link_impairments() {
	local d="$OUT/links-kernel" f
	mkdir -p "$d"
	f="$d/kk-delay.topo"
	cat >"$f" <<'EOF'
lab kkdelay
host k1 kernel
  eth0 10.0.0.1/24
host k2 kernel
  eth0 10.0.0.2/24
link k1:eth0 k2:eth0 delay 5ms
EOF
	check_rejects "$f" "can only be rate-limited" || return 1
	grep -q 'kk-delay.topo:6:' "$f.err" || { echo "not line 6"; return 1; }

	f="$d/ks-loss.topo"
	cat >"$f" <<'EOF'
lab ksloss
host k1 kernel
  eth0 10.0.0.1/24
switch lan
link k1:eth0 lan rate 10Mbit
  lan->k1 loss 1%
EOF
	check_rejects "$f" "can only be rate-limited" || return 1
	grep -q 'ks-loss.topo:6:' "$f.err" || { echo "not line 6 (the direction line)"; return 1; }

	f="$d/kk-set.topo"
	cat >"$f" <<'EOF'
lab kkset
host k1 kernel
  eth0 10.0.0.1/24
host k2 kernel
  eth0 10.0.0.2/24
link k1:eth0 k2:eth0

link k1:eth0 k2:eth0 set delay 10ms
EOF
	check_rejects "$f" "can only be rate-limited" || return 1
	grep -q 'kk-set.topo:8:' "$f.err" || { echo "not line 8"; return 1; }

	f="$d/kk-queue.topo"
	cat >"$f" <<'EOF'
lab kkqueue
host k1 kernel
  eth0 10.0.0.1/24
host k2 kernel
  eth0 10.0.0.2/24
link k1:eth0 k2:eth0 queue 64KiB
EOF
	check_rejects "$f" "give a 'rate' too" || return 1

	f="$d/kk-rate.topo"
	cat >"$f" <<'EOF'
lab kkrate
host k1 kernel
  eth0 10.0.0.1/24
host k2 kernel
  eth0 10.0.0.2/24
switch lan
host k3 kernel
  eth0 10.0.0.3/24
link k1:eth0 k2:eth0 rate 10Mbit queue 100 packets
link k3:eth0 lan rate 1Mbit
EOF
	"$NB" check "$f" || { echo "rate/queue on kernel-only links refused"; return 1; }
	if ip netns list | grep -q "^$NESTBED_PREFIX-kk"; then
		echo "check created namespaces"; return 1
	fi
}
check links:kernel-link-impairments kernel_link_impairments

# partition and heal leave nothing of theirs behind: the switch's nftables
# table exists only between them, the cut cable is up again after heal,
# and the run passes. The lab is watched from outside while it runs.
partition_no_leak() {
	local d="$OUT/links-leak" f pid rc=0 sw cab_a cab_b i seen=0 gone=0
	mkdir -p "$d"
	f="$d/pleak.topo"
	cat >"$f" <<'EOF'
lab pleak
host a
  eth0 10.0.0.1/24
  eth1 10.0.1.1/24
host b
  eth0 10.0.0.2/24
host k kernel
  eth0 10.0.0.3/24
  eth1 10.0.1.2/24
switch lan
link a:eth0 lan
link b:eth0 lan
link k:eth0 lan
link a:eth1 k:eth1

a: ping 10.0.0.2 count 1 expect success
sleep 1500ms
partition a | b k
sleep 2s
a: ping 10.0.0.3 count 1 timeout 300ms expect failure
heal
k: exec ping -c 1 -W 2 10.0.1.1 expect exit 0
sleep 2s
EOF
	sw="$NESTBED_PREFIX-pleak-lan"
	cab_a="$NESTBED_PREFIX-pleak-a"
	cab_b="$NESTBED_PREFIX-pleak-k"
	"$NB" run "$f" --out "$d/out" >"$d/run.log" 2>&1 &
	pid=$!
	for i in $(seq 100); do ip netns list | grep -q "^$sw" && break; sleep 0.05; done
	[ -n "$(nft_tables "$sw")" ] && { echo "a table before the partition:"; nft_tables "$sw"; rc=1; }
	for i in $(seq 120); do
		if nft_tables "$sw" | grep -q '^7 nestbed_partition$'; then seen=1; break; fi
		sleep 0.05
	done
	[ $seen -eq 1 ] || { echo "no nestbed_partition table during the partition"; rc=1; }
	ip -n "$cab_a" link show eth1 | grep -q 'state DOWN' || { echo "a:eth1 not down during the partition"; rc=1; }
	ip -n "$cab_b" link show eth1 | grep -q 'state DOWN' || { echo "k:eth1 not down during the partition"; rc=1; }
	for i in $(seq 120); do
		if ip netns list | grep -q "^$sw" && [ -z "$(nft_tables "$sw")" ]; then gone=1; break; fi
		sleep 0.05
	done
	[ $gone -eq 1 ] || { echo "the table is still there after heal:"; nft_tables "$sw"; rc=1; }
	ip -n "$cab_a" link show eth1 | grep -q 'state UP' || { echo "a:eth1 not up after heal"; rc=1; }
	ip -n "$cab_b" link show eth1 | grep -q 'state UP' || { echo "k:eth1 not up after heal"; rc=1; }
	ip -n "$sw" -d link show | grep -q vlan_filtering\ 1 && { echo "bridge VLAN filtering left on"; rc=1; }
	wait $pid || { echo "run failed: exit $?"; rc=1; }
	cat "$d/run.log"
	return $rc
}
check links:partition-no-leak partition_no_leak

# A partition replaced by another without heal; heal with nothing to heal;
# a cable the user takes down during a partition stays down after heal.
partition_edges() {
	local d="$OUT/links-edges" f
	mkdir -p "$d"
	f="$d/pedge.topo"
	cat >"$f" <<'EOF'
lab pedge
host a
  eth0 10.0.0.1/24
  eth1 10.0.1.1/24
host b
  eth0 10.0.0.2/24
  eth1 10.0.1.2/24
host c
  eth0 10.0.0.3/24
host k kernel
  eth0 10.0.0.4/24
switch lan
link a:eth0 lan
link b:eth0 lan
link c:eth0 lan
link k:eth0 lan
link a:eth1 b:eth1

heal
a: ping 10.0.0.2 count 1 expect success
a: ping 10.0.1.2 count 1 expect success

partition a | b c
a: ping 10.0.0.2 count 1 timeout 300ms expect failure
a: ping 10.0.1.2 count 1 timeout 300ms expect failure
a: ping 10.0.0.4 count 1 expect success
b: ping 10.0.0.3 count 1 expect success
# Replaced: now a and b together, c and k apart from them.
partition a b | c k
a: ping 10.0.0.2 count 1 timeout 2s expect success
a: ping 10.0.1.2 count 1 timeout 2s expect success
b: ping 10.0.0.3 count 1 timeout 300ms expect failure
k: exec ping -c 1 -W 1 10.0.0.1 expect exit 1
k: exec ping -c 1 -W 1 10.0.0.3 expect exit 0
heal
b: ping 10.0.0.3 count 1 timeout 2s expect success
k: exec ping -c 1 -W 2 10.0.0.1 expect exit 0

# The user's own `link down` outlives heal; their `link up` restores it.
partition a | b
link a:eth1 b:eth1 down
heal
a: ping 10.0.1.2 count 1 timeout 300ms expect failure
a: ping 10.0.0.2 count 1 timeout 2s expect success
link a:eth1 b:eth1 up
a: ping 10.0.1.2 count 1 timeout 2s expect success
# ... and a cable already down is left alone by a partition and its heal.
link a:eth1 b:eth1 down
partition a | b
heal
a: ping 10.0.1.2 count 1 timeout 300ms expect failure
link a:eth1 b:eth1 up
a: ping 10.0.1.2 count 1 timeout 2s expect success
EOF
	"$NB" run "$f" --out "$d/out"
}
check links:partition-edges partition_edges
