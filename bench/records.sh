#!/usr/bin/env bash
# The QĐ 766 benchmark behind BENCHMARKS.md: procedure records ingested and scored for the
# year, 12 months (and 4 quarters), side by side with polars. From the repository root:
#   bash bench/records.sh [ROWS]        (default 2,000,000 files, 500 units)
# Needs python3 with polars and numpy. Each pair runs side by side, three rounds: compare
# within a round (the machines are noisy).
set -euo pipefail
rows=${1:-2000000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 bench/gen_records.py --rows "$rows" --units 500 --out "$dir"
cargo build --release --quiet
bin=$PWD/target/release/chiso
"$bin" ingest --store "$dir/catalogue-only" --survey tthc-catalogue --year 2026 "$dir/catalogue.csv" > /dev/null
t() { /usr/bin/time -f "$1: %e s, peak %M KB" "${@:2}" > /dev/null; }
for round in 1 2 3; do
  echo "round $round"
  t "polars read_csv        " python3 -c "import polars,sys; polars.read_csv(sys.argv[1])" "$dir/files.csv"
  rm -rf "$dir/store" && cp -r "$dir/catalogue-only" "$dir/store"
  t "chiso ingest           " "$bin" ingest --store "$dir/store" --survey hoso-tthc --year 2026 "$dir/files.csv"
  t "polars qd766 group-by  " python3 bench/qd766_polars.py "$dir/store" "$dir/catalogue.csv"
  t "chiso qd766 (months)   " "$bin" qd766 --store "$dir/store" --year 2026 --period month --out "$dir/q"
  t "chiso qd766 (quarters) " "$bin" qd766 --store "$dir/store" --year 2026 --period quarter --out "$dir/q4"
done
# The polars group-by's on-time (2.1) and online (3.3) rates equal chiso's, month by month.
python3 bench/qd766_polars.py "$dir/store" "$dir/catalogue.csv" --check "$dir/q/qd766_items.csv"
