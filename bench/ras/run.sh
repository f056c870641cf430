#!/usr/bin/env bash
# The RAS at national scale: `allot ras evaluate` and `allot ras simulate`
# against the same calculation in SQL by DuckDB, timed in the same run.
#
#   bash bench/ras/run.sh [CHILDREN]        (default 640000)
#
# 1. Inputs for CHILDREN children under policies/example-children.toml
#    (bench/ras/make_inputs.py, seed 2026), cached in bench/out/ras-N/.
#    Each run's outputs and timings go to its own bench/out/ras-N/run.*/,
#    removed at the end unless the outputs differ.
# 2. policy-b.toml: the example policy with every band amount raised by 3%
#    (rounded half-up to the penny, kept non-decreasing within a stream).
# 3. Evaluate, alternating allot and DuckDB for 3 rounds each; the two
#    results files must be byte-identical (cmp).
# 4. Simulate the example policy → policy-b (JSON), alternating allot and
#    DuckDB for 3 rounds each; the two JSON outputs must be byte-identical
#    too; prints DuckDB's per-stream old/new sums.
# Prints the median wall times and the ratio allot/DuckDB.
#
# Builds nothing: needs target/release/allot with the `ras` commands, Python
# 3.11+ with duckdb (pip install duckdb) and GNU time. DUCKDB_ONLY=1 times
# only the DuckDB half (for when allot has no `ras` commands yet); ALLOT=PATH
# times another allot binary.
set -euo pipefail
cd "$(dirname "$0")/../.."
children=${1:-640000}
rounds=3
on=2026-11-22
policy=policies/example-children.toml
out=bench/out/ras-$children
bin=${ALLOT:-target/release/allot}
here=bench/ras
duckdb_only=${DUCKDB_ONLY:-0}

python3 -c 'import duckdb' 2>/dev/null || { echo "needs the duckdb Python package: pip install duckdb" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time (/usr/bin/time)" >&2; exit 1; }
if [ "$duckdb_only" != 1 ]; then
    [ -x "$bin" ] || { echo "needs $bin: cargo build --release (or DUCKDB_ONLY=1)" >&2; exit 1; }
    for cmd in evaluate simulate; do
        "$bin" ras "$cmd" --help >/dev/null 2>&1 ||
            { echo "$bin has no 'ras $cmd' command (or run with DUCKDB_ONLY=1)" >&2; exit 1; }
    done
fi
mkdir -p "$out"
# This run's outputs and timings, apart from any other run's; removed at the
# end when the outputs agree (each results file is about 110 MB).
run=$(mktemp -d "$out/run.XXXXXX")
keep=0
trap '[ "$keep" = 1 ] || rm -rf "$run"' EXIT

# --- inputs (regenerated when the generator, the policy or N change) -------
stamp=$(cat "$here/make_inputs.py" "$here/reference_ras.py" "$policy" | sha256sum | cut -c1-16)-$children
if [ -s "$out/answers.csv" ] && [ -s "$out/current.csv" ] && [ "$(cat "$out/inputs.stamp" 2>/dev/null)" = "$stamp" ]; then
    echo "inputs: cached in $out"
else
    echo "inputs: generating $children children in $out"
    /usr/bin/time -f %e -o "$run/time.tmp" python3 "$here/make_inputs.py" "$children" "$run" --seed 2026 --policy "$policy"
    echo "  generated in $(cat "$run/time.tmp") s"
    mv "$run/answers.csv" "$run/current.csv" "$out/"   # whole files only, even with another run going
    echo "$stamp" > "$out/inputs.stamp"
fi
printf '  %s children; %s current amounts\n' "$(($(wc -l < "$out/answers.csv") - 1))" "$(($(wc -l < "$out/current.csv") - 1))"

# --- policy B: every band amount + 3%, to the penny -------------------------
python3 - "$policy" "$run/policy-b.toml" <<'PY'
import re, sys
src, dst = sys.argv[1], sys.argv[2]
lines, prev = [], 0
for line in open(src, encoding="utf-8").read().splitlines(keepends=True):
    if line.strip() == "[[stream]]":
        prev = 0
    m = re.match(r'^(\s*)amount = "([0-9]+)(?:\.([0-9]{1,2}))?"\s*$', line)
    if m:
        pence = int(m.group(2)) * 100 + int((m.group(3) or "0").ljust(2, "0"))
        raised = max((pence * 103 + 50) // 100, prev)   # half-up to the penny, never below the band below
        prev = raised
        line = f'{m.group(1)}amount = "{raised // 100}.{raised % 100:02d}"\n'
    elif re.match(r'^version = "', line):
        line = line.rstrip("\n").rstrip('"') + ' + 3% bands"\n'
    lines.append(line)
open(dst, "w", encoding="utf-8").write("".join(lines))
PY
cp "$run/policy-b.toml" "$out/policy-b.toml.tmp.$$" && mv "$out/policy-b.toml.tmp.$$" "$out/policy-b.toml"
echo "policy B: $out/policy-b.toml (band amounts +3%)"

# --- timing helpers ---------------------------------------------------------
# timed NAME CMD...: runs CMD, appends its wall time (%e) to $run/times-NAME
# and its CPU time (user + system) to $run/cpu-NAME. On a shared 2-core
# machine the CPU time says how much of the wall time was waiting.
timed() {
    local name=$1; shift
    if ! CI=true /usr/bin/time -f '%e %U %S' -o "$run/time.tmp" "$@"; then
        echo "failed: $*" >&2; exit 1
    fi
    read -r wall user sys < "$run/time.tmp"
    echo "$wall" >> "$run/times-$name"
    awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.2f\n", u + s}' >> "$run/cpu-$name"
    printf '  %-16s %6s s  (CPU %s s)\n' "$name" "$wall" "$(tail -n 1 "$run/cpu-$name")"
}
median() { sort -n "$run/$1" | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

evaluate_allot() {
    timed allot-evaluate "$bin" ras evaluate --policy "$policy" --answers "$out/answers.csv" \
        --current "$out/current.csv" --on "$on" --output "$run/results-allot.csv"
}
evaluate_duckdb() {
    timed duckdb-evaluate python3 "$here/duckdb_ras.py" --policy "$policy" --answers "$out/answers.csv" \
        --current "$out/current.csv" --on "$on" --output "$run/results-duckdb.csv"
}
simulate_allot() {
    timed allot-simulate sh -c '"$@" > "'"$run"'/simulate-allot.json"' sh \
        "$bin" ras simulate --from "$policy" --to "$run/policy-b.toml" --answers "$out/answers.csv" \
        --current "$out/current.csv" --on "$on" --format json
}
simulate_duckdb() {
    timed duckdb-simulate sh -c '"$@" > "'"$run"'/simulate-duckdb.json"' sh \
        python3 "$here/duckdb_ras.py" --policy "$policy" --simulate --to "$run/policy-b.toml" \
        --answers "$out/answers.csv" --current "$out/current.csv" --on "$on" --format json
}

# --- evaluate ---------------------------------------------------------------
differ=0
echo "evaluate ($rounds rounds, alternating):"
for _ in $(seq "$rounds"); do
    [ "$duckdb_only" = 1 ] || evaluate_allot
    evaluate_duckdb
done
if [ "$duckdb_only" != 1 ]; then
    if cmp "$run/results-allot.csv" "$run/results-duckdb.csv"; then
        echo "  results: byte-identical ($(($(wc -l < "$run/results-duckdb.csv") - 1)) rows)"
    else
        echo "  results DIFFER: diff $run/results-allot.csv $run/results-duckdb.csv" >&2
        differ=1
    fi
fi

# --- simulate ---------------------------------------------------------------
echo "simulate example → policy B ($rounds rounds, alternating):"
for _ in $(seq "$rounds"); do
    [ "$duckdb_only" = 1 ] || simulate_allot
    simulate_duckdb
done
if [ "$duckdb_only" != 1 ]; then
    # duckdb_ras.py --format json prints the JSON allot prints (simulate.rs).
    if cmp "$run/simulate-allot.json" "$run/simulate-duckdb.json"; then
        echo "  simulate JSON: byte-identical"
    else
        echo "  simulate JSON DIFFERS: diff $run/simulate-allot.json $run/simulate-duckdb.json" >&2
        differ=1
    fi
fi
echo "DuckDB's per-stream sums, pounds a year (protected: after transitional protection):"
python3 - "$run/simulate-duckdb.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
money = lambda p: f"{p // 100:,}.{p % 100:02d}" if p >= 0 else "-" + money(-p)
cols = [("stream", 13), ("old indicative", 18), ("new indicative", 18), ("old protected", 18),
        ("new protected", 18), ("change", 16), ("gain", 8), ("lose", 8)]
print("  " + "".join(f"{h:<{w}}" if i == 0 else f"{h:>{w}}" for i, (h, w) in enumerate(cols)))
for sid, s in d["streams"] + [["total", d["total"]]]:
    cells = [sid, money(s["old_indicative_pence"]), money(s["new_indicative_pence"]), money(s["old_protected_pence"]),
             money(s["new_protected_pence"]), money(s["new_protected_pence"] - s["old_protected_pence"]),
             s["gain"], s["lose"]]
    print("  " + "".join(f"{c:<{w}}" if i == 0 else f"{c:>{w}}" for i, (c, (_, w)) in enumerate(zip(cells, cols))))
PY

# --- summary ----------------------------------------------------------------
echo "medians over $rounds rounds, $children children (wall; CPU in brackets):"
for task in evaluate simulate; do
    d=$(median "times-duckdb-$task"); dc=$(median "cpu-duckdb-$task")
    if [ "$duckdb_only" = 1 ]; then
        printf '  %-9s duckdb %6s s (%s)\n' "$task" "$d" "$dc"
    else
        a=$(median "times-allot-$task"); ac=$(median "cpu-allot-$task")
        printf '  %-9s allot %6s s (%s)   duckdb %6s s (%s)   allot/duckdb %s\n' "$task" "$a" "$ac" "$d" "$dc" \
            "$(awk -v a="$a" -v d="$d" 'BEGIN {printf "%.2f", a / d}')"
    fi
done
echo "  load average now: $(cut -d' ' -f1-3 /proc/loadavg) (the machine has $(nproc) cores)"
if [ "$differ" != 0 ]; then
    keep=1
    echo "outputs kept in $run" >&2
fi
exit "$differ"
