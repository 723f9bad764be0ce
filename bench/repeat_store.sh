#!/usr/bin/env bash
# A store of N × 1,000,000 respondents for the scale benchmark: the 1M outpatient file
# ingested N times, each copy with new respondent ids (R2026-k-........), so the store holds N
# batches and never the whole CSV at once.
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
