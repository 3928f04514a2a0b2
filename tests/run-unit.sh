#!/bin/sh
# Runs each cmocka unit-test binary given; prints a closing "N passed, N failed" line.
pass=0; fail=0; failed=""
for t in "$@"; do
	out=$("$t" 2>&1); rc=$?
	printf '%s\n' "$out" | grep -E '^\[  (PASSED|FAILED)|^\[==========\]' | tail -n 3 | sed "s|^|$(basename "$t"): |"
	n=$(printf '%s\n' "$out" | grep -c '^\[       OK \]')
	f=$(printf '%s\n' "$out" | grep '^\[  FAILED  \] [a-z_]' | sort -u | wc -l)
	pass=$((pass + n)); fail=$((fail + f))
	if [ $rc -ne 0 ]; then
		[ "$f" -eq 0 ] && fail=$((fail + 1))
		failed="$failed $(basename "$t")"
		printf '%s\n' "$out" | tail -n 40
	fi
done
echo "unit: $pass passed, $fail failed"
[ -z "$failed" ] || { echo "failing:$failed"; exit 1; }
