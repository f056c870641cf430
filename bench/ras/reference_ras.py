#!/usr/bin/env python3
"""Plain-Python reference for the RAS calculation (bench/ras).

Mirrors crates/domain/src/ras/calc.rs with Python integers only: money in
pence, age factors in ten-thousandths, percentages in basis points, and one
rounding (half-up to whole pounds). It exists to check bench/ras/duckdb_ras.py
(and, through it, `allot ras evaluate`) byte for byte.

    python3 reference_ras.py --policy P --answers A [--current C] --on DATE --output OUT
    python3 reference_ras.py --policy P1 --simulate --to P2 --answers A [--current C] --on DATE

Files are read as crates/cli/src/ras_files.rs reads them and simulate follows
crates/domain/src/ras/simulate.rs; simulate prints JSON in the shape
`allot ras simulate --format json` prints.

Also importable: make_inputs.py uses load_policy() and evaluate_child().
"""
import argparse
import csv
import datetime as dt
import json
import re
import sys
import tomllib

MAX_AGE = 25


class InputError(Exception):
    pass


# --- policy -----------------------------------------------------------------

def parse_scaled(text, dp):
    """A plain non-negative decimal with at most `dp` places, as an integer
    scaled by 10^dp (policy.rs parse_scaled)."""
    s = text.strip()
    whole, _, frac = s.partition(".")
    if not whole.isdigit() or not whole.isascii() or ("." in s and not (frac.isdigit() and frac.isascii())):
        raise InputError(f"not a plain decimal: {text!r}")
    if len(frac) > dp:
        raise InputError(f"{text!r} has more than {dp} decimal places")
    return int(whole) * 10**dp + (int(frac) * 10 ** (dp - len(frac)) if frac else 0)


def parse_pence(text):
    """Pounds like 1234.50, 1234.5, 1234, -12.50, £1,234.50 → pence (money.rs Pence::parse)."""
    s = text.strip()
    if not s:
        raise InputError("an empty amount")
    negative = s.startswith("-")
    if negative:
        s = s[1:]
    if s.startswith("£"):
        s = s[1:]
    whole, dot, frac = s.partition(".")
    if "," in whole:
        groups = whole.split(",")
        if not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
            raise InputError(f"not an amount: {text!r}")
        whole = "".join(groups)
    if not (whole.isascii() and whole.isdigit()):
        raise InputError(f"not an amount: {text!r}")
    if dot and not (frac.isascii() and frac.isdigit()):
        raise InputError(f"not an amount: {text!r}")
    if len(frac) > 2:
        raise InputError(f"more than 2 decimal places: {text!r}")
    pence = int(whole) * 100 + (int(frac.ljust(2, "0")) if frac else 0)
    return -pence if negative else pence


def load_policy(path):
    """The policy as plain integers. Assumes a policy `allot` accepts (it
    checks only what this script relies on)."""
    with open(path, "rb") as f:
        raw = tomllib.load(f)
    streams = []
    for s in raw["stream"]:
        bands = []
        for b in s["band"]:
            bands.append({
                "name": b["name"],
                "min": int(b["min_points"]),
                "max": int(b["max_points"]) if "max_points" in b else None,
                "amount": parse_pence(b["amount"]),
            })
        factors = [(int(a["min_age"]), int(a["max_age"]), parse_scaled(a["factor"], 4))
                   for a in s.get("age_factor", [])]
        streams.append({
            "id": s["id"],
            "eligibility_min_points": int(s["eligibility_min_points"]),
            "contingency_bp": parse_scaled(s["contingency_percent"], 2),
            "max_reduction_bp": parse_scaled(s["max_reduction_percent"], 2),
            "bands": bands,
            "age_factors": factors,
        })
    index = {s["id"]: i for i, s in enumerate(streams)}
    questions = []
    for q in raw["question"]:
        options = {}
        for o in q["option"]:
            pts = [0] * len(streams)
            for sid, v in o.get("points", {}).items():
                pts[index[sid]] = int(v)
            options[o["id"]] = pts
        questions.append({"id": q["id"], "optional": bool(q.get("optional", False)), "options": options})
    return {"streams": streams, "questions": questions, "stream_index": index,
            "name": f"{raw['policy']['id']} {raw['policy']['version']}"}


# --- the calculation --------------------------------------------------------

def is_leap(year):
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def age_on(dob, on):
    """Whole years on `on`; a 29 February birthday falls on 1 March in
    non-leap years. None if `on` is before the date of birth."""
    if on < dob:
        return None
    years = on.year - dob.year
    birthday = (dob.month, dob.day)
    if birthday == (2, 29) and not is_leap(on.year):
        birthday = (3, 1)
    if (on.month, on.day) < birthday:
        years -= 1
    return years


def round_to_pounds(numerator, denominator):
    """numerator/denominator pence (both >= 0), half-up to whole pounds, in pence."""
    per_pound = denominator * 100
    return (numerator + per_pound // 2) // per_pound * 100


def factor_for(stream, age):
    if not stream["age_factors"]:
        return 10_000
    for lo, hi, f in stream["age_factors"]:
        if lo <= age <= hi:
            return f
    return None


def band_for(stream, points):
    if points < stream["eligibility_min_points"]:
        return None
    for i, b in enumerate(stream["bands"]):
        if points >= b["min"] and (b["max"] is None or points <= b["max"]):
            return i
    return None


def evaluate_child(policy, child_id, dob, choices, on, current):
    """choices: option id or None per question (policy order); current: pence
    or None per stream. Returns one dict per stream."""
    age = age_on(dob, on)
    if age is None:
        raise InputError(f"child {child_id}: the date of birth is after the calculation date {on}")
    points = [0] * len(policy["streams"])
    for q, choice in zip(policy["questions"], choices):
        if choice is None:
            if q["optional"]:
                continue
            raise InputError(f"child {child_id}: question {q['id']!r} must be answered")
        pts = q["options"].get(choice)
        if pts is None:
            raise InputError(f"child {child_id}: {choice!r} is not an option of question {q['id']!r}")
        for s, p in enumerate(pts):
            points[s] += p
    out = []
    for s, stream in enumerate(policy["streams"]):
        factor = factor_for(stream, age)
        if factor is None:
            raise InputError(f"child {child_id}: is {age} on {on}, and the policy covers ages 0 to {MAX_AGE}")
        band = band_for(stream, points[s])
        base = stream["bands"][band]["amount"] if band is not None else 0
        # base pence x factor/10^4 x (10^4 + contingency bp)/10^4
        indicative = round_to_pounds(base * factor * (10_000 + stream["contingency_bp"]), 100_000_000)
        cur = current[s]
        protected = indicative
        floor = None
        if cur is not None and cur > indicative:
            floor = min(round_to_pounds(cur * (10_000 - min(stream["max_reduction_bp"], 10_000)), 10_000), cur)
            protected = max(indicative, floor)
        out.append({"points": points[s], "band": band, "base": base, "factor": factor,
                    "indicative": indicative, "current": cur, "floor": floor, "protected": protected})
    return age, out


# --- formatting -------------------------------------------------------------

def money(pence):
    sign = "-" if pence < 0 else ""
    p = abs(pence)
    return f"{sign}{p // 100}.{p % 100:02d}"


def factor_text(tt):
    frac = f"{tt % 10_000:04d}".rstrip("0")
    return f"{tt // 10_000}.{frac}" if frac else f"{tt // 10_000}"


# --- files (as crates/cli/src/ras_files.rs reads and writes them) ----------

ASCII_WS = " \t\n\r\x0c"      # Rust's trim_ascii (answer cells)
STR_WS = " \t\n\r\x0b\x0c"     # the ASCII part of Rust's str::trim (other fields)
INPUT_MAX = 1_000_000_000  # pence: £10,000,000.00, money.rs Pence::INPUT_MAX


def csv_rows(path):
    """(line number, fields) for every record after the header, and the
    header with each name trimmed. A UTF-8 byte-order mark is skipped."""
    f = open(path, newline="", encoding="utf-8-sig")
    r = csv.reader(f)
    header = [h.strip(STR_WS) for h in next(r, [])]
    return header, ((r.line_num, row) for row in r)


def read_answers(path, policy):
    """[(child_id, dob, [option id or None per question of `policy`])] in
    file order. Columns after child_id,date_of_birth are matched to questions
    by id, in any order; an optional question's column may be left out.
    Cells are trimmed; a blank cell is unanswered."""
    header, rows = csv_rows(path)
    if len(header) < 2 or header[:2] != ["child_id", "date_of_birth"]:
        raise InputError(f"{path}:1: the first two columns must be child_id and date_of_birth")
    qindex = {q["id"]: i for i, q in enumerate(policy["questions"])}
    columns = []
    for h in header[2:]:
        if h not in qindex:
            raise InputError(f"{path}:1: {h}: not a question of the policy")
        if h in header[2:2 + len(columns)]:
            raise InputError(f"{path}:1: {h}: this column appears twice")
        columns.append(qindex[h])
    for q in policy["questions"]:
        if not q["optional"] and q["id"] not in header[2:]:
            raise InputError(f"{path}:1: {q['id']}: this question must be answered, so its column is required")
    children, seen = [], set()
    for line, row in rows:
        if len(row) != len(header):
            raise InputError(f"{path}:{line}: expected {len(header)} fields")
        cid = row[0].strip(STR_WS)
        if not cid or len(cid.encode()) > 64:
            raise InputError(f"{path}:{line}: child_id: enter the child's id (at most 64 characters)")
        if cid in seen:
            raise InputError(f"{path}:{line}: child_id: {cid} appears more than once")
        seen.add(cid)
        text = row[1].strip(STR_WS)
        try:
            if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
                raise ValueError
            dob = dt.date.fromisoformat(text)
        except ValueError:
            raise InputError(f"{path}:{line}: date_of_birth: {row[1]!r} is not a date like 2014-09-23") from None
        choices = [None] * len(policy["questions"])
        for c, q in enumerate(columns):
            cell = row[c + 2].strip(ASCII_WS)
            if not cell:
                continue
            if cell not in policy["questions"][q]["options"]:
                raise InputError(f"{path}:{line}: {policy['questions'][q]['id']}: {cell!r} is not an option")
            choices[q] = cell
        for q, question in zip(choices, policy["questions"]):
            if q is None and not question["optional"]:
                raise InputError(f"{path}:{line}: {question['id']}: child {cid} has no answer, "
                                 "and this question must be answered")
        children.append((cid, dob, choices))
    return children


def read_current(path, streams, children):
    """{child_id: {stream_id: pence}}. `streams` are the stream ids the file
    may name (for simulate, both policies')."""
    current = {}
    if path is None:
        return current
    header, rows = csv_rows(path)
    if header != ["child_id", "stream_id", "annual_amount"]:
        raise InputError(f"{path}:1: the columns must be child_id, stream_id, annual_amount")
    for line, row in rows:
        if len(row) != 3:
            raise InputError(f"{path}:{line}: expected 3 fields")
        cid, sid, amount = (x.strip(STR_WS) for x in row)
        if cid not in children:
            raise InputError(f"{path}:{line}: child_id: {cid} is not in the answers file")
        if sid not in streams:
            raise InputError(f"{path}:{line}: stream_id: {sid!r} is not a stream of the policy")
        pence = parse_pence(amount)
        if not 0 <= pence <= INPUT_MAX:
            raise InputError(f"{path}:{line}: annual_amount: must be from £0 to £10,000,000.00")
        slot = current.setdefault(cid, {})
        if sid in slot:
            raise InputError(f"{path}:{line}: {cid} already has a current amount for {sid}")
        slot[sid] = pence
    return current


HEADER = ["child_id", "stream_id", "eligible", "points", "band", "base_amount", "age_factor",
          "indicative_amount", "current_amount", "protected_amount"]


def current_for(policy, current, cid):
    amounts = current.get(cid, {})
    return [amounts.get(s["id"]) for s in policy["streams"]]


def evaluate_file(policy, answers, current, on):
    """Every child's allocation, in input order (all or nothing)."""
    return [evaluate_child(policy, cid, dob, choices, on, current_for(policy, current, cid))
            for cid, dob, choices in answers]


def write_results(path, policy, answers, allocations):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        for (cid, _, _), (_, res) in zip(answers, allocations):
            for stream, r in zip(policy["streams"], res):
                eligible = r["band"] is not None
                w.writerow([
                    cid, stream["id"], "true" if eligible else "false", r["points"],
                    stream["bands"][r["band"]]["name"] if eligible else "",
                    money(r["base"]) if eligible else "",
                    factor_text(r["factor"]) if eligible else "",
                    money(r["indicative"]),
                    money(r["current"]) if r["current"] is not None else "",
                    money(r["protected"]),
                ])


# --- simulate (crates/domain/src/ras/simulate.rs) ---------------------------

BINS = [("down by £5,000 or more", None, -500_000 + 1),
        ("down by £1,000 to £4,999", -500_000 + 1, -100_000 + 1),
        ("down by less than £1,000", -100_000 + 1, 0),
        ("no change", 0, 1),
        ("up by less than £1,000", 1, 100_000),
        ("up by £1,000 to £4,999", 100_000, 500_000),
        ("up by £5,000 or more", 500_000, None)]
LARGEST = 10


def summary():
    return {"old_indicative_pence": 0, "old_protected_pence": 0, "new_indicative_pence": 0,
            "new_protected_pence": 0, "gain": 0, "lose": 0, "same": 0,
            "become_eligible": 0, "stop_being_eligible": 0}


def add(s, old_ind, old, new_ind, new):
    s["old_indicative_pence"] += old_ind
    s["old_protected_pence"] += old
    s["new_indicative_pence"] += new_ind
    s["new_protected_pence"] += new
    s["gain" if new > old else "lose" if new < old else "same"] += 1


def push_largest(largest, change):
    """simulate.rs's list of the largest changes: in if it is not full or the
    change is at least as large as its smallest; sorted by size, then child
    id; cut to 10 (so the result does not depend on input order)."""
    if change["change_pence"] != 0 and (len(largest) < LARGEST
                                        or abs(change["change_pence"]) >= abs(largest[-1]["change_pence"])):
        largest.append(change)
        largest.sort(key=lambda c: (-abs(c["change_pence"]), c["child_id"].encode()))
        del largest[LARGEST:]


def simulate(frm, to, answers, current, on, names):
    """The Simulation as JSON-ready dicts. `answers` are for `frm`; each is
    mapped to `to`'s questions and options by id (what `to` lacks is
    unanswered)."""
    fq = {q["id"]: i for i, q in enumerate(frm["questions"])}
    streams = [(s["id"], summary()) for s in to["streams"]]
    old_index = [frm["stream_index"].get(s["id"]) for s in to["streams"]]
    total = summary()
    histogram = [{"label": l, "from_pence": a, "to_pence": b, "children": 0} for l, a, b in BINS]
    largest = []
    for cid, dob, choices in answers:
        _, old = evaluate_child(frm, cid, dob, choices, on, current_for(frm, current, cid))
        mapped = []
        for q in to["questions"]:
            i = fq.get(q["id"])
            c = choices[i] if i is not None else None
            mapped.append(c if c in q["options"] else None)
        for q, c in zip(to["questions"], mapped):
            if c is None and not q["optional"]:
                raise InputError(f"child {cid}: question {q['id']!r} must be answered")
        _, new = evaluate_child(to, cid, dob, mapped, on, current_for(to, current, cid))
        for (_, s), after, fi in zip(streams, new, old_index):
            before = old[fi] if fi is not None else None
            oi, op, was = (before["indicative"], before["protected"], before["band"] is not None) if before else (0, 0, False)
            add(s, oi, op, after["indicative"], after["protected"])
            is_ = after["band"] is not None
            if is_ and not was:
                s["become_eligible"] += 1
            elif was and not is_:
                s["stop_being_eligible"] += 1
        old_int, new_int = sum(r["protected"] for r in old), sum(r["protected"] for r in new)
        add(total, sum(r["indicative"] for r in old), old_int, sum(r["indicative"] for r in new), new_int)
        was, is_ = any(r["band"] is not None for r in old), any(r["band"] is not None for r in new)
        if is_ and not was:
            total["become_eligible"] += 1
        elif was and not is_:
            total["stop_being_eligible"] += 1
        change = new_int - old_int
        for b in histogram:
            if (b["from_pence"] is None or change >= b["from_pence"]) and (b["to_pence"] is None or change < b["to_pence"]):
                b["children"] += 1
                break
        push_largest(largest, {"child_id": cid, "old_pence": old_int, "new_pence": new_int, "change_pence": change})
    return {"from": names[0], "to": names[1], "on": on.isoformat(), "children": len(answers),
            "streams": [[sid, s] for sid, s in streams], "total": total, "histogram": histogram,
            "largest": largest}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--policy", required=True, help="the policy (for --simulate, the current one)")
    ap.add_argument("--answers", required=True)
    ap.add_argument("--current")
    ap.add_argument("--on", required=True, type=dt.date.fromisoformat)
    ap.add_argument("--output", help="results CSV (evaluate)")
    ap.add_argument("--simulate", action="store_true", help="compare --policy with --to; JSON like allot's")
    ap.add_argument("--to")
    args = ap.parse_args()
    if args.simulate != bool(args.to) or (not args.simulate and not args.output):
        ap.error("use --output, or --simulate --to P2")
    try:
        policy = load_policy(args.policy)
        answers = read_answers(args.answers, policy)
        ids = {a[0] for a in answers}
        if args.simulate:
            to = load_policy(args.to)
            streams = {s["id"] for s in policy["streams"]} | {s["id"] for s in to["streams"]}
            current = read_current(args.current, streams, ids)
            result = simulate(policy, to, answers, current, args.on, (policy["name"], to["name"]))
            print(json.dumps(result, indent=2, ensure_ascii=False))
        else:
            current = read_current(args.current, {s["id"] for s in policy["streams"]}, ids)
            write_results(args.output, policy, answers, evaluate_file(policy, answers, current, args.on))
    except InputError as e:
        print(f"reference_ras: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
