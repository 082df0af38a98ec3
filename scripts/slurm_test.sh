#!/usr/bin/env bash
# Real-Slurm test of sharding: on this one machine, start munged, slurmctld and slurmd by hand
# (no systemd), submit examples/slurm/brink-array.sbatch as a 4-task array of a flagship run
# and examples/slurm/brink-merge.sbatch with --dependency=afterok, then check the merged result
# is byte-identical to the same study run in one process. Stops the daemons by their PIDs.
#
# Needs root (it installs Debian's Slurm and munge packages if missing, and runs the daemons).
# Usage: scripts/slurm_test.sh            (uses target/debug/brink, building it if missing)
#        BRINK=path/to/brink scripts/slurm_test.sh
# Every wait is bounded; on failure the Slurm and job logs are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

if [ "$(id -u)" != 0 ]; then
    echo "slurm_test: needs root (it starts munged, slurmctld and slurmd)" >&2
    exit 1
fi
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
    || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
    echo "== installing slurm and munge from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq slurmctld slurmd slurm-client munge >/dev/null
fi

BRINK=${BRINK:-$ROOT/target/debug/brink}
if [ ! -x "$BRINK" ]; then
    cargo build --quiet
fi
BRINK=$(realpath "$BRINK")

WORK=$(mktemp -d /tmp/brink-slurm.XXXXXX)
chmod 755 "$WORK"
HOST=$(hostname -s)
# Ports away from the defaults, so a Slurm already on the machine is not disturbed.
CTLD_PORT=${SLURM_TEST_CTLD_PORT:-16817}
SLURMD_PORT=${SLURM_TEST_SLURMD_PORT:-16818}
PIDS=()

logs() {
    for f in "$WORK"/slurmctld.log "$WORK"/slurmd.log "$WORK"/munged.log "$WORK"/jobs/*.out; do
        [ -f "$f" ] || continue
        echo "---- $f (last 40 lines)"
        tail -n 40 "$f"
    done
}

cleanup() {
    local rc=$?
    if [ "$rc" != 0 ]; then
        echo "slurm_test: FAILED (exit $rc); logs follow" >&2
        logs >&2 || true
    fi
    # Stop the daemons we started, newest first, by PID; wait a bounded time for each.
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        local pid=${PIDS[$i]}
        kill "$pid" 2>/dev/null || continue
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
    done
    if [ "$rc" = 0 ]; then rm -rf "$WORK"; fi
    exit "$rc"
}
trap cleanup EXIT

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.2 s, fails after SECONDS.
wait_for() {
    local secs=$1 what=$2
    shift 2
    local tries=$((secs * 5))
    for _ in $(seq "$tries"); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.2
    done
    echo "slurm_test: timed out after ${secs}s waiting for $what" >&2
    return 1
}

echo "== munged"
mkdir -p /run/munge
chown munge:munge /run/munge
chmod 755 /run/munge
if [ ! -s /etc/munge/munge.key ]; then
    mungekey --create --keyfile /etc/munge/munge.key
    chown munge:munge /etc/munge/munge.key
    chmod 600 /etc/munge/munge.key
fi
mkdir -p "$WORK/munge"
chown munge:munge "$WORK/munge"
SOCKET=$WORK/munge/munge.socket
runuser -u munge -- munged --foreground --socket="$SOCKET" \
    --pid-file="$WORK/munge/munged.pid" --log-file="$WORK/munged.log" \
    --seed-file="$WORK/munge/munged.seed" >>"$WORK/munged.log" 2>&1 &
PIDS+=($!)
wait_for 10 "munged" test -s "$WORK/munge/munged.pid"
# Stop munged itself (runuser then exits), not only the runuser wrapper.
PIDS+=("$(cat "$WORK/munge/munged.pid")")
wait_for 10 "munged's socket" test -S "$SOCKET"

echo "== slurm.conf for $HOST"
mkdir -p "$WORK/state" "$WORK/spool" "$WORK/jobs"
export SLURM_CONF=$WORK/slurm.conf
cat >"$SLURM_CONF" <<EOF
ClusterName=brinktest
SlurmctldHost=$HOST
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$SOCKET
CredType=cred/munge
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/slurmctld.log
SlurmdLogFile=$WORK/slurmd.log
SlurmdParameters=config_overrides
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SchedulerParameters=sched_min_interval=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
NodeName=$HOST CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF

echo "== slurmctld and slurmd"
slurmctld -D -i -f "$SLURM_CONF" >>"$WORK/slurmctld.log" 2>&1 &
PIDS+=($!)
wait_for 20 "slurmctld" scontrol ping
slurmd -D -f "$SLURM_CONF" >>"$WORK/slurmd.log" 2>&1 &
PIDS+=($!)
node_idle() { sinfo -h -n "$HOST" -o %t | grep -qx idle; }
wait_for 30 "node $HOST to be idle" node_idle

echo "== 4-task array of the flagship, then the merge job after it"
STUDY=$WORK/study
export BRINK SCENARIO=scenarios/iran_2026.toml RUNS=${SLURM_TEST_RUNS:-4096} SEED=7 OUT=$STUDY PER_RUN=1
array=$(sbatch --parsable --array=0-3 --cpus-per-task=1 --chdir="$ROOT" \
    --output="$WORK/jobs/shard-%A_%a.out" examples/slurm/brink-array.sbatch)
merge=$(sbatch --parsable --dependency=afterok:"$array" --chdir="$ROOT" \
    --output="$WORK/jobs/merge-%j.out" examples/slurm/brink-merge.sbatch)
echo "array job $array, merge job $merge (${SECONDS}s since start)"
job_done() { ! squeue -h -j "$array,$merge" -o %i | grep -q .; }
wait_for 120 "the array and merge jobs to finish" job_done
scontrol show job "$merge" | grep -o 'JobState=[A-Z_]*' | grep -qx JobState=COMPLETED || {
    echo "slurm_test: the merge job did not complete" >&2
    scontrol show job "$merge" >&2 || true
    exit 1
}

echo "== jobs done after ${SECONDS}s; the same study in one process"
"$BRINK" run "$SCENARIO" --runs "$RUNS" --seed "$SEED" --per-run --no-shard --quiet \
    --out "$WORK/single"
for f in summary.csv timeline.csv distributions.csv runs.csv; do
    cmp "$STUDY/$f" "$WORK/single/$f"
done
strip_invocation() {
    python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); m.pop("invocation"); print(json.dumps(m, sort_keys=True))' "$1"
}
[ "$(strip_invocation "$STUDY/manifest.json")" = "$(strip_invocation "$WORK/single/manifest.json")" ]
ls "$STUDY"/parts
echo "slurm_test: OK: 4 Slurm shards merged byte-identical to one process ($RUNS runs)"
