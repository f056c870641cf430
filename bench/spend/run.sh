#!/usr/bin/env bash
# Importing a statement of LINES lines (default 10 million) with
# `allot import statement` — reading, checking every field, de-duplicating
# against what is stored and matching each line to a plan item, all in one
# transaction — against the peer measured in the same run: sqlite3's own
# `.import --csv` of the same file into a bare table (no key, no index, no
# checks). Goal (issue: money): within 2× of the peer.
#
# The statement is made by make_statement.py (seed fixed): the demo area's
# children, half the lines on the account of the child with an agreed plan
# (so the matching rules have items to find), the rest spread over every
# child; ids increase through the file as a bank's do.
#
# Each round starts from the same freshly made demo database and a new peer
# database, runs the peer, then the import, then the import again (every
# line seen before). Medians of ROUNDS rounds (default 3). Allot makes new
# databases with 16 KiB pages; the peer with the same page size is timed too,
# for information (the goal is against sqlite3 as it comes).
#
# Usage: bash bench/spend/run.sh [LINES] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
lines=${1:-10000000}
rounds=${2:-3}
out=bench/out/spend
mkdir -p "$out"
template="$out/demo.db"
db="$out/spend.db"
peer="$out/peer.db"
cargo build --release --quiet
allot=target/release/allot
export CI=true ALLOT_LOG=warn
rm -f "$template" "$template-wal" "$template-shm"
ALLOT_DATABASE_URL="sqlite://$template" "$allot" demo --children 1000 --no-serve >/dev/null
sqlite3 "$template" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
sqlite3 "$template" "SELECT c.reference FROM children c ORDER BY c.reference" > "$out/children.txt"
agreed=$(sqlite3 "$template" "SELECT c.reference FROM plan_versions p JOIN children c ON c.id = p.child_id WHERE p.status = 'agreed' LIMIT 1")
statement="$out/statement-$lines.csv"
[ -f "$statement" ] || python3 bench/spend/make_statement.py "$lines" "$agreed" "$out/children.txt" > "$statement"
size=$(stat -c %s "$statement")
echo "statement: $lines lines, $((size / 1024 / 1024)) MiB; the child with an agreed plan: $agreed"

timed() { # label command…: runs it, prints its wall time and appends it to $out/label.times
    local label=$1; shift
    /usr/bin/time -f '%e %U %S %M' -o "$out/time.tmp" "$@" > "$out/$label.out" 2>&1
    read -r wall user sys mem < "$out/time.tmp"
    echo "$wall" >> "$out/$label.times"
    printf '  %-7s wall %6.2f s  user %6.2f s  sys %5.2f s  peak %5d MiB\n' "$label" "$wall" "$user" "$sys" $((mem / 1024))
}
rm -f "$out"/*.times "$out"/*.out
for round in $(seq "$rounds"); do
    echo "round $round"
    rm -f "$peer" "$db" "$db-wal" "$db-shm"
    cp "$template" "$db"
    timed peer sqlite3 "$peer" ".import --csv $statement statement"
    rm -f "$peer"
    timed peer16k sqlite3 "$peer" "PRAGMA page_size = 16384;" ".import --csv $statement statement"
    export ALLOT_DATABASE_URL="sqlite://$db"
    timed import "$allot" import statement "$statement" --format generic
    timed again "$allot" import statement "$statement" --format generic
done
echo "import: $(cat "$out/import.out")"
echo "again:  $(cat "$out/again.out")"
python3 - "$out" <<'PY'
import statistics, sys
out = sys.argv[1]
t = {k: [float(x) for x in open(f"{out}/{k}.times")] for k in ("peer", "peer16k", "import", "again")}
peer = statistics.median(t["peer"])
ratio = lambda k: statistics.median(a / p for a, p in zip(t[k], t["peer"]))
m = {k: statistics.median(v) for k, v in t.items()}
print(f"medians: peer {m['peer']:.2f} s, peer with 16 KiB pages {m['peer16k']:.2f} s, import {m['import']:.2f} s, again {m['again']:.2f} s")
print(f"import / peer: {ratio('import'):.2f} (rounds: {', '.join(f'{a / p:.2f}' for a, p in zip(t['import'], t['peer']))})")
print(f"again / peer:  {ratio('again'):.2f}")
print(f"import / peer with 16 KiB pages: {statistics.median(a / p for a, p in zip(t['import'], t['peer16k'])):.2f}")
PY
rm -f "$peer" "$out/time.tmp"
