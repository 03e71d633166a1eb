#!/usr/bin/env bash
# Measures what docs/BUILD.md says about downloads and disk, as a newcomer meets them: a fresh clone of this repository's
# HEAD, an empty NuGet folder, an empty notebook build cache, then the README's commands in its order. Prints a
# Markdown table (MB = 10^6 bytes) for docs/BUILD.md to quote, and removes everything it made.
#
#   scripts/footprint.sh            the quick start (train), then dotnet test (the whole suite: a few minutes)
#   scripts/footprint.sh --no-test  the quick start and the two notebooks only
#
# "downloaded" is the size of the .nupkg files NuGet fetched (it keeps each package packed beside its unpacked files).
set -euo pipefail

run_tests=1
case "${1:-}" in
  "") ;;
  --no-test) run_tests=0 ;;
  -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "footprint.sh: unknown option '$1' (use --no-test or --help)" >&2; exit 2 ;;
esac

repo=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
work=$(mktemp -d "${TMPDIR:-/tmp}/backprop-footprint.XXXXXX")
trap 'rm -rf "$work"' EXIT
git clone -q "$repo" "$work/clone"

# Everything the commands write outside the clone goes under $work: NuGet's packages and the notebooks' builds
# (.NET puts file-based programs under $XDG_DATA_HOME/dotnet/runfile, else ~/.local/share/dotnet/runfile).
# The tests' temporary folders (the README's example among them) go there too, so that nothing outlives the script.
mkdir "$work/tmp"
export NUGET_PACKAGES="$work/nuget" XDG_DATA_HOME="$work/data" TMPDIR="$work/tmp" DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
cd "$work/clone"

mb() { awk -v b="$1" 'BEGIN { printf "%d MB", b / 1e6 + 0.5 }'; }
size() { if [ -e "$1" ]; then du -sb "$1" | cut -f1; else echo 0; fi; }
downloaded() { find "$NUGET_PACKAGES" -name '*.nupkg' -printf '%s\n' 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'; }
step() { echo "footprint.sh: $*" >&2; }

step "dotnet run --project src/Backprop.Cli -- train"
dotnet run --project src/Backprop.Cli -- train >"$work/train.log" 2>&1 || { cat "$work/train.log" >&2; exit 1; }
quick_dl=$(downloaded); quick_nuget=$(size "$NUGET_PACKAGES")

step "dotnet run notebooks/03_backprop.cs, notebooks/04_minibatch_training.cs"
for nb in 03_backprop 04_minibatch_training; do
  dotnet run "notebooks/$nb.cs" >"$work/$nb.log" 2>&1 || { cat "$work/$nb.log" >&2; exit 1; }
done
nb_dl=$(downloaded); nb_nuget=$(size "$NUGET_PACKAGES")
nb03=$(size "$(ls -d "$XDG_DATA_HOME"/dotnet/runfile/03_backprop-* | head -1)")
nb04=$(size "$(ls -d "$XDG_DATA_HOME"/dotnet/runfile/04_minibatch_training-* | head -1)")

if [ "$run_tests" = 1 ]; then
  step "dotnet test"
  dotnet test >"$work/test.log" 2>&1 || { tail -30 "$work/test.log" >&2; exit 1; }
  test_dl=$(downloaded); test_nuget=$(size "$NUGET_PACKAGES")
fi

echo "| what (measured by scripts/footprint.sh at $(git rev-parse --short HEAD), $(dotnet --version), $(uname -m)) | downloaded | on disk |"
echo "| --- | --- | --- |"
echo "| the quick start's \`train\`: the NuGet folder | $(mb "$quick_dl") | $(mb "$quick_nuget") |"
echo "| then both notebooks: the NuGet folder | $(mb $((nb_dl - quick_dl))) more | $(mb "$nb_nuget") |"
echo "| each notebook's build (03, 04) | | $(mb "$nb03"), $(mb "$nb04") |"
if [ "$run_tests" = 1 ]; then
  echo "| then \`dotnet test\`: the NuGet folder | $(mb $((test_dl - nb_dl))) more | $(mb "$test_nuget") |"
  echo "| the file-based programs' builds after it (both notebooks and the README's example) | | $(mb "$(size "$XDG_DATA_HOME/dotnet/runfile")") |"
  for d in src/Backprop.Cli tests/Backprop.TorchSharp.Tests; do
    echo "| the build output \`$d/bin\` | | $(mb "$(size "$d/bin")") |"
  done
  if [ -e tests/Backprop.Benchmarks/bin ]; then
    echo "| the build output \`tests/Backprop.Benchmarks/bin\` | | $(mb "$(size tests/Backprop.Benchmarks/bin)") |"
  else
    echo "| the build output \`tests/Backprop.Benchmarks/bin\` | | none: \`dotnet test\` does not build the benchmarks |"
  fi
  echo "| the clone after all of it (sources, data, every bin/ and obj/, runs/) | | $(mb "$(size .)") |"
else
  echo "| the runner's build output \`src/Backprop.Cli/bin\` | | $(mb "$(size src/Backprop.Cli/bin)") |"
fi
