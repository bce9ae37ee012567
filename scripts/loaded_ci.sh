#!/usr/bin/env bash
# The CI run on a busy machine (issue 17 §4): `CI=true bash .ci/run` in a fresh clone of this commit
# while `stress-ng --cpu 2` and a second fresh-clone `CI=true bash .ci/run` run at the same time.
#
#   scripts/loaded_ci.sh [OUT_DIR]
#
#   LOADED_CI_TIMEOUT  seconds each run may take before it is stopped (default 7200; exit code 124)
#
# Prints the folder it writes (OUT_DIR, else a new one under $TMPDIR or /tmp):
#   a.log b.log        each run's output; a.rc b.rc their exit codes
#   a/ b/              the clones (each beside a link to ../shared, which some tests read) and
#                      their test-reports/; a-tmp/ b-tmp/ each run's TMPDIR (pytest's temp dirs)
#   stress.log         stress-ng's output; leftovers.txt processes a run left behind (then ended)
#   summary.txt        both exit codes and the end of each suite report
# Exits 0 when both runs pass, 1 when one fails, 2 when it could not start them.
set -uo pipefail

repo=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel) || exit 2
commit=$(git -C "$repo" rev-parse HEAD) || exit 2
limit=${LOADED_CI_TIMEOUT:-7200}
out=${1:-$(mktemp -d "${TMPDIR:-/tmp}/loaded-ci.XXXXXX")}
mkdir -p "$out" && out=$(cd "$out" && pwd)
chmod 755 "$out"  # a throwaway PostgreSQL cluster runs as the postgres user under a run's TMPDIR
echo "loaded CI run of $commit (each run stopped after ${limit}s): writing under $out"

if ! command -v stress-ng >/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		export DEBIAN_FRONTEND=noninteractive
		(apt-get install -y -qq stress-ng || (apt-get update -qq && apt-get install -y -qq stress-ng)) \
			>"$out/apt.log" 2>&1
	fi
	if ! command -v stress-ng >/dev/null; then
		echo "stress-ng is missing and could not be installed (Debian stress-ng; see $out/apt.log)"
		exit 2
	fi
fi

for run in a b; do
	if ! git clone --quiet --no-checkout "$repo" "$out/$run/callvault" \
		|| ! git -C "$out/$run/callvault" checkout --quiet --detach "$commit"; then
		echo "could not clone $repo at $commit into $out/$run"
		exit 2
	fi
	if [ -d "$repo/../shared" ]; then
		ln -s "$(cd "$repo/../shared" && pwd)" "$out/$run/shared"
	fi
	mkdir -p "$out/$run-tmp" && chmod 1777 "$out/$run-tmp"
done

# Each run in its own process group under `timeout`, which ends the whole group when time is up.
stress-ng --cpu 2 --timeout "$((limit + 600))s" >"$out/stress.log" 2>&1 &
stress=$!
runs=()
for run in a b; do
	(
		cd "$out/$run/callvault" || exit 2
		CI=true TMPDIR="$out/$run-tmp" timeout --kill-after=120 "$limit" bash .ci/run >"$out/$run.log" 2>&1
		echo $? >"$out/$run.rc"
	) &
	runs+=($!)
done
wait "${runs[@]}"
kill "$stress" 2>/dev/null
wait "$stress" 2>/dev/null

# What a stopped run left running (servers in their own sessions) names this run's folders.
: >"$out/leftovers.txt"
for pid in $(pgrep -f -- "$out/" || true); do
	if [ "$pid" != "$$" ] && [ "$pid" != "$BASHPID" ]; then
		ps -o pid=,args= -p "$pid" >>"$out/leftovers.txt" 2>/dev/null && kill "$pid" 2>/dev/null
	fi
done

{
	for run in a b; do
		rc=$(cat "$out/$run.rc" 2>/dev/null || echo "none")
		echo "run $run: exit $rc$([ "$rc" = 124 ] && echo " (stopped after ${limit}s)")"
		grep -E "^(report|embedded|scale) |REQUIRED SUITE|every required suite|[0-9]+ (passed|failed)" \
			"$out/$run.log" | tail -n 40
		echo
	done
	echo "leftover processes ended: $(wc -l <"$out/leftovers.txt")"
} | tee "$out/summary.txt"
echo "logs and exit codes: $out"
if [ "$(cat "$out/a.rc" 2>/dev/null)" = 0 ] && [ "$(cat "$out/b.rc" 2>/dev/null)" = 0 ]; then
	exit 0
fi
exit 1
