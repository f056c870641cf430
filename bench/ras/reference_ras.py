#!/usr/bin/env python3
"""Plain-Python reference for the RAS calculation (bench/ras).

Mirrors crates/domain/src/ras/calc.rs with Python integers only: money in
pence, age factors in ten-thousandths, percentages in basis points, and one
rounding (half-up to whole pounds). It exists to check bench/ras/duckdb_ras.py
(and, through it, `allot ras evaluate`) byte for byte.

    python3 reference_ras.py --policy P --answers A [--current C] --on DATE --output OUT

Also importable: make_inputs.py uses load_policy() and evaluate_child().
"""
import argparse
import csv
import datetime as dt
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
    return {"streams": streams, "questions": questions, "stream_index": index}


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


# --- files ------------------------------------------------------------------

def read_current(path, policy, known_children):
    """{child_id: [pence or None per stream]}"""
    current = {}
    if path is None:
        return current
    n = len(policy["streams"])
    with open(path, newline="", encoding="utf-8") as f:
        r = csv.reader(f)
        header = next(r)
        if header != ["child_id", "stream_id", "annual_amount"]:
            raise InputError(f"{path}: the header must be child_id,stream_id,annual_amount")
        for line, row in enumerate(r, start=2):
            if len(row) != 3:
                raise InputError(f"{path}:{line}: expected 3 fields")
            cid, sid, amount = row
            s = policy["stream_index"].get(sid)
            if s is None:
                raise InputError(f"{path}:{line}: {sid!r} is not a stream of the policy")
            if cid not in known_children:
                raise InputError(f"{path}:{line}: child {cid!r} is not in the answers file")
            slot = current.setdefault(cid, [None] * n)
            if slot[s] is not None:
                raise InputError(f"{path}:{line}: a second amount for {cid} {sid}")
            slot[s] = parse_pence(amount)
    return current


def read_answers(path, policy):
    """[(child_id, dob, [option id or None per question])] in file order."""
    with open(path, newline="", encoding="utf-8") as f:
        r = csv.reader(f)
        header = next(r)
        expected = ["child_id", "date_of_birth"] + [q["id"] for q in policy["questions"]]
        if header != expected:
            raise InputError(f"{path}: the header must be {','.join(expected)}")
        rows = []
        seen = set()
        for line, row in enumerate(r, start=2):
            if len(row) != len(expected):
                raise InputError(f"{path}:{line}: expected {len(expected)} fields")
            cid = row[0]
            if not cid:
                raise InputError(f"{path}:{line}: no child_id")
            if cid in seen:
                raise InputError(f"{path}:{line}: child {cid!r} appears twice")
            seen.add(cid)
            try:
                dob = dt.date.fromisoformat(row[1].strip())
            except ValueError:
                raise InputError(f"{path}:{line}: date_of_birth {row[1]!r} is not YYYY-MM-DD") from None
            rows.append((cid, dob, [c if c != "" else None for c in row[2:]]))
    return rows


HEADER = ["child_id", "stream_id", "eligible", "points", "band", "base_amount", "age_factor",
          "indicative_amount", "current_amount", "protected_amount"]


def evaluate_file(policy, answers, current, on):
    """Yields (child_id, stream index, result) in input order then stream order."""
    n = len(policy["streams"])
    for cid, dob, choices in answers:
        _, res = evaluate_child(policy, cid, dob, choices, on, current.get(cid, [None] * n))
        for s, r in enumerate(res):
            yield cid, s, r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--policy", required=True)
    ap.add_argument("--answers", required=True)
    ap.add_argument("--current")
    ap.add_argument("--on", required=True, type=dt.date.fromisoformat)
    ap.add_argument("--output", required=True)
    args = ap.parse_args()
    try:
        policy = load_policy(args.policy)
        answers = read_answers(args.answers, policy)
        current = read_current(args.current, policy, {a[0] for a in answers})
        with open(args.output, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(HEADER)
            for cid, s, r in evaluate_file(policy, answers, current, args.on):
                stream = policy["streams"][s]
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
    except InputError as e:
        print(f"reference_ras: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
