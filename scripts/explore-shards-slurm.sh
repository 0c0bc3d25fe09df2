#!/bin/sh
#SBATCH --job-name=encvp-explore
#SBATCH --array=0-7
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=4
#SBATCH --mem=4G
#SBATCH --time=02:00:00
#SBATCH --output=slurm-%x-%A_%a.out
# A design-space sweep (`encvp explore`, docs/estimation-model.md) as a Slurm array job: array
# task i of N runs the configurations whose index % N == i (--shard i/N) into OUT/shard-i; a job
# that depends on the whole array then merges the shards into OUT (results.csv with the Pareto
# front of all configurations, summary.json, plots).
#
#   scripts/explore-shards-slurm.sh SWEEP OUT N [encvp explore options...]
#       on a login node: checks the sweep (encvp explore --dry-run), submits the array with
#       --array=0-(N-1) (a command-line option overrides the script's #SBATCH --array line, which is
#       0-7 for N = 8) and the dependent merge job, and prints both job ids.
#   sbatch --array=0-7 scripts/explore-shards-slurm.sh SWEEP OUT 8 [options...]
#       the array alone (also: --array=3 reruns shard 3 of 8); merge by hand when it is done:
#       build/platform/encvp explore --merge OUT/shard-0 OUT/shard-1 ... OUT/shard-7 --out OUT
#
# Example: scripts/explore-shards-slurm.sh configs/sweeps/encoder-dse.json dse 8 --timing-only
#
# Options after N go to every shard's `encvp explore --sweep` (e.g. --timing-only, --images 64,
# --encoder.clock 400MHz); --no-plot also skips the merge's plots. Each task runs
# --jobs $SLURM_CPUS_PER_TASK workers unless the options give --jobs. The merge runs when every
# array task has ended (afterany: a shard in which some configuration failed still has a table;
# its rows say "failed"); it fails if a shard left no results.csv and prints MISSING for
# configurations no shard reported.
# Environment: ENCVP (the encvp binary; default build/platform/encvp under the folder sbatch was
# called from), SBATCH (the sbatch command; default sbatch), ENCVP_DRY_RUN=1 (print the sbatch
# commands instead of submitting them). Every node must see the sweep file, the networks, the
# binary and OUT at the same paths (a shared file system); jobs start in the submit folder.
set -eu

me=explore-shards-slurm.sh
usage() { awk 'NR > 1 && /^#SBATCH/ { next } NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
case "${1:-}" in -h | --help) usage; exit 0 ;; esac
if [ $# -lt 3 ]; then
  usage >&2
  exit 2
fi
SWEEP=$1 OUT=$2 N=$3
shift 3
case "$N" in '' | *[!0-9]*) echo "$me: N must be a positive integer, got '$N'" >&2; exit 2 ;; esac
if [ "$N" -lt 1 ]; then echo "$me: N must be at least 1" >&2; exit 2; fi
ENCVP=${ENCVP:-${SLURM_SUBMIT_DIR:-$(pwd)}/build/platform/encvp}
# The shards always get --no-plot: take it out of the options (it may be given once only).
has_jobs=0 no_plot=""
for a do
  shift
  case "$a" in
    --no-plot) no_plot=" --no-plot"; continue ;;
    --jobs | --jobs=*) has_jobs=1 ;;
  esac
  set -- "$@" "$a"
done

# ---- inside the array: one shard ----------------------------------------------------------------
if [ -n "${SLURM_ARRAY_TASK_ID:-}" ]; then
  i=$SLURM_ARRAY_TASK_ID
  if [ "$i" -ge "$N" ]; then
    echo "$me: array task $i is not a shard of $N (submit with --array=0-$((N - 1)))" >&2
    exit 2
  fi
  echo "$me: shard $i/$N of $SWEEP on $(hostname) -> $OUT/shard-$i"
  if [ "$has_jobs" = 1 ]; then
    exec "$ENCVP" explore --sweep "$SWEEP" --out "$OUT/shard-$i" --shard "$i/$N" --no-plot "$@"
  fi
  exec "$ENCVP" explore --sweep "$SWEEP" --out "$OUT/shard-$i" --shard "$i/$N" --no-plot \
    --jobs "${SLURM_CPUS_PER_TASK:-1}" "$@"
fi

# ---- on the login node: submit the array and the merge --------------------------------------------
# Single-quotes a word for the shell that runs the merge job's --wrap command.
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

if [ -x "$ENCVP" ]; then
  # A bad sweep file fails here, not in N queued jobs.
  "$ENCVP" explore --sweep "$SWEEP" --out "$OUT" --dry-run "$@" >/dev/null
else
  echo "$me: $ENCVP is not executable here; submitting without checking the sweep" >&2
fi
merge="$(q "$ENCVP") explore --merge"
i=0
while [ "$i" -lt "$N" ]; do
  merge="$merge $(q "$OUT/shard-$i")"
  i=$((i + 1))
done
merge="$merge --out $(q "$OUT")$no_plot"
SBATCH=${SBATCH:-sbatch}

if [ "${ENCVP_DRY_RUN:-0}" = 1 ]; then
  echo "$SBATCH --parsable --array=0-$((N - 1)) $0 $SWEEP $OUT $N $*"
  echo "$SBATCH --parsable --dependency=afterany:JOBID --job-name=encvp-explore-merge --ntasks=1" \
    "--cpus-per-task=1 --time=00:30:00 --output=slurm-%x-%j.out --wrap \"$merge\""
  exit 0
fi
jid=$("$SBATCH" --parsable --array=0-$((N - 1)) "$0" "$SWEEP" "$OUT" "$N" "$@")
jid=${jid%%;*}
mid=$("$SBATCH" --parsable --dependency=afterany:"$jid" --job-name=encvp-explore-merge --ntasks=1 \
  --cpus-per-task=1 --time=00:30:00 --output=slurm-%x-%j.out --wrap "$merge")
mid=${mid%%;*}
echo "$me: array job $jid ($N shards of $SWEEP into $OUT/shard-0..$((N - 1))), merge job $mid into $OUT"
echo "$me: watch with: squeue -j $jid,$mid; the table: $OUT/results.csv"
