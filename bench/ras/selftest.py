#!/usr/bin/env python3
"""Checks that duckdb_ras.py and reference_ras.py agree byte for byte (bench/ras).

    python3 selftest.py [--children 20000] [--work DIR]

1. Generated inputs (make_inputs.py) at 1,000 and --children children, under
   the example policy and under random variants of it (band amounts with
   pence, factors with 4 decimals, percentages with 2, 0% and 100% maximum
   reductions, a stream without age factors).
2. Hand-made edge cases on several dates: 29 February birthdays in leap and
   other years, birthdays on the day, the last open-ended band, amounts that
   end in exactly half a pound, current amounts equal to, just above and far
   above the new amount, blank optional answers, no current amount.
3. Bad inputs: both must refuse them (exit status not 0).
4. Simulate: DuckDB's per-stream sums equal the sums of the reference's two
   results files.
"""
import argparse
import csv
import datetime as dt
import os
import random
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
POLICY = os.path.join(HERE, "..", "..", "policies", "example-children.toml")
sys.path.insert(0, HERE)
import reference_ras as ref  # noqa: E402

failures = []


def run(script, *args):
    return subprocess.run([sys.executable, os.path.join(HERE, script), *args], capture_output=True, text=True)


def agree(name, policy, answers, current, on, work):
    outs = []
    for script in ("reference_ras.py", "duckdb_ras.py"):
        out = os.path.join(work, f"{name}.{script.split('_')[0]}.csv")
        args = ["--policy", policy, "--answers", answers, "--on", on, "--output", out]
        if current:
            args += ["--current", current]
        r = run(script, *args)
        if r.returncode != 0:
            failures.append(f"{name}: {script} failed: {r.stderr.strip()}")
            return None
        outs.append(out)
    a, b = (open(p, "rb").read() for p in outs)
    rows = a.count(b"\n") - 1
    if a != b:
        la, lb = a.split(b"\n"), b.split(b"\n")
        first = next(i for i in range(min(len(la), len(lb))) if la[i] != lb[i]) if la != lb else -1
        failures.append(f"{name}: outputs differ at line {first + 1}:\n  ref    {la[first]!r}\n  duckdb {lb[first]!r}")
        print(f"  DIFFER  {name}")
    else:
        print(f"  same    {name} ({rows} rows)")
    return outs[0]


def refuse(name, policy, answers, current, on):
    for script in ("reference_ras.py", "duckdb_ras.py"):
        args = ["--policy", policy, "--answers", answers, "--on", on, "--output", os.devnull]
        if current:
            args += ["--current", current]
        r = run(script, *args)
        if r.returncode == 0:
            failures.append(f"{name}: {script} accepted it")
        else:
            print(f"  refused {name} by {script}: {r.stderr.strip().splitlines()[-1]}")


def random_policy(seed, path):
    """The example policy with its numbers changed at random, still valid."""
    rng = random.Random(seed)
    text = open(POLICY, encoding="utf-8").read()
    # Band amounts: non-decreasing within a stream, with pence.
    out, prev = [], 0
    for line in text.splitlines(keepends=True):
        if line.strip() == "[[stream]]":
            prev = 0
        m = re.match(r'(\s*amount = ")([0-9.]+)(")', line)
        if m:
            pence = prev + rng.randint(0, 1_500_000)
            pence = pence if rng.random() < 0.7 else pence // 100 * 100 + 50
            prev = pence
            amount = f"{pence // 100}.{pence % 100:02d}" if rng.random() < 0.8 else f"{pence // 100}"
            line = f"{m.group(1)}{amount}{m.group(3)}\n"
        m = re.match(r'(\s*factor = ")([0-9.]+)(")', line)
        if m:
            line = f'{m.group(1)}{rng.randint(1, 30000) / 10000:.4f}{m.group(3)}\n'.replace('.0000"', '"')
        m = re.match(r'(contingency_percent|max_reduction_percent)( = ")([0-9.]+)(")', line)
        if m:
            v = rng.choice([0, 10000, rng.randint(0, 10000), rng.randint(0, 3000)])
            line = f'{m.group(1)}{m.group(2)}{v // 100}.{v % 100:02d}{m.group(4)}\n'
        out.append(line)
    text = "".join(out)
    if seed % 2:
        # Education with age factors of its own (health has none already).
        extra = "".join(f'\n  [[stream.age_factor]]\n  min_age = {lo}\n  max_age = {hi}\n  factor = "{rng.randint(5000, 15000) / 10000}"\n'
                        for lo, hi in [(0, 9), (10, 19), (20, 25)])
        text = text.replace("\n# Personal health budget", extra + "\n# Personal health budget")
    else:
        # Social care without age factors.
        text = re.sub(r"\n  \[\[stream\.age_factor\]\]\n  min_age = \d+\n  max_age = \d+\n  factor = \"[0-9.]+\"\n", "\n", text)
    open(path, "w", encoding="utf-8").write(text)
    ref.load_policy(path)  # it parses
    return path


EDGE_DOBS = ["2008-02-29", "2016-02-29", "2012-02-29", "2004-02-29", "2020-02-29", "2024-02-29",
             "2021-02-28", "2021-03-01", "2010-11-22", "2010-11-23", "2015-11-21", "2003-03-02",
             "2015-02-28", "2015-03-01", "2022-02-28", "2011-03-01", "2010-02-28", "2021-11-22"]
EDGE_DATES = ["2026-02-28", "2026-03-01", "2026-11-22", "2027-02-28", "2027-03-01",
              "2028-02-28", "2028-02-29", "2028-03-01"]


def edge_inputs(work):
    policy = ref.load_policy(POLICY)
    qs = policy["questions"]
    rng = random.Random(7)
    answers = [["child_id", "date_of_birth"] + [q["id"] for q in qs]]
    current = [["child_id", "stream_id", "annual_amount"]]
    amounts = ["1575.00", "1260.00", "6038.00", "1733.00", "1235.00", "1234.55", "0.01", "0.00", "100.60",
               "1811.00", "1811.01", "1812.00", "2012.22", "2013.00", "5000000.99", "1", "1260.5", "6706.67", "0.60"]
    n = 0
    for dob in EDGE_DOBS:
        for k in range(40):
            n += 1
            cid = f"E-{n:04d}"
            row = [cid, dob]
            for q in qs:
                opts = list(q["options"])
                if q["optional"] and rng.random() < 0.5:
                    row.append("")
                elif k == 0:
                    row.append(opts[-1])          # the most of everything
                elif k == 1:
                    row.append(opts[0])           # the least
                else:
                    row.append(opts[min(len(opts) - 1, int(rng.random() ** (1 + k % 4) * len(opts)))])
            answers.append(row)
            for s in policy["streams"]:
                if rng.random() < 0.6:
                    current.append([cid, s["id"], rng.choice(amounts)])
    paths = {}
    for name, rows in (("answers", answers), ("current", current)):
        paths[name] = os.path.join(work, f"edge-{name}.csv")
        with open(paths[name], "w", newline="", encoding="utf-8") as f:
            csv.writer(f, lineterminator="\n").writerows(rows)
    return paths["answers"], paths["current"]


def bad_inputs(work):
    """(name, answers, current, on) that must be refused."""
    good_a, good_c = edge_inputs(work)
    a = open(good_a, encoding="utf-8").read().splitlines()
    c = open(good_c, encoding="utf-8").read().splitlines()
    cases = []

    def write(name, lines_a, lines_c):
        pa, pc = os.path.join(work, f"bad-{name}-a.csv"), os.path.join(work, f"bad-{name}-c.csv")
        open(pa, "w").write("\n".join(lines_a) + "\n")
        open(pc, "w").write("\n".join(lines_c) + "\n")
        return pa, pc

    first = a[1].split(",")
    missing = first[:]
    missing[2] = ""
    cases.append(("required answer blank", *write("missing", [a[0], ",".join(missing)], c[:1]), "2026-11-22"))
    wrong = first[:]
    wrong[3] = "no_such_option"
    cases.append(("unknown option", *write("option", [a[0], ",".join(wrong)], c[:1]), "2026-11-22"))
    cases.append(("age 26", *write("old", [a[0], ",".join([first[0], "2000-01-01"] + first[2:])], c[:1]), "2026-11-22"))
    cases.append(("not yet born", *write("unborn", [a[0], ",".join([first[0], "2026-11-23"] + first[2:])], c[:1]),
                  "2026-11-22"))
    cases.append(("bad date", *write("date", [a[0], ",".join([first[0], "2026-02-30"] + first[2:])], c[:1]),
                  "2026-11-22"))
    cases.append(("duplicate child", *write("dup", [a[0], a[1], a[1]], c[:1]), "2026-11-22"))
    cases.append(("wrong header", *write("header", [a[0].replace("learning", "learnin"), a[1]], c[:1]), "2026-11-22"))
    cases.append(("3 decimal places", *write("pence", a[:2], [c[0], f"{first[0]},social_care,12.345"]), "2026-11-22"))
    cases.append(("unknown stream", *write("stream", a[:2], [c[0], f"{first[0]},transport,12.34"]), "2026-11-22"))
    cases.append(("current twice", *write("twice", a[:2], [c[0], f"{first[0]},health,1.00", f"{first[0]},health,2.00"]),
                  "2026-11-22"))
    cases.append(("unknown child", *write("who", a[:2], [c[0], "NOBODY,health,1.00"]), "2026-11-22"))
    return cases


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--children", type=int, default=20000)
    ap.add_argument("--work", default=os.path.join(HERE, "..", "out", "ras-selftest"))
    args = ap.parse_args()
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    on = "2026-11-22"

    print("generated inputs:")
    for n in (1000, args.children):
        d = os.path.join(work, f"gen-{n}")
        r = run("make_inputs.py", str(n), d, "--seed", str(n))
        if r.returncode:
            sys.exit(r.stderr)
        a, c = os.path.join(d, "answers.csv"), os.path.join(d, "current.csv")
        agree(f"{n} children, example policy", POLICY, a, c, on, work)
        agree(f"{n} children, no current amounts", POLICY, a, None, on, work)
        for seed in range(1, 7 if n == 1000 else 4):
            p = random_policy(seed * 1000 + n, os.path.join(work, f"policy-{n}-{seed}.toml"))
            agree(f"{n} children, random policy {seed}", p, a, c, on, work)

    print("edge cases:")
    a, c = edge_inputs(work)
    for d in EDGE_DATES:
        agree(f"edge cases on {d}", POLICY, a, c, d, work)
        agree(f"edge cases on {d}, random policy", random_policy(500 + EDGE_DATES.index(d), os.path.join(work, "policy-edge.toml")),
              a, c, d, work)
    # The edge file must really contain what it is for.
    out = os.path.join(work, "edge.ref.csv")
    run("reference_ras.py", "--policy", POLICY, "--answers", a, "--current", c, "--on", "2028-02-29", "--output", out)
    rows = list(csv.DictReader(open(out, encoding="utf-8")))
    seen = {
        "the open-ended top band": any(r["band"] == "Exceptional support" for r in rows),
        "an indicative amount from exactly half a pound": any(
            r["eligible"] == "true" and (int(ref.parse_pence(r["base_amount"])) * ref.parse_scaled(r["age_factor"], 4)
                                         * (10500 if r["stream_id"] != "health" else 11000)) % 10**10 == 5 * 10**9
            for r in rows),
        "protection applied": any(r["protected_amount"] != r["indicative_amount"] for r in rows),
        "current equal to the new amount": any(r["current_amount"] == r["indicative_amount"] for r in rows),
        "protected amount with pence (floor = current)": any(not r["protected_amount"].endswith(".00") for r in rows),
        "ineligible with current": any(r["eligible"] == "false" and r["current_amount"] for r in rows),
    }
    for what, ok in seen.items():
        print(f"  {'has' if ok else 'LACKS'}     {what}")
        if not ok:
            failures.append(f"edge cases lack {what}")
    ages = {}
    for d in ("2026-02-28", "2026-03-01", "2028-02-28", "2028-02-29"):
        ages[d] = ref.age_on(dt.date(2008, 2, 29), dt.date.fromisoformat(d))
    print(f"  29 February 2008 birthday: ages {ages}")
    if ages != {"2026-02-28": 17, "2026-03-01": 18, "2028-02-28": 19, "2028-02-29": 20}:
        failures.append(f"age_on is wrong: {ages}")

    print("bad inputs:")
    for name, pa, pc, d in bad_inputs(work):
        refuse(name, POLICY, pa, pc, d)

    print("simulate:")
    d = os.path.join(work, f"gen-{args.children}")
    a, c = os.path.join(d, "answers.csv"), os.path.join(d, "current.csv")
    p2 = random_policy(99, os.path.join(work, "policy-sim.toml"))
    r = run("duckdb_ras.py", "--policy", POLICY, "--simulate", "--to", p2, "--answers", a, "--current", c,
            "--on", on, "--format", "json")
    if r.returncode:
        failures.append(f"simulate failed: {r.stderr}")
    else:
        import json
        got = {s["stream_id"]: s for s in json.loads(r.stdout)["streams"]}
        for tag, policy in (("old", POLICY), ("new", p2)):
            out = os.path.join(work, f"sim-{tag}.csv")
            run("reference_ras.py", "--policy", policy, "--answers", a, "--current", c, "--on", on, "--output", out)
            sums = {}
            for row in csv.DictReader(open(out, encoding="utf-8")):
                s = sums.setdefault(row["stream_id"], [0, 0, 0])
                s[0] += row["eligible"] == "true"
                s[1] += ref.parse_pence(row["indicative_amount"])
                s[2] += ref.parse_pence(row["protected_amount"])
            for sid, (e, i, p) in sums.items():
                want = (e, ref.money(i), ref.money(p))
                have = (got[sid][f"eligible_{tag}"], got[sid][f"indicative_{tag}"], got[sid][f"protected_{tag}"])
                print(f"  {'same' if want == have else 'DIFFER':<8}{sid} {tag}: {have}")
                if want != have:
                    failures.append(f"simulate {sid} {tag}: duckdb {have}, reference {want}")

    if failures:
        print("\nFAILED:\n" + "\n".join(failures))
        sys.exit(1)
    print("\nall agree")


if __name__ == "__main__":
    main()
