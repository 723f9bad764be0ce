#!/usr/bin/env bash
# chiso on Windows, checked from Linux: cross-builds chiso.exe, runs it under Wine on the shipped
# samples (paths with spaces and Vietnamese letters, an .xlsx input, two ingests at once, the
# exit statuses), compares its tables with the Linux build's byte for byte, and packs the
# release archive dist/chiso-windows-x86_64.zip.
#
#   bash scripts/windows.sh            # installs what it needs (rustup target, mingw-w64, Wine)
#
# Every check prints "ok: ..." or stops the script with "FAILED: ...".
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET=x86_64-pc-windows-gnu
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
WORK=${CHISO_WINDOWS_WORK:-$TARGET_DIR/windows-check}
EXE=$TARGET_DIR/$TARGET/release/chiso.exe

# --- what it needs -------------------------------------------------------------------------
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
need_apt=()
command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || need_apt+=(gcc-mingw-w64-x86-64)
[ -x /usr/lib/wine/wine64 ] || command -v wine64 >/dev/null 2>&1 || need_apt+=(wine64)
command -v zip >/dev/null 2>&1 || need_apt+=(zip)
if [ ${#need_apt[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
rustup target list --installed | grep -qx "$TARGET" || rustup target add "$TARGET"
WINE=$(command -v wine64 || echo /usr/lib/wine/wine64)

# --- build ----------------------------------------------------------------------------------
# The linker is named in .cargo/config.toml ([target.x86_64-pc-windows-gnu]).
cargo build --release --target "$TARGET"
# With --all-targets the features match `cargo test --release` (dev-dependencies unify
# features), so after the tests this builds nothing again.
cargo build --release --all-targets
LINUX=$TARGET_DIR/release/chiso
ls -l "$EXE"

# Debian's Wine 8 lacks bcryptprimitives.dll (ProcessPrng), which Rust's standard library
# uses for random numbers; Windows 10/11 has it. A shim next to the exe, for Wine only.
rm -rf "$WORK"
mkdir -p "$WORK/bin"
cp "$EXE" "$WORK/bin/chiso.exe"
cat > "$WORK/shim.c" <<'EOF'
#include <windows.h>
#include <bcrypt.h>
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
  return BCryptGenRandom(NULL, data, (ULONG)len, BCRYPT_USE_SYSTEM_PREFERRED_RNG) == 0;
}
EOF
printf 'LIBRARY bcryptprimitives\nEXPORTS\n  ProcessPrng\n' > "$WORK/shim.def"
x86_64-w64-mingw32-gcc -shared -O2 -o "$WORK/bin/bcryptprimitives.dll" "$WORK/shim.c" "$WORK/shim.def" -lbcrypt

export WINEPREFIX=$WORK/wineprefix WINEDEBUG=-all WINEDLLOVERRIDES="bcryptprimitives=n;mscoree=;mshtml="
"$WINE" wineboot --init >/dev/null 2>&1 || true

fail() { echo "FAILED: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# The analyst's folder: spaces and Vietnamese letters, as Windows and as Linux sees it.
WDIR='C:\Dữ liệu\khảo sát 2026'
LDIR="$WINEPREFIX/drive_c/Dữ liệu/khảo sát 2026"
mkdir -p "$LDIR/mau"
cp "$ROOT"/surveys/samples/*.csv "$LDIR/mau/"

# Runs chiso.exe from inside the analyst's folder; prints its output; returns its status.
chiso_exe() {
  (cd "$LDIR" && "$WINE" "$WORK/bin/chiso.exe" "$@")
}
# expect STATUS DESCRIPTION ARGS...: runs chiso.exe and checks its exit status.
expect() {
  local want=$1 what=$2
  shift 2
  local got=0
  chiso_exe "$@" >"$WORK/last.out" 2>&1 || got=$?
  if [ "$got" != "$want" ]; then
    cat "$WORK/last.out" >&2
    fail "$what: exit status $got, expected $want"
  fi
  ok "$what (exit $got)"
}
file_exists() { [ -s "$1" ] || fail "missing or empty: $1"; ok "written: ${1#"$LDIR"/}"; }
same() { cmp -s "$1" "$2" || fail "differs from the Linux build's: $1 vs $2"; ok "identical to Linux: ${1#"$LDIR"/}"; }

# --- the demo, byte for byte against Linux ----------------------------------------------------
"$LINUX" demo --out "$WORK/linux-demo" >/dev/null
expect 0 "chiso.exe demo" demo --out "$WDIR\\demo"
n=0
while IFS= read -r rel; do
  same "$LDIR/demo/$rel" "$WORK/linux-demo/$rel"
  n=$((n + 1))
done < <(cd "$WORK/linux-demo" && find scores par compare qd766 report/tables -name '*.csv' | sort)
[ "$n" -ge 10 ] || fail "only $n tables compared"
file_exists "$LDIR/demo/report/report.html"

# --- step by step on the samples, in a store whose path has spaces and diacritics -----------
S="$WDIR\\kho dữ liệu"
expect 0 "ingest sipas 2025" ingest --store "$S" --survey sipas --year 2025 'mau\sipas-2025.csv'
expect 0 "ingest sipas 2026" ingest --store "$S" --survey sipas --year 2026 'mau\sipas-2026.csv'
expect 0 "ingest the same batch again (already stored)" ingest --store "$S" --survey sipas --year 2026 'mau\sipas-2026.csv'
grep -q "không có gì thay đổi" "$WORK/last.out" || fail "no 'already stored' message in Vietnamese"
for y in 2025 2026; do
  for s in health-outpatient health-inpatient education; do
    expect 0 "ingest $s $y" ingest --store "$S" --survey $s --year $y "mau\\$s-$y.csv"
  done
done
# Each year's procedure records (the CCHC index takes 3.2.2, 3.3, 7.3 and 7.4 from them), as
# exported on the demo's days.
for yd in 2025:31/12/2025 2026:30/11/2026; do
  for l in tthc-catalogue hoso-tthc pakn; do
    expect 0 "ingest $l ${yd%%:*}" ingest --store "$S" --survey $l --year "${yd%%:*}" --as-of "${yd#*:}" "mau\\$l-${yd%%:*}.csv"
  done
done
expect 0 "score" score --store "$S" --survey sipas --year 2026 --out "$WDIR\\kết quả"
file_exists "$LDIR/kết quả/scores.csv"
file_exists "$LDIR/kết quả/scores.xlsx"
same "$LDIR/kết quả/scores.csv" "$WORK/linux-demo/scores/sipas/scores.csv"
# Again into the same folder: every output replaced in place (renames over existing files).
cp "$LDIR/kết quả/scores.xlsx" "$WORK/scores-vi.xlsx"
expect 0 "score again, in English, over the same files" score --store "$S" --survey sipas --year 2026 --out "$WDIR\\kết quả" --lang en
cmp -s "$LDIR/kết quả/scores.xlsx" "$WORK/scores-vi.xlsx" && fail "scores.xlsx was not replaced"
same "$LDIR/kết quả/scores.csv" "$WORK/linux-demo/scores/sipas/scores.csv"
if ls -a "$LDIR/kết quả" | grep -q '^.chiso-staging-'; then fail "a staging folder was left behind"; fi
ok "outputs replaced, no staging folder left"
# Each commune's plan (criterion 1.1), named UNIT=FILE with Vietnamese names, judged on the
# demo's day.
plans() { # YEAR FLAG
  local c
  for c in "Xuân Dương:xuan-duong" "Côn Minh:con-minh" "Quang Phong:quang-phong" "Na Rì:na-ri" "Văn Lang:van-lang"; do
    printf '%s\n%s\n' "$2" "${c%%:*}=mau\\plan-$1-${c##*:}.csv"
  done
}
mapfile -t PLANS < <(plans 2026 --plan)
mapfile -t CPLANS < <(plans 2025 --compare-plan)
expect 0 "par" par --store "$S" --year 2026 --assessment 'mau\assessment-2026.csv' "${PLANS[@]}" --as-of 30/11/2026 --out "$WDIR\\cchc"
same "$LDIR/cchc/par_totals.csv" "$WORK/linux-demo/par/2026/par_totals.csv"
expect 0 "compare" compare --store "$S" --survey sipas --from 2025 --to 2026 --out "$WDIR\\so sánh"
file_exists "$LDIR/so sánh/compare.csv"
expect 0 "report" report --store "$S" --year 2026 --compare 2025 --assessment 'mau\assessment-2026.csv' --compare-assessment 'mau\assessment-2025.csv' "${PLANS[@]}" "${CPLANS[@]}" --as-of 30/11/2026 --out "$WDIR\\báo cáo"
expect 0 "tasks" tasks --plan 'mau\plan-2026-xuan-duong.csv' --as-of 30/11/2026 --out "$WDIR\\kế hoạch"
same "$LDIR/kế hoạch/tasks_agencies.csv" "$WORK/linux-demo/report/tables/plan-xuan-duong/tasks_agencies.csv"
file_exists "$LDIR/báo cáo/report.html"
expect 0 "batches" batches --store "$S"

# --- an .xlsx input -------------------------------------------------------------------------
python3 - "$ROOT/tests/fixtures/outpatient-clean.csv" "$LDIR/mau/ngoai-tru.xlsx" <<'EOF'
import csv, sys, zipfile
from xml.sax.saxutils import escape
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8")))
def col(i):
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s
sheet = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
         '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>']
for r, row in enumerate(rows, 1):
    cells = "".join(f'<c r="{col(c)}{r}" t="inlineStr"><is><t>{escape(v)}</t></is></c>' for c, v in enumerate(row))
    sheet.append(f'<row r="{r}">{cells}</row>')
sheet.append("</sheetData></worksheet>")
files = {
 "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
 "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
 "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Phiếu" sheetId="1" r:id="rId1"/></sheets></workbook>',
 "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
 "xl/worksheets/sheet1.xml": "\n".join(sheet),
}
with zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED) as z:
    for name, text in files.items():
        z.writestr(name, text)
EOF
expect 0 "ingest an .xlsx workbook" ingest --store "$WDIR\\kho xlsx" --survey health-outpatient --year 2026 'mau\ngoai-tru.xlsx'
grep -q 'được nhận *30' "$WORK/last.out" || fail "the workbook's 30 forms were not accepted"

# --- a large batch: read in parallel pieces with Windows' positioned reads -----------------
python3 - "$ROOT/surveys/samples/health-outpatient-2026.csv" "$LDIR/mau/lon.csv" <<'EOF'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
header, rows = lines[0], [l.split(",", 1)[1] for l in lines[1:]]
with open(sys.argv[2], "w", encoding="utf-8", newline="\n") as f:
    f.write(header + "\n")
    for i in range(200_000):
        f.write(f"L{i:07d},{rows[i % len(rows)]}\n")
EOF
size=$(stat -c %s "$LDIR/mau/lon.csv")
[ "$size" -gt $((16 << 20)) ] || fail "the large batch is under 16 MB"
start=$(date +%s%N)
expect 0 "validate a $((size >> 20)) MB batch" validate --survey health-outpatient 'mau\lon.csv'
grep -q 'số dòng đã đọc *200000' "$WORK/last.out" || fail "the large batch was not read whole: $(cat "$WORK/last.out")"
ok "large batch read and checked in $(( ($(date +%s%N) - start) / 1000000 )) ms under Wine"

# --- two ingests at once into one store, and a reader meanwhile ------------------------------
# Windows refuses to replace a file another process holds open: one ingest replacing the
# manifest while the other (or `batches`) reads it. That race is met now and then, not every
# time, so it is run ten times, each into a new store.
for round in 1 2 3 4 5 6 7 8 9 10; do
  TWO="$WDIR\\kho hai $round"
  chiso_exe ingest --store "$TWO" --survey sipas --year 2025 'mau\sipas-2025.csv' >"$WORK/a.out" 2>&1 & a=$!
  chiso_exe ingest --store "$TWO" --survey sipas --year 2026 'mau\sipas-2026.csv' >"$WORK/b.out" 2>&1 & b=$!
  chiso_exe batches --store "$TWO" >"$WORK/c.out" 2>&1 & c=$!
  wait $a || fail "round $round, the first of two concurrent ingests: $(cat "$WORK/a.out")"
  wait $b || fail "round $round, the second of two concurrent ingests: $(cat "$WORK/b.out")"
  # The reader may come before the store exists (exit 1, "no store"), never with another failure.
  wait $c || grep -q 'không có kho' "$WORK/c.out" || fail "round $round, batches during the ingests: $(cat "$WORK/c.out")"
  chiso_exe batches --store "$TWO" --json >"$WORK/two.json"
  [ "$(grep -c '"id"' "$WORK/two.json")" = 2 ] || fail "round $round, two concurrent ingests did not store two batches: $(cat "$WORK/two.json")"
done
ok "two ingests at once stored two batches, ten times over, with a reader beside them"

# --- exit statuses on the usual bad inputs --------------------------------------------------
head -c 0 /dev/null > "$LDIR/mau/rong.csv"
sed '3s/,4,/,44,/' "$ROOT/surveys/samples/health-outpatient-2026.csv" > "$LDIR/mau/loi.csv"
expect 3 "a batch with a bad row" ingest --store "$WDIR\\kho lỗi" --survey health-outpatient --year 2026 'mau\loi.csv'
expect 1 "an empty file" ingest --store "$WDIR\\kho lỗi" --survey health-outpatient --year 2026 'mau\rong.csv'
expect 2 "an unknown survey" ingest --store "$WDIR\\kho lỗi" --survey khong-co --year 2026 'mau\loi.csv'
expect 2 "a bad flag" score --khong-co
mkdir -p "$LDIR/thư mục khác" && echo x > "$LDIR/thư mục khác/ghi chú.txt"
expect 1 "a folder that is not a store" ingest --store "$WDIR\\thư mục khác" --survey sipas --year 2026 'mau\sipas-2026.csv'
[ -f "$LDIR/thư mục khác/ghi chú.txt" ] && [ ! -e "$LDIR/thư mục khác/manifest.json" ] || fail "the folder was changed"

# --- the release archive --------------------------------------------------------------------
DIST=$ROOT/dist
PKG=$WORK/chiso-windows-x86_64
rm -rf "$PKG" && mkdir -p "$PKG/mau" "$PKG/mau-nhap-lieu"
cp "$EXE" "$PKG/chiso.exe"
cp "$ROOT/scripts/HUONG-DAN-WINDOWS.txt" "$PKG/HUONG-DAN.txt"
cp "$ROOT"/surveys/samples/*.csv "$PKG/mau/"
# A data-entry template per questionnaire: the header line of its sample, with a byte-order
# mark so that Excel on Windows opens the Vietnamese right.
for f in "$ROOT"/surveys/samples/*-2026.csv; do
  name=$(basename "$f" -2026.csv)
  { printf '\xef\xbb\xbf'; head -1 "$f"; } > "$PKG/mau-nhap-lieu/$name.csv"
done
mkdir -p "$DIST"
rm -f "$DIST/chiso-windows-x86_64.zip"
(cd "$WORK" && zip -qr -X "$DIST/chiso-windows-x86_64.zip" chiso-windows-x86_64)
unzip -l "$DIST/chiso-windows-x86_64.zip"
ls -l "$DIST/chiso-windows-x86_64.zip"
ok "release archive: dist/chiso-windows-x86_64.zip"
echo "windows: all checks passed"
