#!/usr/bin/env python3
"""Deterministic, realistic RAS inputs for the bench (bench/ras).

    python3 make_inputs.py N OUTDIR [--seed S] [--policy P] [--on 2026-11-22]

Writes OUTDIR/answers.csv (child_id,date_of_birth,<question ids in policy
order>) and OUTDIR/current.csv (child_id,stream_id,annual_amount) for N
children, the same bytes for the same N, seed and policy.

The shape, for the example children's policy:
- ages 0-25 on the calculation date, shaped roughly like England's EHC
  plans by age (about 5% under 5, 38% aged 5-10, 33% 11-15, 19% 16-19 and
  5% 20-25);
- answers driven by a few hidden needs per child (learning, physical,
  behaviour, medical, family), mostly low, so most children fall in the lower
  social care and education bands and few reach the health threshold;
- optional questions answered about 5% of the time (preparing for adulthood
  only for children aged 14 or over);
- current amounts for about 60% of children for social care, 40% for
  education and 3% for health, near what the policy gives, with pence; about
  a fifth higher than the policy gives (so transitional protection
  matters), and some for children no longer eligible.
"""
import argparse
import bisect
import datetime as dt
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_ras as ref  # noqa: E402

DEFAULT_POLICY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "policies", "example-children.toml")

# Children with EHC plans by age in whole years: relative weights for ages
# 0 to 25, a rough approximation of England's SEN2 figures, not a copy.
AGE_WEIGHTS = [0.2, 0.4, 0.8, 1.3, 2.3,            # 0-4
               4.6, 5.7, 6.2, 6.5, 6.7, 6.8,        # 5-10
               6.9, 6.8, 6.6, 6.3, 6.0,             # 11-15
               5.6, 5.0, 4.2, 3.2,                  # 16-19
               2.0, 1.3, 0.8, 0.5, 0.3, 0.2]        # 20-25

# Which hidden need drives each question of the example policy (others use
# the child's overall need).
DRIVER = {
    "personal_care": "physical", "getting_about": "physical",
    "health_condition": "medical", "clinical_care": "medical",
    "awareness_of_danger": "learning", "learning": "learning", "communication": "learning",
    "having_a_say": "learning", "everyday_skills": "learning", "preparing_for_adulthood": "learning",
    "behaviour": "behaviour", "help_at_school": "school", "friends_and_activities": "overall",
    "carer_health": "family", "other_caring": "family", "family_and_friends": "family",
    "sleep_at_night": "night", "disabled_sibling": "family",
}
# Target share of children with a current amount, per stream (others 20%).
CURRENT_SHARE = {"social_care": 0.60, "education": 0.40, "health": 0.03}
# How much likelier a child who is eligible now is to have a current amount
# than one who is not (a current amount for a child not eligible now is an
# award made under an older assessment).
INELIGIBLE_RATIO = {"social_care": 0.25, "education": 0.25, "health": 0.08}
OPTIONAL_ANSWERED = 0.05


def thresholds(n_options):
    """Cut points on a need in [0, 1] for options 1..n-1: the first option
    (no extra need) up to 0.35, the rest spread evenly above."""
    return [0.35 + 0.62 * k / (n_options - 1) for k in range(n_options - 1)] if n_options > 1 else []


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", type=int)
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--policy", default=DEFAULT_POLICY)
    ap.add_argument("--on", default="2026-11-22", type=dt.date.fromisoformat,
                    help="calculation date the ages are relative to")
    args = ap.parse_args()
    policy = ref.load_policy(args.policy)
    streams = policy["streams"]
    questions = policy["questions"]
    rng = random.Random(args.seed)
    rnd = rng.random
    on = args.on

    # Dates of birth: age a means born in (on - (a+1) years, on - a years].
    def years_before(d, y):
        try:
            return d.replace(year=d.year - y)
        except ValueError:  # 29 February
            return d.replace(year=d.year - y, day=28)
    spans = []
    for a in range(len(AGE_WEIGHTS)):
        hi = years_before(on, a)
        lo = years_before(on, a + 1) + dt.timedelta(days=1)
        spans.append((lo.toordinal(), (hi - lo).days))
    age_cum = []
    t = 0.0
    for w in AGE_WEIGHTS:
        t += w
        age_cum.append(t)
    age_total = t

    # Preparing for adulthood is only for children aged 14 or over: answered
    # by as many of them as makes 5% of all children.
    pfa_answered = min(1.0, OPTIONAL_ANSWERED * age_total / sum(AGE_WEIGHTS[14:]))
    qinfo = []
    for q in questions:
        opts = list(q["options"].items())  # (id, points per stream), policy order
        qinfo.append((q["id"], q["optional"], DRIVER.get(q["id"], "overall"),
                      thresholds(len(opts)), [o[0] for o in opts], [o[1] for o in opts]))
    nstreams = len(streams)

    os.makedirs(args.outdir, exist_ok=True)
    ids = []
    indicative = []   # per child: list of pence per stream
    eligible_count = [0] * nstreams
    ages = []
    with open(os.path.join(args.outdir, "answers.csv"), "w", encoding="utf-8", newline="") as f:
        f.write(",".join(["child_id", "date_of_birth"] + [q[0] for q in qinfo]) + "\n")
        buf = []
        for i in range(1, args.n + 1):
            cid = f"WV-{i:07d}"
            age = bisect.bisect_left(age_cum, rnd() * age_total)
            lo, days = spans[age]
            dob = dt.date.fromordinal(lo + int(rnd() * (days + 1)))
            # Hidden needs in [0, 1], mostly low; overall need shared by all.
            overall = rnd() ** 1.7
            learning = 0.5 * overall + 0.5 * rnd() ** 1.1
            physical = overall * rnd() ** 0.8 if rnd() < 0.55 else 0.35 * rnd()
            behaviour = 0.4 * overall + 0.6 * rnd() ** 1.8
            medical = (0.3 + 0.7 * overall) * (0.6 + 0.4 * rnd()) if rnd() < 0.12 else 0.3 * rnd() ** 2
            family = rnd() ** 1.6
            need = {"overall": overall, "learning": learning, "physical": physical,
                    "behaviour": behaviour, "medical": medical, "family": family,
                    "school": max(learning, behaviour, physical * 0.9),
                    "night": max(behaviour * 0.8, medical, physical * 0.7)}
            cells = [cid, dob.isoformat()]
            points = [0] * nstreams
            for qid, optional, driver, th, oids, opts in qinfo:
                if optional:
                    if qid == "preparing_for_adulthood":
                        answered = age >= 14 and rnd() < pfa_answered
                    else:
                        answered = rnd() < OPTIONAL_ANSWERED
                    if not answered:
                        cells.append("")
                        continue
                x = need[driver] + (rnd() + rnd() - 1.0) * 0.18
                k = bisect.bisect_right(th, x)
                cells.append(oids[k])
                p = opts[k]
                for s in range(nstreams):
                    points[s] += p[s]
            buf.append(",".join(cells))
            if len(buf) >= 20000:
                f.write("\n".join(buf) + "\n")
                buf.clear()
            ind = []
            for s, stream in enumerate(streams):
                band = ref.band_for(stream, points[s])
                if band is None:
                    ind.append(None)
                    continue
                eligible_count[s] += 1
                factor = ref.factor_for(stream, age)
                ind.append(ref.round_to_pounds(stream["bands"][band]["amount"] * factor
                                               * (10_000 + stream["contingency_bp"]), 100_000_000))
            ids.append(cid)
            indicative.append(ind)
            ages.append(age)
        if buf:
            f.write("\n".join(buf) + "\n")

    # Current amounts, so that each stream's overall share is about its target.
    n = max(args.n, 1)
    p_eligible = []
    for s, stream in enumerate(streams):
        share = CURRENT_SHARE.get(stream["id"], 0.20)
        ratio = INELIGIBLE_RATIO.get(stream["id"], 0.35)
        e = eligible_count[s] / n
        p_eligible.append(min(1.0, share / (e + ratio * (1 - e))) if e + ratio * (1 - e) > 0 else 0.0)
    with open(os.path.join(args.outdir, "current.csv"), "w", encoding="utf-8", newline="") as f:
        f.write("child_id,stream_id,annual_amount\n")
        buf = []
        for cid, ind, age in zip(ids, indicative, ages):
            for s, stream in enumerate(streams):
                amount = ind[s]
                ratio = INELIGIBLE_RATIO.get(stream["id"], 0.35)
                if rnd() >= (p_eligible[s] if amount is not None else p_eligible[s] * ratio):
                    continue
                if amount is None:
                    # An older award: around the lowest band's amount.
                    m = 0.5 + 0.7 * rnd()
                    amount = stream["bands"][0]["amount"] * (ref.factor_for(stream, age) or 10_000) // 10_000
                else:
                    r = rnd()
                    m = 0.88 + 0.17 * rnd() if r < 0.8 else 1.05 + 0.45 * rnd()
                pence = int(amount * m) // 100 * 100 + int(rnd() * 100)
                buf.append(f"{cid},{stream['id']},{pence // 100}.{pence % 100:02d}")
            if len(buf) >= 20000:
                f.write("\n".join(buf) + "\n")
                buf.clear()
        if buf:
            f.write("\n".join(buf) + "\n")


if __name__ == "__main__":
    main()
