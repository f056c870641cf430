"""Writes a generic-format statement of N lines to standard output.

Usage: python3 make_statement.py N AGREED_REFERENCE CHILDREN_FILE

Half the lines are on the account of AGREED_REFERENCE (whose plan has items
to match: references naming item-1, the personal assistant, amounts), the
rest spread over every child in CHILDREN_FILE (one reference a line).
"""
import random
import sys
from datetime import date, timedelta

n, agreed, children_file = int(sys.argv[1]), sys.argv[2], sys.argv[3]
children = [line.strip() for line in open(children_file) if line.strip()]
rng = random.Random(2026)
merchants = ["Leisure Centre", "A personal assistant", "Odeon", "Tesco", "Swim Club", "Riding for the Disabled"]
descriptions = ["PA wages item-1", "Swimming", "Cinema trip", "Groceries", "Respite item-2", "Card payment"]
start = date(2026, 4, 1)
out = sys.stdout
out.write("account,date,amount,description,merchant,transaction_id,category\n")
buffer = []
for i in range(n):
    account = agreed if i % 2 == 0 else children[rng.randrange(len(children))]
    day = start + timedelta(days=(i * 365) // n)
    pence = -rng.randrange(100, 20000) if i % 17 else rng.randrange(1000, 50000)
    sign = "-" if pence < 0 else ""
    amount = f"{sign}{abs(pence) // 100}.{abs(pence) % 100:02d}"
    k = rng.randrange(len(merchants))
    buffer.append(f"{account},{day.isoformat()},{amount},{descriptions[k]},{merchants[k]},TX-{i:010d},\n")
    if len(buffer) == 100000:
        out.write("".join(buffer))
        buffer.clear()
out.write("".join(buffer))
