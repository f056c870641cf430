#!/usr/bin/env bash
# "Who has looked at this child's record?" on an audit trail of tens of
# millions of entries (issue: fast on tens of millions).
#
# Builds the demo area on SQLite, then fills its audit trail to ENTRIES
# entries (default 20 million) spread over every child, with sqlite3 itself
# (the entries are well-formed but not chained: the lookup does not read the
# hashes). Then times, with farm-bench, `allot audit child REF` (a whole
# process: open, check the schema, query, print every entry) against the
# peer: sqlite3's own CLI running the same indexed query on the same file and
# printing the same rows.
#
# Usage: bash bench/audit/run.sh [ENTRIES]
set -euo pipefail
cd "$(dirname "$0")/../.."
entries=${1:-20000000}
out=bench/out/audit
mkdir -p "$out"
db="$out/audit.db"
rm -f "$db" "$db-wal" "$db-shm"
cargo build --release --quiet
allot=target/release/allot
export ALLOT_DATABASE_URL="sqlite://$db" CI=true ALLOT_LOG=warn
"$allot" demo --no-serve >/dev/null
area=$(sqlite3 "$db" "SELECT id FROM areas")
children=$(sqlite3 "$db" "SELECT COUNT(*) FROM children")
start=$(sqlite3 "$db" "SELECT seq FROM audit_heads WHERE area_id = '$area'")
echo "filling the audit trail to $entries entries over $children children…"
# Bench data only: no journal while filling, and the indexes built once
# afterwards (by sorting) rather than row by row.
time sqlite3 "$db" <<SQL
PRAGMA journal_mode = DELETE;
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
DROP INDEX audit_trail_by_child;
DROP INDEX audit_trail_by_entity;
CREATE TEMP TABLE kids AS SELECT ROW_NUMBER() OVER (ORDER BY id) - 1 AS n, id FROM children;
CREATE INDEX temp.kids_n ON kids (n);
WITH RECURSIVE i(x) AS (SELECT $start + 1 UNION ALL SELECT x + 1 FROM i WHERE x < $entries)
INSERT INTO audit_trail (area_id, seq, at_ms, actor, role, child_id, entity, entity_id, action, outcome, detail, prev_hash, hash)
SELECT '$area', x, 1790000000000 + x, 'user' || (x % 400) || '@demo.allot.example', 'caseworker',
       (SELECT id FROM kids WHERE n = x % $children), 'child', (SELECT id FROM kids WHERE n = x % $children),
       'read', 'allowed', '{"route":"/api/v1/children/{id}"}', printf('%064d', x - 1), printf('%064d', x)
FROM i;
UPDATE audit_heads SET seq = $entries WHERE area_id = '$area';
CREATE INDEX audit_trail_by_child ON audit_trail (area_id, child_id, seq);
CREATE INDEX audit_trail_by_entity ON audit_trail (area_id, entity_id, seq);
PRAGMA journal_mode = WAL;
SQL
ref=$(sqlite3 "$db" "SELECT reference FROM children ORDER BY id LIMIT 1 OFFSET 1234")
child=$(sqlite3 "$db" "SELECT id FROM children WHERE reference = '$ref'")
rows=$(sqlite3 "$db" "SELECT COUNT(*) FROM audit_trail WHERE area_id = '$area' AND child_id = '$child'")
echo "child $ref has $rows entries among $(sqlite3 "$db" "SELECT COUNT(*) FROM audit_trail") in all"
peer="SELECT at_ms, actor, role, action, entity, outcome FROM audit_trail WHERE area_id = '$area' AND child_id = '$child' ORDER BY seq"
farm-bench -n 10 --timeout 600 --vs "sqlite3 $db \"$peer\"" -- "$allot" audit child "$ref" | tee "$out/results.txt"
