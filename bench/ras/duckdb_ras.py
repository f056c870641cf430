#!/usr/bin/env python3
"""The RAS calculation in SQL, by DuckDB: the bench's reference point for
`allot ras evaluate` and `allot ras simulate` (bench/ras).

    duckdb_ras.py --policy P --answers A [--current C] --on DATE --output OUT
    duckdb_ras.py --policy P1 --simulate --to P2 --answers A [--current C] --on DATE [--format table|json]

Evaluate writes the results CSV, one row per child and stream, in input order
then stream order:

    child_id,stream_id,eligible,points,band,base_amount,age_factor,
    indicative_amount,current_amount,protected_amount

Simulate evaluates every child under both policies and prints, per stream,
the children eligible and the sums of the indicative and protected amounts
under each.

Python only reads the policy (tomllib) into small tables and checks the
answers file's header; everything else, from the policy's decimal strings to
the results file, is SQL. Money is integer pence (BIGINT, HUGEINT for the
products), age factors are integer ten-thousandths and percentages integer
basis points: no floating point anywhere. The only rounding is the published
one, half-up to whole pounds, done with integer division.
"""
import argparse
import csv
import datetime as dt
import json
import sys
import time
import tomllib

import duckdb

MAX_AGE = 25  # the policy's age factors must cover 0 to 25 (policy.rs MAX_AGE)


class InputError(Exception):
    pass


def sql_str(s):
    return "'" + str(s).replace("'", "''") + "'"


def ident(s):
    return '"' + str(s).replace('"', '""') + '"'


def load_policy(con, pol, path):
    """Loads a policy into the tables streams, bands, age_factors, questions
    and option_points, tagged with `pol` (0 = the policy, 1 = --to). Values
    go in as the file's own strings; SQL turns them into integers."""
    with open(path, "rb") as f:
        raw = tomllib.load(f)
    streams, bands, factors, questions, points = [], [], [], [], []
    stream_ord = {}
    for s_ord, s in enumerate(raw["stream"]):
        stream_ord[s["id"]] = s_ord
        streams.append((pol, s_ord, s["id"], int(s["eligibility_min_points"]),
                        s["contingency_percent"], s["max_reduction_percent"]))
        for b_ord, b in enumerate(s["band"]):
            bands.append((pol, s_ord, b_ord, b["name"], int(b["min_points"]),
                          int(b["max_points"]) if "max_points" in b else None, b["amount"]))
        for a in s.get("age_factor", []):
            factors.append((pol, s_ord, int(a["min_age"]), int(a["max_age"]), a["factor"]))
    for q_ord, q in enumerate(raw["question"]):
        questions.append((pol, q_ord, q["id"], bool(q.get("optional", False))))
        for o in q["option"]:
            pts = o.get("points", {})
            for sid, s_ord in stream_ord.items():
                points.append((pol, q["id"], o["id"], s_ord, int(pts.get(sid, 0))))
            for sid in pts:
                if sid not in stream_ord:
                    raise InputError(f"{path}: option {o['id']!r} gives points to {sid!r}, not a stream")
    con.executemany("INSERT INTO raw_streams VALUES (?, ?, ?, ?, ?, ?)", streams)
    con.executemany("INSERT INTO raw_bands VALUES (?, ?, ?, ?, ?, ?, ?)", bands)
    if factors:
        con.executemany("INSERT INTO raw_age_factors VALUES (?, ?, ?, ?, ?)", factors)
    con.executemany("INSERT INTO questions VALUES (?, ?, ?, ?)", questions)
    con.executemany("INSERT INTO option_points VALUES (?, ?, ?, ?, ?)", points)
    return [q["id"] for q in raw["question"]], len(streams)


SCHEMA = """
CREATE TABLE raw_streams (pol INTEGER, s_ord INTEGER, stream_id VARCHAR, eligibility_min_points INTEGER,
                          contingency_percent VARCHAR, max_reduction_percent VARCHAR);
CREATE TABLE raw_bands (pol INTEGER, s_ord INTEGER, b_ord INTEGER, name VARCHAR, min_points INTEGER,
                        max_points INTEGER, amount VARCHAR);
CREATE TABLE raw_age_factors (pol INTEGER, s_ord INTEGER, min_age INTEGER, max_age INTEGER, factor VARCHAR);
CREATE TABLE questions (pol INTEGER, q_ord INTEGER, question_id VARCHAR, optional BOOLEAN);
CREATE TABLE option_points (pol INTEGER, question_id VARCHAR, option_id VARCHAR, s_ord INTEGER, points INTEGER);
"""

# The policy's decimal strings as scaled integers: an amount in pence (at most
# 2 places), a percentage in basis points (2), a factor in ten-thousandths (4).
# The patterns refuse what allot refuses (signs, exponents, extra places), so
# that the DECIMAL casts never round.
POLICY_SQL = """
CREATE TABLE streams AS
SELECT pol, s_ord, stream_id, eligibility_min_points,
       CAST(CAST(contingency_percent AS DECIMAL(9,2)) * 100 AS INTEGER) AS contingency_bp,
       least(CAST(CAST(max_reduction_percent AS DECIMAL(9,2)) * 100 AS INTEGER), 10000) AS max_reduction_bp,
       EXISTS (SELECT 1 FROM raw_age_factors a WHERE a.pol = s.pol AND a.s_ord = s.s_ord) AS has_age_factors
FROM raw_streams s;

CREATE TABLE bands AS
SELECT pol, s_ord, b_ord, name, min_points, max_points,
       CAST(CAST(amount AS DECIMAL(18,2)) * 100 AS BIGINT) AS amount_pence
FROM raw_bands;

-- The band for every points total a child can score, so that the per-child
-- lookup is an equality join: first band containing the points, only from
-- the eligibility threshold; the last band is open-ended.
CREATE TABLE band_for_points AS
WITH most AS (
    SELECT pol, s_ord, sum(max_points)::BIGINT AS most
    FROM (SELECT pol, question_id, s_ord, max(points) AS max_points FROM option_points GROUP BY ALL)
    GROUP BY ALL
)
SELECT s.pol, s.s_ord, p.points, arg_min(b.b_ord, b.b_ord) AS b_ord
FROM streams s
JOIN most m ON m.pol = s.pol AND m.s_ord = s.s_ord
CROSS JOIN LATERAL (SELECT range::INTEGER AS points FROM range(0, m.most + 1)) p
JOIN bands b ON b.pol = s.pol AND b.s_ord = s.s_ord
           AND p.points >= s.eligibility_min_points
           AND p.points >= b.min_points AND (b.max_points IS NULL OR p.points <= b.max_points)
GROUP BY ALL;

-- The age factor for every age, in ten-thousandths, and as allot prints it
-- (no trailing zeros: 0.8, 1.15, 1). A stream without age factors has 1.
CREATE TABLE factor_for_age AS
WITH f AS (
    SELECT pol, s_ord, min_age, max_age, CAST(CAST(factor AS DECIMAL(9,4)) * 10000 AS INTEGER) AS factor_tt
    FROM raw_age_factors
    UNION ALL
    SELECT pol, s_ord, 0, 1000, 10000 FROM streams WHERE NOT has_age_factors
)
SELECT f.pol, f.s_ord, a.age, min(f.factor_tt) AS factor_tt,
       rtrim(rtrim(printf('%d.%04d', min(f.factor_tt) // 10000, min(f.factor_tt) % 10000), '0'), '.') AS factor_text
FROM f CROSS JOIN (SELECT range::INTEGER AS age FROM range(0, 1001)) a
WHERE a.age BETWEEN f.min_age AND f.max_age
GROUP BY ALL;
"""

POLICY_CHECKS = [
    ("a percentage must be a plain decimal with at most 2 places, from 0 to 100",
     """SELECT stream_id FROM raw_streams
        WHERE NOT regexp_full_match(trim(contingency_percent), '[0-9]{1,9}(\\.[0-9]{1,2})?')
           OR NOT regexp_full_match(trim(max_reduction_percent), '[0-9]{1,9}(\\.[0-9]{1,2})?')
           OR CAST(trim(contingency_percent) AS DECIMAL(18,2)) > 100
           OR CAST(trim(max_reduction_percent) AS DECIMAL(18,2)) > 100"""),
    ("a band amount must be plain pounds with at most 2 decimal places",
     "SELECT name FROM raw_bands WHERE NOT regexp_full_match(trim(amount), '[0-9]{1,13}(\\.[0-9]{1,2})?')"),
    ("an age factor must be a plain decimal with at most 4 places",
     "SELECT factor FROM raw_age_factors WHERE NOT regexp_full_match(trim(factor), '[0-9]{1,4}(\\.[0-9]{1,4})?')"),
    ("points cannot be negative", "SELECT option_id FROM option_points WHERE points < 0"),
]


def read_inputs(con, policy_questions, answers, current, on):
    """Reads the answers (table answers) and current amounts (table
    current_amounts), and makes the table child: each child's row number in
    the answers file (rid) and age in whole years on `on`."""
    with open(answers, newline="", encoding="utf-8") as f:
        header = next(csv.reader(f), [])
    expected = ["child_id", "date_of_birth"] + policy_questions
    if header != expected:
        raise InputError(f"{answers}: the header must be {','.join(expected)}")
    columns = "{" + ", ".join(f"{sql_str(c)}: 'VARCHAR'" for c in expected) + "}"
    # Read as text, in file order (preserve_insertion_order is on), so that
    # the table's rowid is the child's position in the file. A blank cell is
    # NULL.
    con.execute(f"""
        CREATE TABLE answers AS
        SELECT * FROM read_csv({sql_str(answers)}, header = true, delim = ',', quote = '"', escape = '"',
                               columns = {columns}, auto_detect = false, strict_mode = true)""")
    bad = con.execute("""SELECT child_id, date_of_birth FROM answers
                         WHERE NOT regexp_full_match(coalesce(trim(date_of_birth), ''), '[0-9]{4}-[0-9]{2}-[0-9]{2}')
                            OR TRY_CAST(trim(date_of_birth) AS DATE) IS NULL
                         ORDER BY rowid LIMIT 1""").fetchone()
    if bad:
        raise InputError(f"child {bad[0]}: date_of_birth {bad[1]!r} is not a date like 2014-09-23")
    leap = on.year % 4 == 0 and (on.year % 100 != 0 or on.year % 400 == 0)
    # Whole years on `on`: one less than the difference of the years when the
    # birthday is still to come that year. A 29 February birthday is on
    # 1 March in a year that is not a leap year. Negative: not yet born.
    con.execute(f"""
        CREATE TABLE child AS
        SELECT rid, child_id,
               {on.year} - year(dob)
               - CASE WHEN {on.month * 100 + on.day}
                           < CASE WHEN month(dob) = 2 AND day(dob) = 29 AND NOT {str(leap).lower()} THEN 301
                                  ELSE month(dob) * 100 + day(dob) END
                      THEN 1 ELSE 0 END AS age
        FROM (SELECT rowid AS rid, child_id, CAST(trim(date_of_birth) AS DATE) AS dob FROM answers)""")
    if current:
        with open(current, newline="", encoding="utf-8") as f:
            if next(csv.reader(f), []) != ["child_id", "stream_id", "annual_amount"]:
                raise InputError(f"{current}: the header must be child_id,stream_id,annual_amount")
        con.execute(f"""
            CREATE TABLE raw_current AS
            SELECT * FROM read_csv({sql_str(current)}, header = true, delim = ',', quote = '"', escape = '"',
                                   columns = {{'child_id': 'VARCHAR', 'stream_id': 'VARCHAR', 'annual_amount': 'VARCHAR'}},
                                   auto_detect = false, strict_mode = true)""")
        bad = con.execute("""SELECT child_id, stream_id, annual_amount FROM raw_current
                             WHERE annual_amount IS NULL
                                OR NOT regexp_full_match(trim(annual_amount), '-?[0-9]{1,13}(\\.[0-9]{1,2})?')
                             LIMIT 1""").fetchone()
        if bad:
            raise InputError(f"{current}: {bad[0]} {bad[1]}: {bad[2]!r} is not an amount like 1234.50")
        # Pounds to pence exactly (the pattern allows at most 2 decimals).
        con.execute("""CREATE TABLE current_amounts AS
                       SELECT child_id, stream_id,
                              CAST(CAST(trim(annual_amount) AS DECIMAL(18,2)) * 100 AS BIGINT) AS current_pence
                       FROM raw_current""")
    else:
        con.execute("CREATE TABLE current_amounts (child_id VARCHAR, stream_id VARCHAR, current_pence BIGINT)")
    # By the child's row number, for the results' join.
    con.execute("""CREATE TABLE current_by_rid AS
                   SELECT c.rid, a.stream_id, a.current_pence
                   FROM current_amounts a JOIN child c ON c.child_id = a.child_id""")


def points_sql(questions, n_streams, pols):
    """The table points: per policy and child, the points per stream (a list
    in stream order) and the first problem with the answers in question
    order (a required question left blank, or an answer that is not one of
    the question's options). Each question's answer is looked up in the
    options table with its own join (an option has a list of points, one per
    stream); only the shape of the SQL comes from the policy, never a value."""
    joins, problems = [], []
    sums = [[] for _ in range(n_streams)]
    for i, q in enumerate(questions):
        o, a = f"o{i}", f"a.{ident(q)}"
        joins.append(f"LEFT JOIN options {o} ON {o}.pol = p.pol AND {o}.question_id = {sql_str(q)}"
                     f" AND {o}.option_id = {a}")
        for s in range(n_streams):
            sums[s].append(f"coalesce({o}.points[{s + 1}], 0)")
        problems.append(f"CASE WHEN {a} IS NULL AND NOT (SELECT optional FROM questions q WHERE q.pol = p.pol"
                        f" AND q.question_id = {sql_str(q)}) THEN 'missing:' || {sql_str(q)}"
                        f" WHEN {a} IS NOT NULL AND {o}.option_id IS NULL THEN 'unknown:' || {sql_str(q)} END")
    nl = "\n        "
    return f"""
        CREATE TABLE options AS
        SELECT pol, question_id, option_id, list(points ORDER BY s_ord) AS points
        FROM option_points GROUP BY ALL;
        CREATE TABLE points AS
        SELECT p.pol, a.rowid AS rid,
               [{("," + nl + "                ").join(" + ".join(t) for t in sums)}] AS points,
               coalesce({("," + nl + "                        ").join(problems)}) AS problem
        FROM answers a
        CROSS JOIN (SELECT DISTINCT pol FROM streams WHERE pol IN ({pols})) p
        {nl.join(joins)}"""


def check_inputs(con, on, pols, answers, current):
    """The errors allot reports, found with small queries."""
    checks = [
        ("SELECT child_id FROM child WHERE child_id IS NULL OR child_id = '' LIMIT 1",
         lambda r: f"{answers}: a row has no child_id"),
        ("SELECT child_id FROM child GROUP BY child_id HAVING count(*) > 1 LIMIT 1",
         lambda r: f"{answers}: child {r[0]!r} appears twice"),
        ("""SELECT c.child_id, p.problem FROM points p JOIN child c USING (rid)
            WHERE p.problem IS NOT NULL ORDER BY p.rid, p.pol LIMIT 1""",
         lambda r: (f"child {r[0]}: question {r[1].split(':', 1)[1]!r} must be answered"
                    if r[1].startswith("missing:") else
                    f"child {r[0]}: the answer to question {r[1].split(':', 1)[1]!r} is not one of its options")),
        ("SELECT child_id FROM child WHERE age < 0 ORDER BY rid LIMIT 1",
         lambda r: f"child {r[0]}: the date of birth is after the calculation date {on}"),
        (f"""SELECT c.child_id, c.age FROM child c CROSS JOIN streams s
             ANTI JOIN factor_for_age f ON f.pol = s.pol AND f.s_ord = s.s_ord AND f.age = c.age
             WHERE s.pol IN ({pols}) ORDER BY c.rid LIMIT 1""",
         lambda r: f"child {r[0]}: is {r[1]} on {on}, and the policy covers ages 0 to {MAX_AGE}"),
        ("SELECT child_id, stream_id FROM current_amounts GROUP BY ALL HAVING count(*) > 1 LIMIT 1",
         lambda r: f"{current}: a second amount for {r[0]} {r[1]}"),
        ("""SELECT stream_id FROM current_amounts ANTI JOIN (SELECT stream_id FROM streams WHERE pol = 0) USING (stream_id)
            LIMIT 1""",
         lambda r: f"{current}: {r[0]!r} is not a stream of the policy"),
        ("SELECT child_id FROM current_amounts ANTI JOIN child USING (child_id) LIMIT 1",
         lambda r: f"{current}: child {r[0]!r} is not in the answers file"),
    ]
    for sql, message in checks:
        row = con.execute(sql).fetchone()
        if row:
            raise InputError(message(row))


# Per child and stream, under each policy `pol`: points, band, base, factor,
# indicative and protected amounts, all in integer pence.
#   indicative = base × factor/10^4 × (10^4 + contingency)/10^4, half-up to
#                whole pounds: (n + 50·10^8) // (100·10^8) × 100
#   floor      = current × (10^4 − max_reduction)/10^4, half-up to whole
#                pounds, never above current
#   protected  = max(indicative, floor) when current > indicative
RESULTS_SQL = """
CREATE VIEW results AS
WITH per_stream AS (
    SELECT s.pol, c.rid, c.child_id, s.s_ord, s.stream_id, p.points[s.s_ord + 1] AS points,
           b.b_ord, b.name AS band, b.amount_pence AS base,
           f.factor_tt, f.factor_text, s.contingency_bp, s.max_reduction_bp, cu.current_pence
    FROM points p
    JOIN child c ON c.rid = p.rid
    JOIN streams s ON s.pol = p.pol
    LEFT JOIN band_for_points bp ON bp.pol = s.pol AND bp.s_ord = s.s_ord AND bp.points = p.points[s.s_ord + 1]
    LEFT JOIN bands b ON b.pol = s.pol AND b.s_ord = s.s_ord AND b.b_ord = bp.b_ord
    JOIN factor_for_age f ON f.pol = s.pol AND f.s_ord = s.s_ord AND f.age = c.age
    LEFT JOIN current_by_rid cu ON cu.rid = c.rid AND cu.stream_id = s.stream_id
),
indicative AS (
    SELECT *,
           CAST((CAST(coalesce(base, 0) AS HUGEINT) * factor_tt * (10000 + contingency_bp) + 5000000000)
                // 10000000000 * 100 AS BIGINT) AS indicative_pence
    FROM per_stream
)
SELECT *,
       CASE WHEN current_pence > indicative_pence
            THEN greatest(indicative_pence,
                          least(CAST((CAST(current_pence AS HUGEINT) * (10000 - max_reduction_bp) + 500000)
                                     // 1000000 * 100 AS BIGINT), current_pence))
            ELSE indicative_pence END AS protected_pence
FROM indicative
"""

# Amounts as pounds with two decimals: integer pence × 0.01 is an exact
# DECIMAL(22,2), which DuckDB writes as 1575.00 (and -0.05). NULL is blank.
OUTPUT_SQL = """
COPY (
    SELECT child_id, stream_id,
           b_ord IS NOT NULL AS eligible,
           points,
           band,
           base * 0.01 AS base_amount,
           CASE WHEN b_ord IS NOT NULL THEN factor_text END AS age_factor,
           indicative_pence * 0.01 AS indicative_amount,
           current_pence * 0.01 AS current_amount,
           protected_pence * 0.01 AS protected_amount
    FROM results
    ORDER BY rid, s_ord
) TO {out} (FORMAT csv, HEADER true, DELIMITER ',', QUOTE '"', NULLSTR '')
"""

SIMULATE_SQL = """
WITH per AS (
    SELECT pol, s_ord, stream_id,
           count(*) FILTER (WHERE b_ord IS NOT NULL) AS eligible,
           sum(indicative_pence) AS indicative,
           sum(protected_pence) AS protected,
           count(*) FILTER (WHERE protected_pence > indicative_pence) AS protected_children
    FROM results GROUP BY ALL
)
SELECT coalesce(o.stream_id, n.stream_id) AS stream_id,
       coalesce(o.eligible, 0) AS eligible_old, coalesce(n.eligible, 0) AS eligible_new,
       coalesce(o.indicative, 0) AS indicative_old, coalesce(n.indicative, 0) AS indicative_new,
       coalesce(o.protected, 0) AS protected_old, coalesce(n.protected, 0) AS protected_new,
       coalesce(o.protected_children, 0) AS protected_children_old,
       coalesce(n.protected_children, 0) AS protected_children_new
FROM (SELECT * FROM per WHERE pol = 0) o
FULL OUTER JOIN (SELECT * FROM per WHERE pol = 1) n ON n.stream_id = o.stream_id
ORDER BY coalesce(o.s_ord, 1000 + n.s_ord)
"""


def pounds(pence):
    sign = "-" if pence < 0 else ""
    p = abs(int(pence))
    return f"{sign}{p // 100}.{p % 100:02d}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--policy", required=True, help="the policy (for --simulate, the current one)")
    ap.add_argument("--answers", required=True)
    ap.add_argument("--current")
    ap.add_argument("--on", required=True, type=dt.date.fromisoformat)
    ap.add_argument("--output", help="results CSV (evaluate)")
    ap.add_argument("--simulate", action="store_true", help="compare --policy with --to")
    ap.add_argument("--to", help="the proposed policy (with --simulate)")
    ap.add_argument("--format", choices=["table", "json"], default="table", help="simulate output")
    ap.add_argument("--threads", type=int, help="DuckDB threads (default: all cores)")
    ap.add_argument("--timings", action="store_true", help="print each step's wall time to stderr")
    args = ap.parse_args()
    if args.simulate != bool(args.to):
        ap.error("--simulate and --to go together")
    if not args.simulate and not args.output:
        ap.error("--output is needed (or --simulate --to P2)")
    con = duckdb.connect()
    if args.threads:
        con.execute(f"SET threads = {args.threads}")
    con.execute("SET preserve_insertion_order = true")
    last = time.perf_counter()

    def step(name):
        nonlocal last
        if args.timings:
            now = time.perf_counter()
            print(f"  {name:<28}{now - last:6.2f} s", file=sys.stderr)
            last = now
    try:
        con.execute(SCHEMA)
        questions, n_streams = load_policy(con, 0, args.policy)
        pols = "0"
        if args.simulate:
            to_questions, to_streams = load_policy(con, 1, args.to)
            n_streams = max(n_streams, to_streams)
            if to_questions != questions:
                raise InputError("--simulate needs two policies with the same questions in the same order")
            pols = "0, 1"
        for message, sql in POLICY_CHECKS:
            row = con.execute(sql + " LIMIT 1").fetchone()
            if row:
                raise InputError(f"policy: {message} ({row[0]!r})")
        con.execute(POLICY_SQL)
        step("policy")
        read_inputs(con, questions, args.answers, args.current, args.on)
        step("read answers and current")
        con.execute(points_sql(questions, n_streams, pols))
        step("points")
        check_inputs(con, args.on, pols, args.answers, args.current)
        step("checks")
        con.execute(RESULTS_SQL)
        if not args.simulate:
            con.execute(OUTPUT_SQL.format(out=sql_str(args.output)))
            step("results to CSV")
            return
        rows = con.execute(SIMULATE_SQL).fetchall()
        step("simulate sums")
        names = ["stream_id", "eligible_old", "eligible_new", "indicative_old", "indicative_new",
                 "protected_old", "protected_new", "protected_children_old", "protected_children_new"]
        money_cols = {"indicative_old", "indicative_new", "protected_old", "protected_new"}
        if args.format == "json":
            out = [{k: (pounds(v) if k in money_cols else v) for k, v in zip(names, r)} for r in rows]
            totals = {k: pounds(sum(r[i] for r in rows)) for i, k in enumerate(names) if k in money_cols}
            json.dump({"streams": out, "total": totals}, sys.stdout, indent=2)
            print()
        else:
            w = [14, 10, 10, 16, 16, 16, 16, 15]
            head = ["stream", "eligible", "(new)", "indicative", "(new)", "protected", "(new)", "change"]
            print("".join(f"{h:<{w[0]}}" if i == 0 else f"{h:>{w[i]}}" for i, h in enumerate(head)))
            total = [0, 0, 0, 0]
            for r in rows:
                d = dict(zip(names, r))
                cells = [d["stream_id"], d["eligible_old"], d["eligible_new"], pounds(d["indicative_old"]),
                         pounds(d["indicative_new"]), pounds(d["protected_old"]), pounds(d["protected_new"]),
                         pounds(d["protected_new"] - d["protected_old"])]
                print("".join(f"{c:<{w[0]}}" if i == 0 else f"{c:>{w[i]}}" for i, c in enumerate(cells)))
                for i, k in enumerate(["indicative_old", "indicative_new", "protected_old", "protected_new"]):
                    total[i] += d[k]
            cells = ["total", "", ""] + [pounds(t) for t in total] + [pounds(total[3] - total[2])]
            print("".join(f"{c:<{w[0]}}" if i == 0 else f"{c:>{w[i]}}" for i, c in enumerate(cells)))
    except InputError as e:
        print(f"duckdb_ras: {e}", file=sys.stderr)
        sys.exit(1)
    except duckdb.Error as e:
        print(f"duckdb_ras: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
