#!/usr/bin/env python3
"""Checks that duckdb_ras.py and reference_ras.py agree byte for byte (bench/ras).

    python3 selftest.py [--children 20000] [--work DIR] [--allot target/release/allot]

With --allot, the allot binary is a third implementation in every check.

1. Generated inputs (make_inputs.py) at 1,000 and --children children, under
   the example policy and under random variants of it (band amounts with
   pence, factors with 4 decimals, percentages with 2, 0% and 100% maximum
   reductions, a stream without age factors).
2. Hand-made edge cases on several dates: 29 February birthdays in leap and
   other years, birthdays on the day, the last open-ended band, amounts that
   end in exactly half a pound, current amounts equal to, just above and far
   above the new amount, blank optional answers, no current amount, a child id that CSV must quote.
3. Bad inputs: both must refuse them (exit status not 0).
4. Simulate: the same JSON from both (per-stream and total sums and counts,
   histogram, largest changes), for policies that change amounts, questions,
   options and streams, with ties among the largest changes and children in
   another order; a new required question is refused.
5. Files in the forms allot accepts: columns in another order, optional
   columns left out, cells with spaces, a byte-order mark, CRLF line ends,
   amounts written £1,234.50.
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


ALLOT = None  # --allot: the allot binary, checked as a third implementation


def run(script, *args):
    if script == "allot":
        return run_allot(*args)
    return subprocess.run([sys.executable, os.path.join(HERE, script), *args], capture_output=True, text=True)


def run_allot(*args):
    """The same arguments, as `allot ras evaluate` or `allot ras simulate`."""
    args = list(args)
    if "--simulate" in args:
        args.remove("--simulate")
        args[args.index("--policy")] = "--from"
        if "--format" not in args:
            args += ["--format", "json"]
        command = ["simulate"]
    else:
        command = ["evaluate"]
    return subprocess.run([ALLOT, "ras", *command, *args], capture_output=True, text=True, cwd=os.path.dirname(ALLOT),
                          env={**os.environ, "CI": "true"})


def implementations():
    return ["reference_ras.py", "duckdb_ras.py"] + (["allot"] if ALLOT else [])


def agree(name, policy, answers, current, on, work):
    outs = []
    for script in implementations():
        out = os.path.join(work, re.sub(r"[^A-Za-z0-9.-]+", "-", name) + f".{script.split('_')[0]}.csv")
        args = ["--policy", policy, "--answers", answers, "--on", on, "--output", out]
        if current:
            args += ["--current", current]
        r = run(script, *args)
        if r.returncode != 0:
            failures.append(f"{name}: {script} failed: {r.stderr.strip()}")
            return None
        outs.append(out)
    a = open(outs[0], "rb").read()
    rows = a.count(b"\n") - 1
    same = True
    for script, path in zip(implementations()[1:], outs[1:]):
        b = open(path, "rb").read()
        if a != b:
            la, lb = a.split(b"\n"), b.split(b"\n")
            first = next((i for i in range(min(len(la), len(lb))) if la[i] != lb[i]), min(len(la), len(lb)) - 1)
            failures.append(f"{name}: {script} differs at line {first + 1}:\n  reference {la[first]!r}\n"
                            f"  {script:<9} {lb[first]!r}")
            same = False
    print(f"  {'same' if same else 'DIFFER':<8}{name} ({rows} rows)")
    return outs[0]


def refuse(name, policy, answers, current, on):
    for script in implementations():
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
            cid = f"E-{n:04d}" if n != 5 else 'E-0005 "quoted, with a comma"'
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


def format_variants(work):
    """(name, answers, current) in the other forms allot reads."""
    a, c = edge_inputs(work)
    rows = list(csv.reader(open(a, encoding="utf-8", newline="")))
    cur = list(csv.reader(open(c, encoding="utf-8", newline="")))
    out = []

    def write(name, arows, crows, bom=False, crlf=False):
        pa, pc = os.path.join(work, f"form-{name}-a.csv"), os.path.join(work, f"form-{name}-c.csv")
        for path, rs in ((pa, arows), (pc, crows)):
            with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
                csv.writer(f, lineterminator="\r\n" if crlf else "\n").writerows(rs)
        out.append((name, pa, pc))

    # Question columns reversed, the optional disabled_sibling left out.
    keep = [0, 1] + [i for i in range(len(rows[0]) - 1, 1, -1) if rows[0][i] != "disabled_sibling"]
    write("reordered", [[r[i] for i in keep] for r in rows], cur)
    # Spaces and tabs around cells and header names; a blank optional answer
    # written as spaces.
    rng = random.Random(3)
    pad = lambda x: rng.choice(["", " ", "  ", "\t"]) + x + rng.choice(["", " ", "\t "])
    padded = [[pad(x) for x in rows[0]]]
    for r in rows[1:]:
        padded.append([pad(x) if x else rng.choice(["", " ", "  "]) for x in r])
    write("padded", padded, [[pad(x) for x in r] for r in cur])
    write("bom-crlf", rows, cur, bom=True, crlf=True)
    # Amounts as people type them: £, thousands separators, one decimal, -0.
    forms = [cur[0]]
    for i, (cid, sid, amount) in enumerate(cur[1:]):
        pence = ref.parse_pence(amount)
        forms.append([cid, sid, [f"£{pence // 100:,}.{pence % 100:02d}", f"{pence // 100:,}.{pence % 100:02d}",
                                 amount, f"£{amount}"][i % 4]])
    forms.append([rows[1][0].strip(), "health", "-0.00"]) if not any(
        r[0] == rows[1][0] and r[1] == "health" for r in cur[1:]) else None
    write("amount-forms", rows, forms)
    return out


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
    cases.append(("negative amount", *write("negative", a[:2], [c[0], f"{first[0]},health,-1.00"]), "2026-11-22"))
    cases.append(("amount over £10m", *write("huge", a[:2], [c[0], f"{first[0]},health,10000000.01"]), "2026-11-22"))
    cases.append(("badly placed comma", *write("comma", a[:2], [c[0], f'{first[0]},health,"12,34.00"']), "2026-11-22"))
    cases.append(("child id over 64", *write("longid", [a[0], ",".join(["X" * 65] + first[1:])], c[:1]), "2026-11-22"))
    cases.append(("current header", *write("cheader", a[:2], ["child,stream,amount"]), "2026-11-22"))
    cases.append(("short row", *write("short", [a[0], ",".join(first[:5])], c[:1]), "2026-11-22"))
    return cases


NEW_QUESTION = """
[[question]]
id = "transport_to_school"
domain = "Enjoying and achieving"
text = "How does your child get to school?"
optional = true

  [[question.option]]
  id = "walks"
  label = "Walks or goes with the family"
  points = {}
  [[question.option]]
  id = "taxi"
  label = "Needs a taxi with an escort"
  points = { social_care = 3 }
"""


def simulate_policies(work):
    """(name, path) of policies to simulate the example policy's move to."""
    text = open(POLICY, encoding="utf-8").read()
    out = []

    def write(name, body):
        path = os.path.join(work, f"policy-{name}.toml")
        open(path, "w", encoding="utf-8").write(body)
        ref.load_policy(path)
        return path

    plus3, prev = [], 0
    for line in text.splitlines(keepends=True):
        if line.strip() == "[[stream]]":
            prev = 0
        m = re.match(r'^(\s*)amount = "([0-9]+)\.([0-9]{2})"', line)
        if m:
            prev = max((int(m.group(2) + m.group(3)) * 103 + 50) // 100, prev)
            line = f'{m.group(1)}amount = "{prev // 100}.{prev % 100:02d}"\n'
        plus3.append(line)
    out.append(("+3% bands", write("plus3", "".join(plus3))))
    out.append(("random policy", random_policy(4242, os.path.join(work, "policy-r4242.toml"))))
    # One band changes by £100: many children change by the same amount, so
    # the ten largest changes tie.
    write("ties", text.replace('amount = "4500.00"', 'amount = "4600.00"'))
    # Questions and streams that differ: a required question dropped, an
    # option renamed (its answers become unanswered), a new optional
    # question, the health stream renamed (old health ignored per stream, a
    # new stream from nothing).
    changed = re.sub(r'\[\[question\]\]\nid = "other_caring".*?(?=\[\[question\]\])', "", text, flags=re.S)
    changed = changed.replace('id = "full_support"', 'id = "full_support_all_day"')
    changed = changed.replace('id = "health"', 'id = "nhs_care"').replace("health = ", "nhs_care = ")
    out.append(("changed questions and streams", write("changed", changed + NEW_QUESTION)))
    return out


def agree_simulate(name, p1, p2, answers, current, on, work):
    outs = []
    for script in implementations():
        args = ["--policy", p1, "--simulate", "--to", p2, "--answers", answers, "--on", on]
        if script == "duckdb_ras.py":
            args += ["--format", "json"]
        if current:
            args += ["--current", current]
        r = run(script, *args)
        if r.returncode != 0:
            failures.append(f"{name}: {script} failed: {r.stderr.strip()}")
            return
        outs.append(r.stdout)
    slug = re.sub(r"[^A-Za-z0-9.-]+", "-", name)
    for script, out in zip(implementations(), outs):
        open(os.path.join(work, f"sim-{slug}.{script.split('_')[0]}.json"), "w", encoding="utf-8").write(out)
    if any(out != outs[0] for out in outs[1:]):
        failures.append(f"{name}: simulate JSON differs (see {work}/sim-{slug}.*.json)")
        print(f"  DIFFER  {name}")
    else:
        import json
        d = json.loads(outs[0])
        top = d["largest"][-1]["change_pence"] if d["largest"] else 0
        tied = sum(1 for c in d["largest"] if c["change_pence"] == top)
        print(f"  same    {name} ({d['children']} children; {tied} of the largest changes tie at {top}p)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--children", type=int, default=20000)
    ap.add_argument("--work", default=os.path.join(HERE, "..", "out", "ras-selftest"))
    ap.add_argument("--allot", help="also check this allot binary (allot ras evaluate / simulate)")
    args = ap.parse_args()
    global ALLOT
    ALLOT = os.path.abspath(args.allot) if args.allot else None
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
        "a child id that needs quoting": any("," in r["child_id"] for r in rows),
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

    print("file forms:")
    for name, fa, fc in format_variants(work):
        agree(f"form {name}", POLICY, fa, fc, "2027-03-01", work)

    print("bad inputs:")
    for name, pa, pc, d in bad_inputs(work):
        refuse(name, POLICY, pa, pc, d)

    print("simulate (JSON as allot prints it):")
    d = os.path.join(work, f"gen-{args.children}")
    a, c = os.path.join(d, "answers.csv"), os.path.join(d, "current.csv")
    shuffled = os.path.join(work, "answers-shuffled.csv")
    lines = open(a, encoding="utf-8").read().splitlines(keepends=True)
    body = lines[1:]
    random.Random(5).shuffle(body)
    open(shuffled, "w", encoding="utf-8").write(lines[0] + "".join(body))
    for name, p2 in simulate_policies(work):
        agree_simulate(f"{args.children} children, example → {name}", POLICY, p2, a, c, on, work)
    ties = os.path.join(work, "policy-ties.toml")
    agree_simulate("shuffled children, example → one band +£100 (ties)", POLICY, ties, shuffled, c, on, work)
    agree_simulate("no current amounts, example → +3%", POLICY, os.path.join(work, "policy-plus3.toml"), a, None,
                   on, work)
    agree_simulate("edge cases, random → example", random_policy(77, os.path.join(work, "policy-r77.toml")), POLICY,
                   *edge_inputs(work), "2028-02-29", work)
    new_required = os.path.join(work, "policy-new-required.toml")
    open(new_required, "w", encoding="utf-8").write(open(POLICY, encoding="utf-8").read() + NEW_QUESTION.replace(
        "optional = true", "optional = false"))
    for script in implementations():
        r = run(script, "--policy", POLICY, "--simulate", "--to", new_required, "--answers", a, "--on", on)
        if r.returncode == 0:
            failures.append(f"simulate to a policy with a new required question: {script} accepted it")
        else:
            print(f"  refused a new required question by {script}: {r.stderr.strip().splitlines()[-1]}")

    if failures:
        print("\nFAILED:\n" + "\n".join(failures))
        sys.exit(1)
    print("\nall agree")


if __name__ == "__main__":
    main()
