#!/usr/bin/env python3
"""The RAS calculation in SQL, by DuckDB: the bench's reference point for
`allot ras evaluate` and `allot ras simulate` (bench/ras).

    duckdb_ras.py --policy P --answers A [--current C] --on DATE --output OUT
    duckdb_ras.py --policy P1 --simulate --to P2 --answers A [--current C] --on DATE [--format table|json]

Evaluate writes the results CSV, one row per child and stream, in input order
then stream order, byte for byte as `allot ras evaluate` writes it:

    child_id,stream_id,eligible,points,band,base_amount,age_factor,
    indicative_amount,current_amount,protected_amount

Simulate evaluates every child under both policies and reports, per stream of
the new policy and for the integrated budget, the old and new indicative and
protected sums, how many children gain, lose or stay the same, become or stop
being eligible, a histogram of the change in each child's integrated budget
and the largest changes: with --format json, in the JSON `allot ras simulate
--format json` prints (crates/domain/src/ras/simulate.rs).

Python reads the policy (tomllib) into small tables, checks the files'
header rows and, for simulate, orders the few children SQL picks out for
allot's "largest changes" list (by size, ties by child id);
everything else, from the policy's decimal strings to the results file, is
SQL. Money is integer pence (BIGINT, HUGEINT for products), age factors are
integer ten-thousandths and percentages integer basis points: no floating
point anywhere. The only rounding is the published one, half-up to whole
pounds, by integer division.

Files are read as crates/cli/src/ras_files.rs reads them: answer columns
matched to questions by id (an optional question's column may be left out),
cells trimmed, a blank cell unanswered; current amounts from £0 to
£10,000,000, like 1234.50, £1,234.50 or 1234.5. Anything allot refuses is
refused here, all or nothing (the messages differ).
"""
import argparse
import csv
import datetime as dt
import json
import sys
import time
import tomllib

import duckdb

MAX_AGE = 25                 # policy.rs MAX_AGE
# What Rust trims, as SQL strings: trim_ascii (answer cells) and, of str::trim
# (other fields), the ASCII part (Unicode spaces such as U+00A0 are not
# trimmed here, unlike allot).
WS = "' \t\n\r\x0c'"
WS_STR = "' \t\n\r\x0b\x0c'"
LARGEST = 10                 # simulate.rs LARGEST
BINS = [("down by £5,000 or more", None, -500_000 + 1),   # simulate.rs BINS
        ("down by £1,000 to £4,999", -500_000 + 1, -100_000 + 1),
        ("down by less than £1,000", -100_000 + 1, 0),
        ("no change", 0, 1),
        ("up by less than £1,000", 1, 100_000),
        ("up by £1,000 to £4,999", 100_000, 500_000),
        ("up by £5,000 or more", 500_000, None)]


class InputError(Exception):
    pass


def sql_str(s):
    return "'" + str(s).replace("'", "''") + "'"


# --- the policy -------------------------------------------------------------

SCHEMA = """
CREATE TABLE raw_streams (pol INTEGER, s_ord INTEGER, stream_id VARCHAR, eligibility_min_points BIGINT,
                          contingency_percent VARCHAR, max_reduction_percent VARCHAR);
CREATE TABLE raw_bands (pol INTEGER, s_ord INTEGER, b_ord INTEGER, name VARCHAR, min_points BIGINT,
                        max_points BIGINT, amount VARCHAR);
CREATE TABLE raw_age_factors (pol INTEGER, s_ord INTEGER, min_age INTEGER, max_age INTEGER, factor VARCHAR);
CREATE TABLE questions (pol INTEGER, q_ord INTEGER, question_id VARCHAR, optional BOOLEAN);
CREATE TABLE option_points (pol INTEGER, question_id VARCHAR, option_id VARCHAR, s_ord INTEGER, points BIGINT);
CREATE TABLE bins (bin INTEGER, label VARCHAR, from_pence BIGINT, to_pence BIGINT);
"""


def load_policy(con, pol, path):
    """Loads a policy into the raw_* tables, questions and option_points,
    tagged with `pol` (0 = --policy, 1 = --to), as the file's own strings:
    SQL turns them into integers. Assumes a policy allot accepts (it checks
    only the forms of numbers, so that no cast can round)."""
    with open(path, "rb") as f:
        raw = tomllib.load(f)
    streams, bands, factors, questions, points = [], [], [], [], []
    stream_ord = {}
    for s_ord, s in enumerate(raw["stream"]):
        stream_ord[s["id"]] = s_ord
        streams.append((pol, s_ord, s["id"], s["eligibility_min_points"],
                        s["contingency_percent"], s["max_reduction_percent"]))
        for b_ord, b in enumerate(s["band"]):
            bands.append((pol, s_ord, b_ord, b["name"], b["min_points"], b.get("max_points"), b["amount"]))
        for a in s.get("age_factor", []):
            factors.append((pol, s_ord, a["min_age"], a["max_age"], a["factor"]))
    for q_ord, q in enumerate(raw["question"]):
        questions.append((pol, q_ord, q["id"], bool(q.get("optional", False))))
        for o in q["option"]:
            pts = o.get("points", {})
            unknown = set(pts) - set(stream_ord)
            if unknown:
                raise InputError(f"{path}: option {o['id']!r} gives points to {unknown.pop()!r}, not a stream")
            for sid, s_ord in stream_ord.items():
                points.append((pol, q["id"], o["id"], s_ord, pts.get(sid, 0)))
    for table, rows in (("raw_streams", streams), ("raw_bands", bands), ("raw_age_factors", factors),
                        ("questions", questions), ("option_points", points)):
        if rows:
            con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)
    return {"name": f"{raw['policy']['id']} {raw['policy']['version']}",
            "questions": [(q["id"], bool(q.get("optional", False))) for q in raw["question"]],
            "streams": list(stream_ord)}


POLICY_CHECKS = [
    ("a percentage is a plain decimal with at most 2 places, from 0 to 100",
     """SELECT stream_id FROM raw_streams
        WHERE NOT regexp_full_match(trim(contingency_percent), '[0-9]{1,9}(\\.[0-9]{1,2})?')
           OR NOT regexp_full_match(trim(max_reduction_percent), '[0-9]{1,9}(\\.[0-9]{1,2})?')
           OR CAST(trim(contingency_percent) AS DECIMAL(18,2)) > 100
           OR CAST(trim(max_reduction_percent) AS DECIMAL(18,2)) > 100"""),
    ("a band amount is plain pounds with at most 2 decimal places, at most £10,000,000",
     """SELECT name FROM raw_bands WHERE NOT regexp_full_match(trim(amount), '[0-9]{1,8}(\\.[0-9]{1,2})?')
                                    OR CAST(trim(amount) AS DECIMAL(18,2)) > 10000000"""),
    ("an age factor is a plain decimal with at most 4 places, above 0 and at most 10",
     """SELECT factor FROM raw_age_factors WHERE NOT regexp_full_match(trim(factor), '[0-9]{1,2}(\\.[0-9]{1,4})?')
                                            OR CAST(trim(factor) AS DECIMAL(18,4)) NOT BETWEEN 0.0001 AND 10"""),
    ("points are from 0 to 10,000", "SELECT option_id FROM option_points WHERE points NOT BETWEEN 0 AND 10000"),
]

# The policy's decimal strings as scaled integers: an amount in pence, a
# percentage in basis points, a factor in ten-thousandths (exact: the checks
# above allow no more places than the DECIMAL scale).
POLICY_SQL = f"""
CREATE TABLE streams AS
SELECT pol, s_ord, stream_id, eligibility_min_points,
       CAST(CAST(trim(contingency_percent) AS DECIMAL(9,2)) * 100 AS BIGINT) AS contingency_bp,
       CAST(CAST(trim(max_reduction_percent) AS DECIMAL(9,2)) * 100 AS BIGINT) AS max_reduction_bp,
       EXISTS (SELECT 1 FROM raw_age_factors a WHERE a.pol = s.pol AND a.s_ord = s.s_ord) AS has_age_factors
FROM raw_streams s;

CREATE TABLE bands AS
SELECT pol, s_ord, b_ord, name, min_points, max_points,
       CAST(CAST(trim(amount) AS DECIMAL(18,2)) * 100 AS BIGINT) AS amount_pence
FROM raw_bands;

-- The band (its index, name and amount) for every points total a child can
-- score, so that each child's lookup is one equality join: the first band
-- containing the points, from the eligibility threshold up; the last band is
-- open-ended.
CREATE TABLE band_for_points AS
WITH most AS (
    SELECT pol, s_ord, sum(max_points)::BIGINT AS most
    FROM (SELECT pol, question_id, s_ord, max(points) AS max_points FROM option_points GROUP BY ALL)
    GROUP BY ALL
)
SELECT s.pol, s.s_ord, p.points, min(b.b_ord) AS b_ord, arg_min(b.name, b.b_ord) AS name,
       arg_min(b.amount_pence, b.b_ord) AS amount_pence
FROM streams s
JOIN most m ON m.pol = s.pol AND m.s_ord = s.s_ord
CROSS JOIN LATERAL (SELECT range AS points FROM range(0, m.most + 1)) p
JOIN bands b ON b.pol = s.pol AND b.s_ord = s.s_ord
           AND p.points >= s.eligibility_min_points
           AND p.points >= b.min_points AND (b.max_points IS NULL OR p.points <= b.max_points)
GROUP BY ALL;

-- The age factor for every age in ten-thousandths, and as allot prints it
-- (no trailing zeros: 0.8, 1.15, 1). A stream without age factors has 1 at
-- any age; with them, an age they do not cover has none (an error).
CREATE TABLE factor_for_age AS
WITH f AS (
    SELECT pol, s_ord, min_age, max_age, CAST(CAST(trim(factor) AS DECIMAL(9,4)) * 10000 AS BIGINT) AS factor_tt
    FROM raw_age_factors
    UNION ALL
    SELECT pol, s_ord, 0, 200, 10000 FROM streams WHERE NOT has_age_factors
)
SELECT f.pol, f.s_ord, a.age, arg_min(f.factor_tt, f.min_age) AS factor_tt,
       rtrim(rtrim(printf('%d.%04d', arg_min(f.factor_tt, f.min_age) // 10000,
                          arg_min(f.factor_tt, f.min_age) % 10000), '0'), '.') AS factor_text
FROM f JOIN (SELECT range AS age FROM range(0, 201)) a ON a.age BETWEEN f.min_age AND f.max_age
GROUP BY ALL;
"""


# --- the files ----------------------------------------------------------------

def header_of(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        return [h.strip(" \t\n\r\x0b\x0c") for h in next(csv.reader(f), [])]


def read_csv_sql(path, n_columns):
    """The file's records as text columns c0, c1, … in file order. Wrong
    field counts are errors (strict_mode); an empty cell is NULL."""
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(n_columns)) + "}"
    return (f"read_csv({sql_str(path)}, header = true, delim = ',', quote = '\"', escape = '\"', "
            f"columns = {columns}, auto_detect = false, strict_mode = true, encoding = 'utf-8')")


def read_answers(con, policy, path, on):
    """Reads the answers into the table answers (in file order, so its rowid
    is the child's row number, rid) and makes the table child: rid, the
    trimmed child_id and the age in whole years on `on`. Returns the
    question id of each answer column (c2, c3, …)."""
    header = header_of(path)
    if header[:2] != ["child_id", "date_of_birth"]:
        raise InputError(f"{path}:1: the first two columns must be child_id and date_of_birth")
    known = {q for q, _ in policy["questions"]}
    for i, h in enumerate(header[2:]):
        if h not in known:
            raise InputError(f"{path}:1: {h}: not a question of policy {policy['name']}")
        if h in header[2:2 + i]:
            raise InputError(f"{path}:1: {h}: this column appears twice")
    for q, optional in policy["questions"]:
        if not optional and q not in header[2:]:
            raise InputError(f"{path}:1: {q}: this question must be answered, so its column is required")
    # preserve_insertion_order keeps the file's order, so rowid = row number.
    con.execute(f"CREATE TABLE answers AS SELECT * FROM {read_csv_sql(path, len(header))}")
    leap = on.year % 4 == 0 and (on.year % 100 != 0 or on.year % 400 == 0)
    # Whole years on `on`: the difference of the years, less one while the
    # birthday is still to come that year. A 29 February birthday is on
    # 1 March in a year that is not a leap year. Negative: not yet born.
    # A date_of_birth that is not a real YYYY-MM-DD date gives no age.
    con.execute(f"""
        CREATE TABLE child AS
        SELECT rid, child_id, dob_text,
               {on.year} - year(dob)
               - CASE WHEN {on.month * 100 + on.day}
                           < CASE WHEN month(dob) = 2 AND day(dob) = 29 AND NOT {str(leap).lower()} THEN 301
                                  ELSE month(dob) * 100 + day(dob) END
                      THEN 1 ELSE 0 END AS age
        FROM (SELECT rowid AS rid, trim(coalesce(c0, ''), {WS_STR}) AS child_id, c1 AS dob_text,
                     CASE WHEN regexp_full_match(trim(c1, {WS_STR}), '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}')
                          THEN TRY_CAST(trim(c1, {WS_STR}) AS DATE) END AS dob
              FROM answers)""")
    bad = con.execute("SELECT child_id, dob_text FROM child WHERE age IS NULL ORDER BY rid LIMIT 1").fetchone()
    if bad:
        raise InputError(f"{path}: child {bad[0]}: date_of_birth {bad[1]!r} is not a date like 2014-09-23")
    bad = con.execute("""SELECT child_id FROM child WHERE child_id = '' OR strlen(child_id) > 64
                         ORDER BY rid LIMIT 1""").fetchone()
    if bad:
        raise InputError(f"{path}: child_id: {bad[0]!r}: enter the child's id (at most 64 characters)")
    bad = con.execute("SELECT child_id FROM child GROUP BY child_id HAVING count(*) > 1 LIMIT 1").fetchone()
    if bad:
        raise InputError(f"{path}: child_id: {bad[0]} appears more than once")
    return header[2:]


def read_current(con, path, streams):
    """The table current_amounts: rid, stream_id, pence. `streams` are the
    stream ids the file may name."""
    if not path:
        con.execute("CREATE TABLE current_amounts (rid BIGINT, stream_id VARCHAR, current_pence BIGINT)")
        return
    if header_of(path) != ["child_id", "stream_id", "annual_amount"]:
        raise InputError(f"{path}:1: the columns must be child_id, stream_id, annual_amount")
    # Pence::parse: an optional '-', an optional '£', whole pounds (with or
    # without correct thousands separators), then 1 or 2 decimals if a '.';
    # allot then takes £0 to £10,000,000 (so '-' only before a zero).
    con.execute(f"""
        CREATE TABLE current_amounts AS
        SELECT c.rid, r.child_id, r.stream_id, r.amount,
               CASE WHEN regexp_full_match(r.amount, '-?£?([0-9]+|[0-9]{{1,3}}(,[0-9]{{3}})+)(\\.[0-9]{{1,2}})?')
                    THEN TRY_CAST(TRY_CAST(replace(replace(replace(r.amount, '-', ''), '£', ''), ',', '')
                                           AS DECIMAL(18,2)) * 100 AS BIGINT) END AS current_pence
        FROM (SELECT trim(coalesce(c0, ''), {WS_STR}) AS child_id, trim(coalesce(c1, ''), {WS_STR}) AS stream_id,
                     trim(coalesce(c2, ''), {WS_STR}) AS amount
              FROM {read_csv_sql(path, 3)}) r
        LEFT JOIN child c ON c.child_id = r.child_id""")
    bad = con.execute("""SELECT child_id, stream_id, amount FROM current_amounts
                         WHERE current_pence IS NULL OR current_pence > 1000000000
                            OR (current_pence <> 0 AND starts_with(amount, '-'))
                         LIMIT 1""").fetchone()
    if bad:
        raise InputError(f"{path}: {bad[0]} {bad[1]}: annual_amount {bad[2]!r} is not an amount "
                         "from £0 to £10,000,000 like 1234.50")
    checks = [
        ("SELECT child_id FROM current_amounts WHERE rid IS NULL LIMIT 1",
         lambda r: f"child_id: {r[0]} is not in the answers file"),
        (f"""SELECT stream_id FROM current_amounts
             WHERE stream_id NOT IN ({', '.join(sql_str(s) for s in streams)}) LIMIT 1""",
         lambda r: f"stream_id: {r[0]!r} is not a stream of the policy"),
        ("SELECT child_id, stream_id FROM current_amounts GROUP BY ALL HAVING count(*) > 1 LIMIT 1",
         lambda r: f"{r[0]} already has a current amount for {r[1]}"),
    ]
    for sql, message in checks:
        row = con.execute(sql).fetchone()
        if row:
            raise InputError(f"{path}: {message(row)}")


# --- the calculation ----------------------------------------------------------

def points_sql(columns, n_streams, pols, trim):
    """The table points: for each policy and child, the points per stream (a
    list in stream order) and the first problem with the answers, if any.
    Each answer column is looked up in the table options with a join of its
    own (an option holds a list of points, one per stream); only the SQL's
    shape comes from the policy, never a value. An answer is matched to a
    policy's question and option by id, so for --to an answer that policy
    lacks is unanswered, as allot's simulate maps it.

    allot trims each cell. Trimming 18 columns of 640,000 rows costs DuckDB
    seconds, so the first pass compares cells as they are; an option id
    never has spaces, so a cell that needs trimming shows up as a problem,
    and only then is the table remade with trimmed cells (trim=True)."""
    joins, problems = [], []
    sums = [[] for _ in range(n_streams)]
    for j, q in enumerate(columns):
        o, cell = f"o{j}", (f"nullif(trim(a.c{j + 2}, {WS}), '')" if trim else f"a.c{j + 2}")
        joins.append(f"LEFT JOIN options {o} ON {o}.pol = p.pol AND {o}.question_id = {sql_str(q)}"
                     f" AND {o}.option_id = {cell}")
        for s in range(n_streams):
            sums[s].append(f"coalesce({o}.points[{s + 1}], 0)")
        required = (f"coalesce((SELECT NOT optional FROM questions q WHERE q.pol = p.pol"
                    f" AND q.question_id = {sql_str(q)}), false)")
        problems.append(f"CASE WHEN p.pol = 0 AND {cell} IS NOT NULL AND {o}.option_id IS NULL"
                        f" THEN 'is not an option of question ' || {sql_str(q)}"
                        f" WHEN {o}.option_id IS NULL AND {required}"
                        f" THEN 'has no answer to question ' || {sql_str(q)} END")
    nl = "\n        "
    points = ("[" + ("," + nl + "         ").join(" + ".join(t) for t in sums) + "]") if columns else \
        "[" + ", ".join("0" for _ in range(n_streams)) + "]"
    problem = f"coalesce({(',' + nl + '                 ').join(problems)})" if problems else "NULL::VARCHAR"
    return f"""
        CREATE OR REPLACE TABLE options AS
        SELECT pol, question_id, option_id, list(points ORDER BY s_ord) AS points
        FROM option_points GROUP BY ALL;
        CREATE OR REPLACE TABLE points AS
        SELECT p.pol, a.rowid AS rid,
        {points} AS points,
        {problem} AS problem
        FROM answers a
        CROSS JOIN (SELECT DISTINCT pol FROM streams WHERE pol IN ({pols})) p
        {nl.join(joins)}"""


def check_children(con, on, pols, policies, columns):
    """The evaluation errors allot stops at: an answer that is not an option
    or a required question left blank, a child not yet born, an age the age
    factors do not cover."""
    for pol in pols:
        for q, optional in policies[pol]["questions"]:
            if not optional and q not in columns and con.execute("SELECT count(*) FROM child").fetchone()[0]:
                raise InputError(f"question {q!r} of policy {policies[pol]['name']} must be answered,"
                                 " and the answers file has no such column")
    checks = [
        ("""SELECT c.child_id, p.problem FROM points p JOIN child c USING (rid)
            WHERE p.problem IS NOT NULL ORDER BY p.rid, p.pol LIMIT 1""",
         lambda r: f"child {r[0]} {r[1]}"),
        ("SELECT child_id FROM child WHERE age < 0 ORDER BY rid LIMIT 1",
         lambda r: f"child {r[0]}: the date of birth is after the calculation date {on}"),
        (f"""SELECT c.child_id, c.age FROM child c CROSS JOIN (SELECT * FROM streams WHERE pol IN ({pols_sql(pols)})) s
             ANTI JOIN factor_for_age f ON f.pol = s.pol AND f.s_ord = s.s_ord AND f.age = c.age
             ORDER BY c.rid LIMIT 1""",
         lambda r: f"child {r[0]}: is {r[1]} on {on}, and the policy covers ages 0 to {MAX_AGE}"),
    ]
    for sql, message in checks:
        row = con.execute(sql).fetchone()
        if row:
            raise InputError(message(row))


def pols_sql(pols):
    return ", ".join(str(p) for p in pols)


# Per policy, child and stream: points, band, base, factor, indicative and
# protected amounts, all in integer pence.
#   indicative = base × factor/10^4 × (10^4 + contingency)/10^4, half-up to
#                whole pounds: (n + 50·10^8) // (100·10^8) × 100
#   floor      = current × (10^4 − max_reduction)/10^4, half-up to whole
#                pounds, never above current
#   protected  = max(indicative, floor) when current > indicative
RESULTS_SQL = """
CREATE VIEW results AS
WITH per_stream AS (
    SELECT s.pol, c.rid, c.child_id, s.s_ord, s.stream_id, p.points[s.s_ord + 1] AS points,
           bp.b_ord, bp.name AS band, bp.amount_pence AS base,
           f.factor_tt, f.factor_text, s.contingency_bp, s.max_reduction_bp, cu.current_pence
    FROM points p
    JOIN child c ON c.rid = p.rid
    JOIN streams s ON s.pol = p.pol
    LEFT JOIN band_for_points bp ON bp.pol = s.pol AND bp.s_ord = s.s_ord AND bp.points = p.points[s.s_ord + 1]
    JOIN factor_for_age f ON f.pol = s.pol AND f.s_ord = s.s_ord AND f.age = c.age
    LEFT JOIN current_amounts cu ON cu.rid = c.rid AND cu.stream_id = s.stream_id
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
                          least(CAST((CAST(current_pence AS HUGEINT) * (10000 - least(max_reduction_bp, 10000))
                                      + 500000) // 1000000 * 100 AS BIGINT),
                                current_pence))
            ELSE indicative_pence END AS protected_pence
FROM indicative
"""

# Amounts as pounds with two decimals: integer pence × 0.01 is an exact
# DECIMAL(22,2), which DuckDB writes as 1575.00. NULL is written blank, and a
# field is quoted only when it holds a comma, a quote or a line break, as
# allot's csv_field does.
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
) TO {out} (FORMAT csv, HEADER true, DELIMITER ',', QUOTE '"', ESCAPE '"', NULLSTR '')
"""

# Simulate: one row per child and stream of the new policy (pol 1), beside
# the old policy's (pol 0) stream of the same id; then per child.
SIMULATE_SQL = """
CREATE TABLE sim AS
SELECT pol, rid, s_ord, stream_id, b_ord IS NOT NULL AS eligible, indicative_pence, protected_pence
FROM results;

CREATE TABLE per_stream AS
SELECT n.s_ord, n.stream_id,
       sum(coalesce(o.indicative_pence, 0))::BIGINT AS old_indicative_pence,
       sum(coalesce(o.protected_pence, 0))::BIGINT AS old_protected_pence,
       sum(n.indicative_pence)::BIGINT AS new_indicative_pence,
       sum(n.protected_pence)::BIGINT AS new_protected_pence,
       count(*) FILTER (WHERE n.protected_pence > coalesce(o.protected_pence, 0)) AS gain,
       count(*) FILTER (WHERE n.protected_pence < coalesce(o.protected_pence, 0)) AS lose,
       count(*) FILTER (WHERE n.protected_pence = coalesce(o.protected_pence, 0)) AS same,
       count(*) FILTER (WHERE n.eligible AND NOT coalesce(o.eligible, false)) AS become_eligible,
       count(*) FILTER (WHERE coalesce(o.eligible, false) AND NOT n.eligible) AS stop_being_eligible
FROM (SELECT * FROM sim WHERE pol = 1) n
LEFT JOIN (SELECT * FROM sim WHERE pol = 0) o ON o.rid = n.rid AND o.stream_id = n.stream_id
GROUP BY n.s_ord, n.stream_id;

CREATE TABLE per_child AS
WITH t AS (
    SELECT rid, pol, sum(indicative_pence)::BIGINT AS indicative, sum(protected_pence)::BIGINT AS protected,
           bool_or(eligible) AS eligible
    FROM sim GROUP BY rid, pol
)
SELECT c.rid, c.child_id, o.indicative AS old_indicative, o.protected AS old_pence, o.eligible AS was_eligible,
       n.indicative AS new_indicative, n.protected AS new_pence, n.eligible AS is_eligible,
       n.protected - o.protected AS change_pence
FROM child c
JOIN t o ON o.rid = c.rid AND o.pol = 0
JOIN t n ON n.rid = c.rid AND n.pol = 1;
"""

SIMULATE_TOTAL_SQL = """
SELECT sum(old_indicative)::BIGINT, sum(old_pence)::BIGINT, sum(new_indicative)::BIGINT, sum(new_pence)::BIGINT,
       count(*) FILTER (WHERE new_pence > old_pence), count(*) FILTER (WHERE new_pence < old_pence),
       count(*) FILTER (WHERE new_pence = old_pence),
       count(*) FILTER (WHERE is_eligible AND NOT was_eligible),
       count(*) FILTER (WHERE was_eligible AND NOT is_eligible),
       count(*)
FROM per_child
"""

SIMULATE_HISTOGRAM_SQL = """
SELECT b.bin, count(c.rid)
FROM bins b
LEFT JOIN per_child c ON c.change_pence >= coalesce(b.from_pence, -9223372036854775808)
                     AND c.change_pence < coalesce(b.to_pence, 9223372036854775807)
GROUP BY b.bin ORDER BY b.bin
"""

# The children who can be among the largest changes: every non-zero change
# at least as large (either way) as the tenth largest, in input order.
SIMULATE_LARGEST_SQL = f"""
WITH tenth AS (
    SELECT abs(change_pence) AS size FROM per_child WHERE change_pence <> 0
    ORDER BY size DESC LIMIT 1 OFFSET {LARGEST - 1}
)
SELECT child_id, old_pence, new_pence, change_pence FROM per_child
WHERE change_pence <> 0 AND abs(change_pence) >= coalesce((SELECT size FROM tenth), 0)
ORDER BY rid
"""

SUMMARY_KEYS = ["old_indicative_pence", "old_protected_pence", "new_indicative_pence", "new_protected_pence",
                "gain", "lose", "same", "become_eligible", "stop_being_eligible"]


def largest_changes(candidates):
    """allot's list (simulate.rs): the 10 largest non-zero changes by size,
    ties broken by child id, whatever the input order. Children outside the
    candidates could only ever take a place a candidate does not need, so the
    result is the same as over all children."""
    largest = []
    for child_id, old, new, change in candidates:
        if len(largest) < LARGEST or abs(change) >= abs(largest[-1]["change_pence"]):
            largest.append({"child_id": child_id, "old_pence": old, "new_pence": new, "change_pence": change})
            largest.sort(key=lambda c: (-abs(c["change_pence"]), c["child_id"].encode()))
            del largest[LARGEST:]
    return largest


def simulate(con, policies, on):
    con.execute(SIMULATE_SQL)
    streams = [[r[1], dict(zip(SUMMARY_KEYS, (int(v) for v in r[2:])))]
               for r in con.execute("SELECT * FROM per_stream ORDER BY s_ord").fetchall()]
    t = con.execute(SIMULATE_TOTAL_SQL).fetchone()
    counts = dict(con.execute(SIMULATE_HISTOGRAM_SQL).fetchall())
    histogram = [{"label": label, "from_pence": lo, "to_pence": hi, "children": int(counts.get(i, 0))}
                 for i, (label, lo, hi) in enumerate(BINS)]
    return {"from": policies[0]["name"], "to": policies[1]["name"], "on": on.isoformat(),
            "children": int(t[9] or 0), "streams": streams,
            "total": dict(zip(SUMMARY_KEYS, (int(v or 0) for v in t[:9]))), "histogram": histogram,
            "largest": largest_changes(con.execute(SIMULATE_LARGEST_SQL).fetchall())}


def pounds(pence):
    sign = "-" if pence < 0 else ""
    p = abs(int(pence))
    return f"{sign}{p // 100:,}.{p % 100:02d}"


def print_table(result):
    print(f"{result['from']} → {result['to']}, on {result['on']}, {result['children']} children")
    head = ["stream", "old indicative", "new indicative", "old protected", "new protected", "change",
            "gain", "lose", "now elig.", "no longer"]
    widths = [14, 17, 17, 17, 17, 15, 8, 8, 10, 10]
    print("".join(f"{h:<{w}}" if i == 0 else f"{h:>{w}}" for i, (h, w) in enumerate(zip(head, widths))))
    for sid, s in result["streams"] + [["total", result["total"]]]:
        cells = [sid, pounds(s["old_indicative_pence"]), pounds(s["new_indicative_pence"]),
                 pounds(s["old_protected_pence"]), pounds(s["new_protected_pence"]),
                 pounds(s["new_protected_pence"] - s["old_protected_pence"]), s["gain"], s["lose"],
                 s["become_eligible"], s["stop_being_eligible"]]
        print("".join(f"{c:<{w}}" if i == 0 else f"{c:>{w}}" for i, (c, w) in enumerate(zip(cells, widths))))


# --- main ----------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--policy", required=True, help="the policy (for --simulate, the current one)")
    ap.add_argument("--answers", required=True)
    ap.add_argument("--current")
    ap.add_argument("--on", required=True, type=dt.date.fromisoformat)
    ap.add_argument("--output", help="results CSV (evaluate)")
    ap.add_argument("--simulate", action="store_true", help="compare --policy with --to")
    ap.add_argument("--to", help="the proposed policy (with --simulate)")
    ap.add_argument("--format", choices=["table", "json"], default="table", help="simulate's output")
    ap.add_argument("--threads", type=int, help="DuckDB threads (default: all cores)")
    ap.add_argument("--timings", action="store_true", help="each step's wall time, to stderr")
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
            print(f"  {name:<26}{now - last:6.2f} s", file=sys.stderr)
            last = now

    try:
        con.execute(SCHEMA)
        con.executemany("INSERT INTO bins VALUES (?, ?, ?, ?)", [(i, *b) for i, b in enumerate(BINS)])
        policies = [load_policy(con, 0, args.policy)]
        if args.simulate:
            policies.append(load_policy(con, 1, args.to))
        pols = list(range(len(policies)))
        for message, sql in POLICY_CHECKS:
            row = con.execute(sql + " LIMIT 1").fetchone()
            if row:
                raise InputError(f"policy: {message} ({row[0]!r})")
        con.execute(POLICY_SQL)
        step("policy")
        columns = read_answers(con, policies[0], args.answers, args.on)
        streams = sorted({s for p in policies for s in p["streams"]})
        read_current(con, args.current, streams)
        step("read answers, current")
        n_streams = max(len(p["streams"]) for p in policies)
        con.execute(points_sql(columns, n_streams, pols_sql(pols), trim=False))
        if con.execute("SELECT 1 FROM points WHERE problem IS NOT NULL LIMIT 1").fetchone():
            con.execute(points_sql(columns, n_streams, pols_sql(pols), trim=True))
        step("points")
        check_children(con, args.on, pols, policies, columns)
        step("checks")
        con.execute(RESULTS_SQL)
        if not args.simulate:
            con.execute(OUTPUT_SQL.format(out=sql_str(args.output)))
            step("results to CSV")
            return
        result = simulate(con, policies, args.on)
        step("simulate")
        if args.format == "json":
            print(json.dumps(result, indent=2, ensure_ascii=False))
        else:
            print_table(result)
    except (InputError, duckdb.Error) as e:
        print(f"duckdb_ras: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
