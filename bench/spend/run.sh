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
# Usage: bash bench/spend/run.sh [LINES]
set -euo pipefail
cd "$(dirname "$0")/../.."
lines=${1:-10000000}
out=bench/out/spend
mkdir -p "$out"
db="$out/spend.db"
peer="$out/peer.db"
rm -f "$db" "$db-wal" "$db-shm" "$peer"
cargo build --release --quiet
allot=target/release/allot
export ALLOT_DATABASE_URL="sqlite://$db" CI=true ALLOT_LOG=warn
"$allot" demo --children 1000 --no-serve >/dev/null
sqlite3 "$db" "SELECT c.reference FROM children c WHERE c.area_id = (SELECT id FROM areas) ORDER BY c.reference" > "$out/children.txt"
agreed=$(sqlite3 "$db" "SELECT c.reference FROM plan_versions p JOIN children c ON c.id = p.child_id WHERE p.status = 'agreed' LIMIT 1")
[ -f "$out/statement-$lines.csv" ] || python3 bench/spend/make_statement.py "$lines" "$agreed" "$out/children.txt" > "$out/statement-$lines.csv"
size=$(stat -c %s "$out/statement-$lines.csv")
echo "statement: $lines lines, $((size / 1024 / 1024)) MiB; the child with an agreed plan: $agreed"

echo "peer: sqlite3 .import --csv into a bare table"
/usr/bin/time -f '  wall %e s, peak memory %M KiB' sqlite3 "$peer" ".import --csv $out/statement-$lines.csv statement" 2>&1
echo "allot import statement --format generic"
/usr/bin/time -f '  wall %e s, peak memory %M KiB' "$allot" import statement "$out/statement-$lines.csv" --format generic 2>&1
echo "again (every line seen before)"
/usr/bin/time -f '  wall %e s, peak memory %M KiB' "$allot" import statement "$out/statement-$lines.csv" --format generic 2>&1
