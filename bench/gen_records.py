#!/usr/bin/env python3
"""Procedure records (hoso-tthc layout) for the QĐ 766 benchmark: --rows files over --units
offices in one year, with the catalogue they are checked against. Seeded, so every run
writes the same files.

    python3 bench/gen_records.py --rows 2000000 --units 500 --out DIR
writes DIR/catalogue.csv and DIR/files.csv.
"""
import argparse
import os

import numpy as np
import polars as pl

ap = argparse.ArgumentParser()
ap.add_argument("--rows", type=int, default=2_000_000)
ap.add_argument("--units", type=int, default=500)
ap.add_argument("--year", type=int, default=2026)
ap.add_argument("--out", required=True)
a = ap.parse_args()
os.makedirs(a.out, exist_ok=True)
rng = np.random.default_rng(766)
n = a.rows

procs = 40
cat = pl.DataFrame(
    {
        "procedure_id": [f"P{i:03d}" for i in range(procs)],
        "unit_id": [""] * procs,
        "name": [f"Thủ tục {i}" for i in range(procs)],
        "online_level": [["toan_trinh", "mot_phan", ""][i % 3] for i in range(procs)],
        "eligible_full_online": [int(i % 3 != 2) for i in range(procs)],
        "has_fee": [int(i % 4 == 0) for i in range(procs)],
        "paper_result_required": [int(i % 2 == 0) for i in range(procs)],
        "max_days": [[1, 3, 5, 7, 15][i % 5] for i in range(procs)],
    }
)
cat.write_csv(os.path.join(a.out, "catalogue.csv"))

start = np.datetime64(f"{a.year}-01-02T07:30")
# Received: minutes into the year, within ~11 months so some files are still open.
received = start + rng.integers(0, 330 * 24 * 60, n).astype("timedelta64[m]")
days = np.array([1, 3, 5, 7, 15])[rng.integers(0, 5, n)]
due = received + (days * 24 * 60 + 9 * 60).astype("timedelta64[m]")
late = rng.random(n) < 0.15
delta = np.where(late, rng.integers(1, 10 * 24 * 60, n), -rng.integers(0, 24 * 60, n))
finished = due + delta.astype("timedelta64[m]")
finished = np.maximum(finished, received + np.timedelta64(30, "m"))
year_end = np.datetime64(f"{a.year}-11-30T17:00")
open_ = finished > year_end
sup = np.where(rng.random(n) < 0.08, rng.integers(1, 3, n), 0)


def fmt(t):
    return pl.Series(t.astype("datetime64[ms]")).dt.strftime("%d/%m/%Y %H:%M")


fin = fmt(finished)
files = pl.DataFrame(
    {
        "record_id": [f"HS{i:09d}" for i in range(n)],
        "unit_id": pl.Series([f"Đơn vị {u:04d}" for u in range(a.units)])
        .gather(rng.integers(0, a.units, n)),
        "procedure_id": pl.Series([f"P{p:03d}" for p in range(procs)])
        .gather(rng.integers(0, procs, n)),
        "channel": rng.choice([1, 2, 3], n, p=[0.6, 0.37, 0.03]),
        "received_at": fmt(received),
        "due_at": fmt(due),
        "finished_at": pl.Series(np.where(open_, None, fin.to_numpy()), dtype=pl.Utf8),
        "status": np.where(open_, 4, 10),
        "supplement_requests": sup,
        "supplement_days": np.where(sup > 0, rng.integers(1, 6, n), 0),
        "e_result": (rng.random(n) < 0.7).astype(int),
        "digitised": (rng.random(n) < 0.6).astype(int),
        "reused_data": (rng.random(n) < 0.4).astype(int),
        "from_data_store": (rng.random(n) < 0.3).astype(int),
        "citizen_data": (rng.random(n) < 0.5).astype(int),
        "paid_online": rng.choice([0, 1, 2], n, p=[0.7, 0.2, 0.1]),
        "has_fee": (rng.random(n) < 0.25).astype(int),
        "disliked": (rng.random(n) < 0.03).astype(int),
    }
)
files.write_csv(os.path.join(a.out, "files.csv"))
