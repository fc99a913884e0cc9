#!/usr/bin/env bash
# sfsg_fsx (fsx-style random reads, writes, shared-map reads and writes, truncates,
# punched holes, fallocate; two descriptors; every byte checked against a model) on a
# shadow in the default mode (direct_io, no --kernel-cache). dir mode then remounts and
# compares the file with the model.
# Usage: fsx.sh BUILD_DIR MODE OPS [SEED]   (MODE: memory | dir)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
stress_init "${1:?usage: fsx.sh BUILD_DIR MODE OPS [SEED]}"
MODE=${2:?usage: fsx.sh BUILD_DIR MODE OPS [SEED]}
OPS=${3:?usage: fsx.sh BUILD_DIR MODE OPS [SEED]}
SEED=${4:-1}

FSX=$(dirname "$PROBE")/sfsg_fsx
if [ ! -x "$FSX" ]; then
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  FSX=$STRESS_TMP/sfsg_fsx
  c++ -std=c++20 -O2 -Wall -o "$FSX" "$here/fsx.cc"
fi

mnt=$(stress_mkmnt)
case $MODE in
  memory) writes=memory ;;
  dir) mkdir -p "$STRESS_TMP/overlay"; writes=dir:$STRESS_TMP/overlay ;;
  *) echo "fsx.sh: unknown mode $MODE" >&2; exit 2 ;;
esac
stress_mount "$mnt" --files 200 --seed 3 --writes "$writes" ||
  { expect "mount $MODE" ok failed; stress_finish; exit 1; }
out=$("$FSX" -N "$OPS" -S "$SEED" --keep "$mnt/fsx.bin" 2>&1) && rc=0 || rc=$?
echo "$out" | tail -n 45 >&2
expect "fsx $OPS operations with shared maps, $MODE mode" 0 "$rc"
expect "fsx used shared maps" 1 "$(grep -Eq 'mapwrite [1-9]' <<<"$out" && echo 1 || echo 0)"
if [ "$MODE" = dir ] && [ "$rc" = 0 ]; then
  cp "$mnt/fsx.bin.expected" "$STRESS_TMP/expected"
  stress_unmount "$mnt"
  stress_mount "$mnt" --files 200 --seed 3 --writes "$writes"
  expect "file identical to the model after a remount" 0 \
    "$(cmp "$mnt/fsx.bin" "$STRESS_TMP/expected" >&2 && echo 0 || echo 1)"
fi
stress_unmount "$mnt"
stress_finish
