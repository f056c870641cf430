#!/usr/bin/env bash
# Measures `allot demo` at England's whole EHC-plan population (640,000
# children by default) on SQLite: wall time, peak memory and database size.
# As a reference measured in the same run, it times sqlite3's own `.import`
# of the same children (exported as CSV) into a bare table.
#
#   bash bench/demo-scale.sh [CHILDREN]
#
# Needs: a release build (cargo build --release), sqlite3, GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
children=${1:-640000}
out=bench/out
mkdir -p "$out"
rm -f "$out"/demo.db* "$out"/peer.db "$out"/children.csv
bin=target/release/allot
[ -x "$bin" ] || cargo build --release --quiet

echo "allot demo --children $children (SQLite, fresh file):"
CI=true /usr/bin/time -f '  wall %e s, peak memory %M KiB' \
    "$bin" demo --children "$children" --no-serve --database-url "sqlite://$out/demo.db" 2>&1 | grep -v '^$'
sqlite3 "$out/demo.db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
size=$(stat -c %s "$out/demo.db")
echo "  database size: $((size / 1024 / 1024)) MiB"
for t in children family_members consents lead_assignments professionals organisations allocations; do
    printf '  %-18s %s rows\n' "$t" "$(sqlite3 "$out/demo.db" "SELECT COUNT(*) FROM $t")"
done

echo "allot verify:"
CI=true /usr/bin/time -f '  wall %e s' "$bin" verify --database-url "sqlite://$out/demo.db" 2>&1

echo "reference: sqlite3 .import of the same $children children (CSV, bare table, no checks):"
CI=true "$bin" export children --include-protected --database-url "sqlite://$out/demo.db" --output "$out/children.csv" 2>/dev/null
/usr/bin/time -f '  wall %e s' sqlite3 "$out/peer.db" ".import --csv $out/children.csv children" 2>&1
