#!/bin/sh
# Runs each libFuzzer harness given for a bounded time.
#   tests/fuzz/run.sh SECONDS HARNESS...
# Corpora live in build/fuzz/corpus/NAME (seeded from tests/fuzz/seeds/NAME if
# present); a dictionary tests/fuzz/NAME.dict is used when it exists. Exits
# non-zero if any harness finds a crash (the reproducer is left in build/fuzz/).
secs=${1:-60}
[ -n "$1" ] && shift
status=0
for h in "$@"; do
	name=$(basename "$h")
	corpus="build/fuzz/corpus/$name"
	mkdir -p "$corpus"
	[ -d "tests/fuzz/seeds/$name" ] && cp -n tests/fuzz/seeds/"$name"/* "$corpus"/ 2>/dev/null
	dict=""
	[ -f "tests/fuzz/$name.dict" ] && dict="-dict=tests/fuzz/$name.dict"
	echo "fuzz: $name for ${secs}s"
	if "$h" $dict -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="build/fuzz/$name-" \
		"$corpus" >"build/fuzz/$name.log" 2>&1; then
		grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "build/fuzz/$name.log" | sed "s/^/  /"
	else
		status=1
		echo "fuzz: $name FAILED; see build/fuzz/$name.log"
		tail -n 30 "build/fuzz/$name.log"
	fi
done
exit $status
