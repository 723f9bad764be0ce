#!/usr/bin/env python3
"""A hand-written polars group-by of the QĐ 766 file rates, for the benchmark beside
`chiso qd766 --period month`: the same store (its Parquet files), the latest state of each
file, the year and each month (cut at the export's day), per unit: files in hand and on time
(2.1, 5.4), received, online (3.3), digitised (4.2), reusing data (4.3), from the data store
(4.4), linked to citizen data (4.5b), with a fee and paid online (3.6).

    python3 bench/qd766_polars.py STORE [CATALOGUE.csv] [--check ITEMS.csv]

With --check, compares its on-time and online rates with chiso's qd766_items.csv.
"""
import glob
import sys
from datetime import datetime, timedelta

import polars as pl

store = sys.argv[1]
catalogue = sys.argv[2] if len(sys.argv) > 2 and not sys.argv[2].startswith("--") else None
check = sys.argv[sys.argv.index("--check") + 1] if "--check" in sys.argv else None

files = sorted(glob.glob(f"{store}/data/survey=hoso-tthc/year=*/*.parquet"))
df = (
    pl.read_parquet(files, hive_partitioning=False)
    .sort(["as_of", "line"])
    .unique(subset=["record_id"], keep="last", maintain_order=True)
)
t = lambda c: pl.col(c).str.to_datetime("%Y-%m-%d %H:%M", strict=False)
i = lambda c: pl.col(c).cast(pl.Int64, strict=False).fill_null(0)
df = df.with_columns(
    received=t("received_at"),
    due=t("due_at"),
    fin=t("finished_at"),
    sup_n=i("supplement_requests"),
    sup_d=i("supplement_days"),
    status=i("status"),
    channel=i("channel"),
    paid=i("paid_online"),
    **{f: i(f) == 1 for f in ["e_result", "digitised", "reused_data", "from_data_store", "citizen_data", "has_fee", "disliked"]},
)
if catalogue:
    cat = pl.read_csv(catalogue, infer_schema_length=0).select(
        "procedure_id", (pl.col("paper_result_required") == "1").alias("paper")
    )
    df = df.join(cat, on="procedure_id", how="left").with_columns(pl.col("paper").fill_null(False))
else:
    df = df.with_columns(paper=pl.lit(False))
df = df.filter(~pl.col("status").is_in([1, 3]))
as_of = datetime.fromisoformat(df["as_of"].max()) + timedelta(hours=23, minutes=59)
year = int(df["as_of"].max()[:4])


def month_end(m):
    nxt = datetime(year + (m == 12), m % 12 + 1, 1)
    return nxt - timedelta(minutes=1)


periods = [(str(year), datetime(year, 1, 1), datetime(year, 12, 31, 23, 59))]
periods += [(f"{year}-{m:02d}", datetime(year, m, 1), month_end(m)) for m in range(1, 13)]
out = []
for label, start, end in periods:
    if start > as_of:
        continue
    end = min(end, as_of)
    finished = pl.col("fin").is_not_null() & (pl.col("fin") <= end)
    stop = pl.when(finished).then(pl.col("fin")).otherwise(pl.lit(end))
    ok = (pl.col("sup_n") <= 1) & (stop <= pl.col("due") + pl.duration(days=pl.col("sup_d")))
    in_hand = (pl.col("received") <= end) & (pl.col("fin").is_null() | (pl.col("fin") >= start))
    got = pl.col("received").is_between(start, end)
    online = got & (pl.col("channel") == 2) & (~pl.col("paper") | pl.col("e_result"))
    out.append(
        df.group_by("unit_id")
        .agg(
            in_hand=in_hand.sum(),
            on_time=(in_hand & ok).sum(),
            disliked=(in_hand & pl.col("disliked")).sum(),
            received=got.sum(),
            online=online.sum(),
            digitised=(got & pl.col("digitised") & (pl.col("e_result") | ~pl.col("paper"))).sum(),
            reused=(got & pl.col("reused_data")).sum(),
            store=(got & pl.col("from_data_store")).sum(),
            citizen=(got & pl.col("citizen_data")).sum(),
            fee=(got & pl.col("has_fee")).sum(),
            paid=(got & pl.col("has_fee") & pl.col("paid").is_in([1, 2])).sum(),
        )
        .with_columns(
            period=pl.lit(label),
            on_time_pct=100 * pl.col("on_time") / pl.col("in_hand"),
            online_pct=100 * pl.col("online") / pl.col("received"),
        )
    )
rates = pl.concat(out).sort(["period", "unit_id"])
print(f"{rates.height} unit-periods", file=sys.stderr)
if check:
    chiso = pl.read_csv(check, infer_schema_length=0).filter(pl.col("item").is_in(["2.1", "3.3"]))
    worst = 0.0
    for item, col in [("2.1", "on_time_pct"), ("3.3", "online_pct")]:
        c = chiso.filter(pl.col("item") == item).select(
            "period", "unit_id", pl.col("rate_pct").cast(pl.Float64).alias("chiso")
        )
        j = rates.join(c, on=["period", "unit_id"])
        worst = max(worst, (j[col] - j["chiso"]).abs().max())
        print(f"{item}: {j.height} rows compared", file=sys.stderr)
    print(f"largest difference from chiso: {worst}", file=sys.stderr)
    sys.exit(0 if worst < 1e-9 else 1)
