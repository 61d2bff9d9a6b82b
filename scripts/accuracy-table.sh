#!/usr/bin/env bash
# Test accuracy on the two development sets, ML.NET's own path against Transfer before and after the change of defaults,
# and a Markdown table of the results. Each dataset is one `Transfer.Benchmarks accuracy` run (one process, same split for
# the three paths; bench/README.md, "Accuracy"), which writes bench/results/accuracy-<dataset>.json.
#
#   scripts/accuracy-table.sh                 both datasets, all three paths (tens of minutes on 2 cores: FMNIST is 7,000 images)
#   scripts/accuracy-table.sh --skip-mlnet    Transfer only (before, after); the ML.NET column shows "-"
#   scripts/accuracy-table.sh --table-only    no runs: the table from the JSON files already in bench/results
#   DATASETS="flowers" scripts/accuracy-table.sh   one dataset only (flowers, fashion-mnist)
#
# Datasets:
#   flowers        ../shared/data/flowers/{train,test} relative to the repository root (5 classes, 140 / 60 photos)
#   fashion-mnist  500 train / 200 test PNGs per class, written into a temporary folder by
#                  samples/QuickStart/data/make_subset.py from the Debian package dataset-fashion-mnist
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
RESULTS=bench/results
DATASETS="${DATASETS:-flowers fashion-mnist}"
FMNIST_SOURCE=/usr/share/datasets/fashion-mnist
SKIP_MLNET=()
TABLE_ONLY=0
for arg in "$@"; do
  case "$arg" in
    --skip-mlnet) SKIP_MLNET=(--skip-mlnet) ;;
    --table-only) TABLE_ONLY=1 ;;
    *) echo "accuracy-table: unknown argument \"$arg\" (use --skip-mlnet, --table-only)" >&2; exit 2 ;;
  esac
done
fail() { echo "accuracy-table: $*" >&2; exit 1; }
command -v python3 >/dev/null || fail "python3 is needed (to write the Fashion-MNIST PNGs and read the JSON)."

if [ "$TABLE_ONLY" = 0 ]; then
  command -v dotnet >/dev/null || fail "the .NET SDK is not on PATH (dotnet --version must print 10.x)."
  for dataset in $DATASETS; do
    case "$dataset" in
      flowers) [ -d ../shared/data/flowers/train ] && [ -d ../shared/data/flowers/test ] || fail "../shared/data/flowers/{train,test} not found (relative to $PWD)." ;;
      fashion-mnist) [ -d "$FMNIST_SOURCE" ] || fail "$FMNIST_SOURCE is missing: apt-get install dataset-fashion-mnist" ;;
      *) fail "unknown dataset \"$dataset\" (flowers, fashion-mnist)." ;;
    esac
  done

  WORK=$(mktemp -d "${TMPDIR:-/tmp}/transfer-accuracy.XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
  echo "== Build bench/Transfer.Benchmarks (Release)"
  dotnet build bench/Transfer.Benchmarks -c Release > "$WORK/build.log" 2>&1 || { tail -n 40 "$WORK/build.log"; fail "build failed (log above)."; }
  BENCH=bench/Transfer.Benchmarks/bin/Release/net10.0/Transfer.Benchmarks.dll
  STATUS=0
  for dataset in $DATASETS; do
    case "$dataset" in
      flowers)
        TRAIN=../shared/data/flowers/train TEST=../shared/data/flowers/test ;;
      fashion-mnist)
        echo "== Fashion-MNIST: 500 train / 200 test PNGs per class into $WORK/fashion-mnist"
        python3 samples/QuickStart/data/make_subset.py --train 500 --test 200 --source "$FMNIST_SOURCE" --out "$WORK/fashion-mnist"
        TRAIN="$WORK/fashion-mnist/train" TEST="$WORK/fashion-mnist/test" ;;
    esac
    echo "== $dataset"
    dotnet "$BENCH" accuracy --train "$TRAIN" --test "$TEST" --name "$dataset" --out "$RESULTS/accuracy-$dataset.json" ${SKIP_MLNET[@]+"${SKIP_MLNET[@]}"} || STATUS=1
    if [ "$dataset" = fashion-mnist ]; then rm -rf "$WORK/fashion-mnist"; fi
  done
  echo
fi

python3 - "$RESULTS" $DATASETS <<'PY'
import json, os, sys

results, datasets = sys.argv[1], sys.argv[2:]

def cell(run):
    return "-" if not run else f"{run['micro_accuracy']:.4f} / {run['macro_accuracy']:.4f}"

print("| dataset | train / test | ML.NET path (micro / macro) | before (micro / macro) | after (micro / macro) |")
print("| --- | --- | --- | --- | --- |")
after = []
for name in datasets:
    path = os.path.join(results, f"accuracy-{name}.json")
    if not os.path.exists(path):
        print(f"| {name} | - | - | - | - |")
        continue
    with open(path, encoding="utf-8") as f:
        r = json.load(f)
    runs = r["runs"]
    print(f"| {r['dataset']} | {r['train_images']} / {r['test_images']} | {cell(runs.get('mlnet'))} | {cell(runs.get('transfer_before'))} | {cell(runs.get('transfer_defaults'))} |")
    d = runs.get("transfer_defaults")
    if d:
        gain = r.get("macro_gain_vs_mlnet_points")
        after.append(f"- {r['dataset']}: after = {d['backbone']}, {d['head']}"
                     + (f"; macro {gain:+.2f} points vs ML.NET" if gain is not None else ""))
print()
print("ML.NET path: DnnFeaturizeImage(ResNet18) + LbfgsMaximumEntropy; before: Transfer, ResNet18 + MaximumEntropyHeadTrainer pinned; after: Transfer's defaults.")
print("\n".join(after))
PY
exit "${STATUS:-0}"
