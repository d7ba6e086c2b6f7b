#!/bin/bash
# issue 18 item 2: three fresh binding-stage runs (paper --quick --stage binding), OMP 1 / OMP 2 / OMP 2 with --workers 1
# then: .venv/bin/python bench/compare_site_rows.py OUT/A/report OUT/B/report OUT/C/report --label A --label B --label C --out bench/results/5c_repeat_three_runs.json
cd "$(dirname "$0")/.." || exit 1
out=${1:-/tmp/r5c}
for cfg in "A 1 " "B 2 " "C 2 --workers 1"; do
  set -- $cfg; name=$1; omp=$2; shift 2
  rm -rf "${out:?}/$name"; mkdir -p "$out/$name"
  t0=$(date +%s)
  OMP_NUM_THREADS=$omp MKL_NUM_THREADS=$omp .venv/bin/python -m lithiophilic paper --quick --stage binding \
     --data-dir "$out/$name/data" --out "$out/$name/report" "$@" > "$out/$name/log" 2>&1
  echo "$name omp=$omp $* rc=$? wall=$(( $(date +%s) - t0 )) s" >> "$out/summary"
done
