#!/usr/bin/env python3
"""Writes the small seeded sample batches in this folder (run from the repository root).

    python3 surveys/samples/make_samples.py

Each batch: 4 communes (unit_id), each its own stratum, 3 villages (thôn) as PSUs,
unequal weights, a few blanks (no answer) and 0 (not applicable).
"""
import csv, random, tomllib
from pathlib import Path

UNITS = ["Xuân Dương", "Côn Minh", "Quang Phong", "Na Rì"]
HERE = Path(__file__).parent


def answers(rng, quality, scale):
    if "values" in scale:
        lo, hi = min(scale["values"]), max(scale["values"])
    else:
        lo, hi = scale["range"]
    x = rng.random()
    if x < 0.02:
        return ""
    if x < 0.03 and 0 in scale.get("not_applicable", [0]) and lo > 0 and hi < 10:
        return "0"
    v = lo + (hi - lo) * min(1.0, max(0.0, rng.gauss(quality, 0.22)))
    return str(int(round(v)))


def make(survey, year, rows, seed, extra):
    spec = tomllib.loads((HERE.parent / f"{survey}.toml").read_text(encoding="utf-8"))
    rng = random.Random(seed)
    # Some forms in use leave out a few optional policy items; health keeps its optional questions.
    qs = [q for q in spec["questions"] if q.get("part") != "policy" or rng.random() < 0.9]
    header = ["respondent_id", "unit_id", "stratum", "psu", "weight"] + list(extra) + [
        q.get("header", q["code"]) for q in qs]
    out = HERE / f"{survey}-{year}.csv"
    with out.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in range(rows):
            u = rng.randrange(len(UNITS))
            quality = 0.62 + 0.06 * u + (year - 2025) * 0.03
            row = [f"{survey[:2].upper()}{year}-{r + 1:04d}", UNITS[u], f"S{u + 1}",
                   f"{UNITS[u]} / thôn {rng.randrange(3) + 1}", round(rng.uniform(0.8, 2.5), 3)]
            row += [rng.choice(v) for v in extra.values()]
            person = rng.gauss(0, 0.08)
            for q in qs:
                row.append(answers(rng, quality + person, spec["scales"][q["scale"]]))
            w.writerow(row)
    print(out, rows)


if __name__ == "__main__":
    make("sipas", 2026, 240, 1, {"gioi_tinh": ["nam", "nu"], "nhom_tuoi": ["18-29", "30-44", "45-59", "60+"],
                                  "ho_ten": ["Nguyễn Văn A", "Trần Thị B"], "dien_thoai": ["0912000000"]})
    make("health-outpatient", 2026, 240, 2, {"gender": ["nam", "nu"], "age_group": ["30-44", "60+"]})
    make("health-inpatient", 2026, 160, 3, {"gender": ["nam", "nu"], "khoa": ["Nội", "Ngoại", "Nhi"]})
    make("education", 2026, 200, 4, {"doi_tuong": ["phu_huynh", "hoc_sinh"], "cap_hoc": ["tieu_hoc", "thcs"]})
