#!/usr/bin/env bash
# A store of N copies of a batch for the scale benchmark (the 1M or 10M outpatient file from
# gen_outpatient.py), each copy ingested with new respondent ids (R2026-k-........), so the
# store holds N batches: `b10m.csv 10` makes 100M respondents.
#   bash bench/repeat_store.sh BATCH.csv N STORE
set -euo pipefail
batch=$1; n=$2; store=$3
bin=${CHISO:-target/release/chiso}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for k in $(seq 1 "$n"); do
  sed "s/^R2026-/R2026-$k-/" "$batch" > "$tmp/copy.csv"
  "$bin" ingest --store "$store" --survey health-outpatient --year 2026 "$tmp/copy.csv" > /dev/null
done
