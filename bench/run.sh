#!/usr/bin/env bash
# The speed comparison behind BENCHMARKS.md. From the repository root, with ../shared beside it:
#   bash bench/run.sh [ROWS]        (default 1,000,000 respondents, 200 units; 10000000 for
#                                   the 10M row of BENCHMARKS.md: 1.2 GB of CSV)
# Needs python3 with polars and duckdb (pip install polars duckdb). Runs each pair side by side, three times:
# the machines are noisy, so compare within a round rather than across rounds.
set -euo pipefail
rows=${1:-1000000}
shared=../shared/bench
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 "$shared/gen_outpatient.py" --rows "$rows" --units 200 --out "$dir/batch.csv"
cargo build --release --quiet
bin=target/release/chiso
t() { /usr/bin/time -f "$1: %e s, peak %M KB" "${@:2}" > /dev/null; }
for round in 1 2 3; do
  echo "round $round"
  t "polars read_csv  " python3 -c "import polars,sys; polars.read_csv(sys.argv[1])" "$dir/batch.csv"
  rm -rf "$dir/store"
  t "chiso ingest     " "$bin" ingest --store "$dir/store" --survey health-outpatient --year 2026 "$dir/batch.csv"
  t "polars_fast.py   " python3 "$shared/polars_fast.py" "$dir/batch.csv"
  t "chiso score      " "$bin" score --store "$dir/store" --survey health-outpatient --year 2026 --out "$dir/out"
  t "duckdb_psu.py    " python3 "$shared/duckdb_psu.py" "$dir/store/data/survey=health-outpatient/year=2026/*.parquet"
  # The same pass as SQL (docs/scale.md): DuckDB runs what --emit-sql prints, chiso finishes.
  "$bin" score --store "$dir/store" --survey health-outpatient --year 2026 --emit-sql > "$dir/totals.sql"
  t "duckdb --emit-sql " python3 -c "import duckdb, sys; duckdb.execute(f\"COPY ({open(sys.argv[1]).read()}) TO '{sys.argv[2]}' (FORMAT parquet)\")" "$dir/totals.sql" "$dir/totals.parquet"
  t "chiso --psu-totals" "$bin" score --survey health-outpatient --year 2026 --psu-totals "$dir/totals.parquet" --out "$dir/out-sql"
done
