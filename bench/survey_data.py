#!/usr/bin/env python3
"""Writes the survey benchmark's answer file, deterministic. Usage: bench/survey_data.py OUT.csv [ROWS]

One SERVQUAL respondent a row in `kefu survey import`'s columns (docs/surveys.md): E_Q1..E_Q22 and
P_Q1..P_Q22 on 1-7 with about one answer in twenty missing, the 100-point allocation for two
respondents in three, overall satisfaction, and a comment for one in ten. Rows are drawn from a pool
of 50,000 random answer sets, so a million rows are written in seconds.
"""
import random
import sys

out = sys.argv[1]
rows = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
random.seed(5)
codes = [f"Q{i}" for i in range(1, 23)]
dims = ["tangibles", "reliability", "responsiveness", "assurance", "empathy"]
comments = ["等太久了，电话一直占线", "师傅很专业，准时上门", "The engineer came late twice", "价格偏高", "Helpful staff"]


def answer_set():
    e = [str(random.randint(4, 7)) if random.random() > 0.05 else "" for _ in codes]
    p = [str(random.randint(1, 7)) if random.random() > 0.05 else "" for _ in codes]
    if random.random() < 2 / 3:
        cuts = sorted(random.randint(0, 100) for _ in range(4))
        w = [str(b - a) for a, b in zip([0] + cuts, cuts + [100])]
    else:
        w = [""] * 5
    overall = str(random.randint(1, 7))
    comment = random.choice(comments) if random.random() < 0.1 else ""
    return ",".join(e + p + w + [overall, comment])


pool = [answer_set() for _ in range(50_000)]
with open(out, "w", encoding="utf-8") as f:
    f.write(",".join(["respondent"] + [f"E_{c}" for c in codes] + [f"P_{c}" for c in codes]
                     + [f"W_{d}" for d in dims] + ["overall", "comment"]) + "\n")
    for i in range(rows):
        f.write(f"R{i:07d},{pool[random.randrange(len(pool))]}\n")
