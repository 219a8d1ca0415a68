#!/usr/bin/env bash
# A one-node SLURM cluster on localhost for CI (Debian 12, as root), so that
# test/sweep-slurm.test.ts can run a job-array sweep end to end through sbatch.
#
#   apt-get install -y --no-install-recommends slurm-wlm munge
#   bash scripts/ci-slurm.sh          # starts munged, slurmctld, slurmd; waits for an idle node
#   bash scripts/ci-slurm.sh stop     # stops them again
#
# It writes /etc/slurm/slurm.conf (only if absent or written by this script before),
# runs the daemons as root without systemd, tracks processes without cgroups
# (proctrack/linuxproc, task/none), and keeps no accounting database. Idempotent: a
# cluster that already answers is left as it is. Logs: /var/log/slurm/.
set -euo pipefail

MARKER='# written by nematode scripts/ci-slurm.sh'
CONF=/etc/slurm/slurm.conf
WAIT_S=${SLURM_WAIT_S:-60}

die() { echo "ci-slurm: $*" >&2; exit 1; }
# Output captured whole (no `| grep -q`: with pipefail, an early-exiting grep fails the pipe).
ctld_up() { [[ "$(scontrol ping 2>/dev/null || true)" == *"is UP"* ]]; }
node_state() { sinfo -h -n "$1" -o '%t' 2>/dev/null | head -n 1 | tr -d '*~#!%$@^-' || true; }

if [ "${1:-}" = "stop" ]; then
  for p in slurmd slurmctld; do
    [ -f "/run/$p.pid" ] && kill "$(cat "/run/$p.pid")" 2>/dev/null || true
  done
  [ -f /run/munge/munged.pid ] && kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true
  echo "ci-slurm: stopped"
  exit 0
fi

[ "$(id -u)" -eq 0 ] || die "run as root (it writes /etc/slurm and starts daemons)"
for c in munged slurmctld slurmd sinfo sbatch scontrol; do
  command -v "$c" >/dev/null || die "$c not found: apt-get install -y slurm-wlm munge"
done

# Already up? (a second call in the same CI job)
if ctld_up && [[ "$(node_state "$(hostname -s)")" =~ ^(idle|mix|alloc)$ ]]; then
  echo "ci-slurm: cluster already up: $(sinfo -h -o '%N %t %c CPUs')"
  exit 0
fi

# ── munge ──────────────────────────────────────────────────────────────────
mkdir -p /etc/munge /var/lib/munge /var/log/munge /run/munge
if [ ! -s /etc/munge/munge.key ]; then
  if command -v mungekey >/dev/null; then mungekey --create --keyfile=/etc/munge/munge.key --force
  else dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; fi
fi
chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge /run/munge
chmod 0700 /etc/munge /var/lib/munge /var/log/munge
chmod 0400 /etc/munge/munge.key
chmod 0755 /run/munge
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged --force
  for _ in $(seq 1 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  munge -n | unmunge >/dev/null || die "munged does not answer (see /var/log/munge/munged.log)"
fi

# ── slurm.conf for this host ──────────────────────────────────────────────
HOST=$(hostname -s)
# slurmd -C prints this node's real CPUs, sockets, cores, threads and memory.
NODE_LINE=$(slurmd -C | grep '^NodeName=' | head -n 1)
[ -n "$NODE_LINE" ] || die "slurmd -C printed no node line"
NODE_LINE=$(echo "$NODE_LINE" | sed -E "s/^NodeName=[^ ]+/NodeName=$HOST/")
if [ -f "$CONF" ] && ! grep -qF "$MARKER" "$CONF"; then
  die "$CONF exists and was not written by this script; leaving it alone"
fi
mkdir -p /etc/slurm /var/lib/slurm/slurmctld /var/lib/slurm/slurmd /var/log/slurm
cat > "$CONF" <<EOF
$MARKER
ClusterName=nematode-ci
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
KillWait=5
Waittime=0
$NODE_LINE NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=ci Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF

# ── daemons ───────────────────────────────────────────────────────────────
pgrep -x slurmctld >/dev/null || slurmctld
for _ in $(seq 1 50); do ctld_up && break; sleep 0.2; done
ctld_up || { tail -n 30 /var/log/slurm/slurmctld.log >&2 || true; die "slurmctld did not come up"; }
pgrep -x slurmd >/dev/null || slurmd

# Wait until the node is idle; a node left down or drained by an earlier run is resumed.
state=''
for _ in $(seq 1 $((WAIT_S * 2))); do
  state=$(node_state "$HOST")
  case "$state" in
    idle|mix|alloc) break ;;
    down|drain|drng|drained|fail) scontrol update nodename="$HOST" state=resume 2>/dev/null || true ;;
  esac
  sleep 0.5
done
case "$state" in
  idle|mix|alloc) ;;
  *) tail -n 30 /var/log/slurm/slurmd.log >&2 || true; die "node $HOST is '$state', not idle, after ${WAIT_S} s" ;;
esac
echo "ci-slurm: cluster up: $(sinfo -h -o '%P %N %t %c CPUs %m MB')"
