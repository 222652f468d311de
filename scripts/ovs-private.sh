#!/usr/bin/env bash
# A private OVS-DPDK instance and dpdk-testpmd traffic for the OVS driver's tests and fixtures.
# Never touches the system's Open vSwitch: own run, db and log folders under DIR, own DPDK
# --file-prefix per process (their /var/run/dpdk/<prefix> folders are removed at teardown).
# Recipe measured on Debian 12 (OVS 3.1 + DPDK 22.11, no hugepages): ../shared/reference/facts.md.
#
# Usage:
#   ovs-private.sh start DIR [PORTS]     ovsdb-server + ovs-vswitchd-dpdk, bridge br0 (netdev) with
#                                        PORTS (default 1) dpdkvhostuserclient ports vhu0.. whose
#                                        sockets are DIR/vhuN.sock; pmd-cpu-mask 0x1
#   ovs-private.sh add-port DIR NAME     one more vhost-user client port (socket DIR/NAME.sock)
#   ovs-private.sh traffic DIR NAME MODE start dpdk-testpmd (MODE txonly|rxonly|io) as the port's
#                                        virtio-user frontend, in the background; pid in DIR/tp-NAME.pid
#   ovs-private.sh stop-traffic DIR NAME SIGTERM that testpmd, wait until it is gone
#   ovs-private.sh stop DIR              every testpmd of DIR, then vswitchd and ovsdb-server; removes
#                                        the DPDK runtime folders
# Env: OVS_PRIVATE_CORES  testpmd's -l list (default 0,1)
#
# Exit codes: 0 ok, 1 a step failed (its log is printed), 2 bad usage.
set -Eeuo pipefail

VSWITCHD=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
TESTPMD=$(command -v dpdk-testpmd || true)
SCHEMA=/usr/share/openvswitch/vswitch.ovsschema

usage() { sed -n '2,18p' "$0" >&2; exit 2; }
die() { echo "ovs-private: $*" >&2; exit 1; }

# Alive and not a zombie (daemons linger as zombies for 1-2 s after exiting).
alive() {
  local pid=$1 st
  [ -r "/proc/$pid/stat" ] || return 1
  st=$(sed -E 's/^.*\) ([A-Z]).*$/\1/' "/proc/$pid/stat" 2>/dev/null) || return 1
  [ "$st" != "Z" ] && [ "$st" != "X" ]
}

wait_gone() {
  local pid=$1 tries=${2:-100}
  while [ "$tries" -gt 0 ]; do
    alive "$pid" || return 0
    sleep 0.1
    tries=$((tries - 1))
  done
  return 1
}

# Stop a process from its pid file: SIGTERM, wait, SIGKILL as a last resort.
stop_pidfile() {
  local f=$1 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f" 2>/dev/null || true)
  if [[ "$pid" =~ ^[0-9]+$ ]] && alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    wait_gone "$pid" 50 || { kill -KILL "$pid" 2>/dev/null || true; wait_gone "$pid" 30 || true; }
  fi
  rm -f "$f"
}

check_dir() {
  [ -n "${1:-}" ] || usage
  case "$1" in /*) ;; *) die "DIR must be an absolute path, got '$1'" ;; esac
}

prefix_of() { echo "iocm$(echo -n "$1" | md5sum | cut -c1-8)"; }

vsctl() { ovs-vsctl --db="unix:$DIR/db.sock" --timeout=10 "$@"; }

add_port() {
  local name=$1
  [[ "$name" =~ ^[A-Za-z0-9_-]{1,15}$ ]] || die "bad port name '$name' (letters, digits, _ and -, at most 15)"
  vsctl add-port br0 "$name" -- set Interface "$name" type=dpdkvhostuserclient "options:vhost-server-path=$DIR/$name.sock"
}

cmd=${1:-}
[ -n "$cmd" ] || usage
shift
case "$cmd" in
  start)
    check_dir "${1:-}"
    DIR=$1
    ports=${2:-1}
    [[ "$ports" =~ ^[0-9]+$ ]] && [ "$ports" -le 8 ] || die "PORTS must be 0..8, got '$ports'"
    [ -x "$VSWITCHD" ] || die "$VSWITCHD is missing: apt-get install -y --no-install-recommends openvswitch-switch-dpdk dpdk-dev"
    mkdir -p "$DIR/log"
    [ -f "$DIR/ovsdb-server.pid" ] && alive "$(cat "$DIR/ovsdb-server.pid")" && die "an instance already runs in $DIR"
    rm -f "$DIR/conf.db"
    ovsdb-tool create "$DIR/conf.db" "$SCHEMA"
    ovsdb-server "$DIR/conf.db" --remote="punix:$DIR/db.sock" --unixctl="$DIR/ovsdb-server.ctl" \
      --pidfile="$DIR/ovsdb-server.pid" --log-file="$DIR/log/ovsdb-server.log" -vconsole:off --detach
    vsctl --no-wait init
    prefix=$(prefix_of "$DIR")
    vsctl --no-wait set Open_vSwitch . other_config:dpdk-init=true \
      "other_config:dpdk-extra=--no-huge --legacy-mem --no-pci -m 512 --file-prefix=$prefix" \
      other_config:per-port-memory=true other_config:pmd-cpu-mask=0x1
    "$VSWITCHD" "unix:$DIR/db.sock" --unixctl="$DIR/ovs-vswitchd.ctl" --pidfile="$DIR/ovs-vswitchd.pid" \
      --log-file="$DIR/log/ovs-vswitchd.log" -vconsole:off --detach || { tail -30 "$DIR/log/ovs-vswitchd.log" >&2; die "ovs-vswitchd-dpdk did not start"; }
    vsctl add-br br0 -- set bridge br0 datapath_type=netdev
    i=0
    while [ "$i" -lt "$ports" ]; do add_port "vhu$i"; i=$((i + 1)); done
    echo "ovs-private: started in $DIR (db $DIR/db.sock, control $DIR/ovs-vswitchd.ctl, DPDK prefix $prefix, $ports port(s))"
    ;;
  add-port)
    check_dir "${1:-}"
    DIR=$1
    [ -n "${2:-}" ] || usage
    add_port "$2"
    ;;
  traffic)
    check_dir "${1:-}"
    DIR=$1
    name=${2:-}
    mode=${3:-txonly}
    [[ "$name" =~ ^[A-Za-z0-9_-]{1,15}$ ]] || die "bad port name '$name'"
    case "$mode" in txonly|rxonly|io) ;; *) die "MODE must be txonly, rxonly or io, got '$mode'" ;; esac
    [ -n "$TESTPMD" ] || die "dpdk-testpmd is missing: apt-get install -y --no-install-recommends dpdk-dev"
    [ -S "$DIR/$name.sock" ] || [ -f "$DIR/ovs-vswitchd.pid" ] || die "no instance in $DIR"
    prefix="$(prefix_of "$DIR")tp$name"
    cores=${OVS_PRIVATE_CORES:-0,1}
    # server=1: the OVS port is a vhost-user client. --stats-period keeps testpmd running without a
    # terminal; --no-mlockall keeps it at ~66 MB instead of ~640 MB.
    setsid "$TESTPMD" -l "$cores" --no-huge -m 512 --no-pci --file-prefix="$prefix" \
      --vdev="net_virtio_user0,path=$DIR/$name.sock,server=1,queues=1" -- \
      --forward-mode="$mode" --stats-period 1 --total-num-mbufs=8192 --no-mlockall \
      </dev/null >"$DIR/log/tp-$name.log" 2>&1 &
    echo $! >"$DIR/tp-$name.pid"
    # Ready when it forwards (it prints its port statistics every second).
    for _ in $(seq 1 100); do
      alive "$(cat "$DIR/tp-$name.pid")" || { tail -20 "$DIR/log/tp-$name.log" >&2; die "dpdk-testpmd for $name exited"; }
      grep -q 'Port statistics' "$DIR/log/tp-$name.log" 2>/dev/null && break
      sleep 0.1
    done
    echo "ovs-private: testpmd $mode on $name (pid $(cat "$DIR/tp-$name.pid"))"
    ;;
  stop-traffic)
    check_dir "${1:-}"
    DIR=$1
    [ -n "${2:-}" ] || usage
    stop_pidfile "$DIR/tp-$2.pid"
    rm -rf "/var/run/dpdk/$(prefix_of "$DIR")tp$2"
    ;;
  stop)
    check_dir "${1:-}"
    DIR=$1
    for f in "$DIR"/tp-*.pid; do
      [ -e "$f" ] || continue
      n=$(basename "$f" .pid)
      stop_pidfile "$f"
      rm -rf "/var/run/dpdk/$(prefix_of "$DIR")tp${n#tp-}"
    done
    if [ -f "$DIR/ovs-vswitchd.pid" ]; then
      pid=$(cat "$DIR/ovs-vswitchd.pid")
      ovs-appctl -t "$DIR/ovs-vswitchd.ctl" --timeout=10 exit >/dev/null 2>&1 || true
      wait_gone "$pid" 100 || true
      stop_pidfile "$DIR/ovs-vswitchd.pid"
    fi
    if [ -f "$DIR/ovsdb-server.pid" ]; then
      pid=$(cat "$DIR/ovsdb-server.pid")
      ovs-appctl -t "$DIR/ovsdb-server.ctl" --timeout=10 exit >/dev/null 2>&1 || true
      wait_gone "$pid" 100 || true
      stop_pidfile "$DIR/ovsdb-server.pid"
    fi
    rm -rf "/var/run/dpdk/$(prefix_of "$DIR")"
    rmdir /var/run/dpdk 2>/dev/null || true
    echo "ovs-private: stopped $DIR"
    ;;
  *) usage ;;
esac
