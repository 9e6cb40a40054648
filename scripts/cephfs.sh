#!/usr/bin/env bash
# A second real distributed filesystem for the tests: CephFS, from Debian's
# packages, on this machine's loopback — one monitor, one OSD keeping its
# objects in memory (`memstore`: no disk to prepare, gone with the OSD),
# one metadata server — mounted twice with the FUSE client, ceph-fuse (two
# "hosts", A and B: two Ceph clients, each with its own capabilities and
# kernel caches). GlusterFS's counterpart is scripts/volume.sh.
#
#   scripts/cephfs.sh up        install (Debian's ceph-mon, ceph-osd,
#                               ceph-mds, ceph-fuse), make and start the
#                               cluster and the filesystem, mount it twice;
#                               prints the two mount points (A, then B)
#   scripts/cephfs.sh down      unmount, stop every daemon, remove it all
#   scripts/cephfs.sh status    prints the mount points if CephFS is up
#   scripts/cephfs.sh mds-kill | mds-start
#                               kill the metadata server (SIGKILL) / start
#                               it again and wait until it is active (fault
#                               tests: every metadata call waits meanwhile)
#   scripts/cephfs.sh client-pid A|B
#                               host A's or B's ceph-fuse process
#
# Idempotent: `up` on a CephFS that is up prints its mount points again (a
# cluster whose daemons are gone is made afresh: its objects were in
# memory). Needs root and /dev/fuse. DIRECTFS_CEPHFS_DIR (default
# /srv/directfs-cephfs) holds the configuration, the daemons' state and
# logs, and the mount points. Nothing is written to /etc/ceph: every
# command is given `-c $BASE/ceph.conf`.
set -euo pipefail

BASE=${DIRECTFS_CEPHFS_DIR:-/srv/directfs-cephfs}
CONF="$BASE/ceph.conf"
A="$BASE/host-a"
B="$BASE/host-b"
log() { printf '[cephfs] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

mounted() { mountpoint -q "$1" 2>/dev/null; }
ceph_() { timeout 30 ceph -c "$CONF" "$@"; }

install() {
    local missing=
    for c in ceph-mon ceph-osd ceph-mds ceph-fuse ceph monmaptool; do
        command -v "$c" >/dev/null || missing=1
    done
    [ -z "$missing" ] && return 0
    [ "$(id -u)" = 0 ] || die "not root: cannot install ceph"
    log "apt-get install ceph-mon ceph-osd ceph-mds ceph-fuse"
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends ceph-mon ceph-osd ceph-mds ceph-fuse ceph-common; } >&2
}

# The pid of daemon $1 (mon.a, osd.0, mds.a, client.host-a, ...), if it runs.
pid_of() {
    local f="$BASE/run/$1.pid" pid
    [ -f "$f" ] || return 1
    pid=$(cat "$f")
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

# Waits (up to 30 s) until the metadata server is active.
wait_active() {
    for _ in $(seq 150); do
        ceph_ mds stat 2>/dev/null | grep -q "up:active" && return 0
        sleep 0.2
    done
    die "the metadata server did not become active"
}

stop_daemons() {
    for d in mds.a osd.0 mon.a; do
        if pid=$(pid_of "$d"); then
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -9 "$pid" 2>/dev/null || true
        fi
    done
}

# A new cluster: configuration, monitor, OSD, pools, filesystem, MDS.
make_cluster() {
    local fsid osd_uuid id
    stop_daemons
    rm -rf "$BASE/mon" "$BASE/osd" "$BASE/mds" "$BASE/run" "$BASE/log" "$BASE/monmap" "$BASE/mon.keyring"
    mkdir -p "$BASE"/{mon,osd/osd.0,mds/mds.a,run,log}
    fsid=$(cat /proc/sys/kernel/random/uuid)
    # One host, no authentication (loopback only), one copy of each object
    # (one OSD), objects in memory.
    cat > "$CONF" <<EOF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:6789
public addr = 127.0.0.1
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
mon data avail warn = 1
osd crush chooseleaf type = 0
osd objectstore = memstore
memstore device bytes = 4294967296
mon data = $BASE/mon/\$name
osd data = $BASE/osd/\$name
mds data = $BASE/mds/\$name
run dir = $BASE/run
admin socket = $BASE/run/\$name.asok
pid file = $BASE/run/\$name.pid
log file = $BASE/log/\$name.log
[client]
# A directory's size is its number of entries, not the bytes beneath it
# (rbytes, which the metadata server updates some time after a change:
# two stats of one directory moments apart may differ).
client dirsize rbytes = false
EOF
    monmaptool --create --addv a v1:127.0.0.1:6789 --fsid "$fsid" "$BASE/monmap" >/dev/null
    ceph-authtool --create-keyring "$BASE/mon.keyring" --gen-key -n mon. \
        --cap mon 'allow *' >/dev/null
    ceph-mon -c "$CONF" --mkfs -i a --monmap "$BASE/monmap" --keyring "$BASE/mon.keyring"
    ceph-mon -c "$CONF" -i a >>"$BASE/log/start.log" 2>&1
    osd_uuid=$(cat /proc/sys/kernel/random/uuid)
    id=$(ceph_ osd new "$osd_uuid")
    [ "$id" = 0 ] || die "the OSD got id $id, not 0"
    ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$osd_uuid" >/dev/null 2>&1
    ceph-osd -c "$CONF" -i 0 >>"$BASE/log/start.log" 2>&1
    ceph_ osd pool create cephfs_metadata 8 >/dev/null 2>&1
    ceph_ osd pool create cephfs_data 8 >/dev/null 2>&1
    ceph_ fs new cephfs cephfs_metadata cephfs_data >/dev/null 2>&1
    ceph-mds -c "$CONF" -i a >>"$BASE/log/start.log" 2>&1
    wait_active
    log "cluster made (fsid $fsid)"
}

up() {
    [ "$(id -u)" = 0 ] || die "not root"
    [ -e /dev/fuse ] || die "no /dev/fuse"
    install
    if mounted "$A" && mounted "$B" && pid_of mds.a >/dev/null; then
        echo "$A"
        echo "$B"
        return 0
    fi
    for m in "$A" "$B"; do
        if mounted "$m"; then umount -l "$m" || true; fi
    done
    if pid_of mon.a >/dev/null && pid_of osd.0 >/dev/null && pid_of mds.a >/dev/null; then
        wait_active
    else
        make_cluster
    fi
    # Two clients (client.host-a, client.host-b), as two hosts would have.
    for h in a b; do
        mkdir -p "$BASE/host-$h"
        ceph-fuse -c "$CONF" --id "host-$h" "$BASE/host-$h" >/dev/null 2>&1 ||
            die "ceph-fuse could not mount $BASE/host-$h (see $BASE/log/client.host-$h.log)"
    done
    mounted "$A" && mounted "$B" || die "the mounts are not up"
    echo "$A"
    echo "$B"
}

down() {
    for m in "$A" "$B"; do
        if mounted "$m"; then umount -l "$m" || true; fi
    done
    for h in a b; do
        if pid=$(pid_of "client.host-$h"); then kill "$pid" 2>/dev/null || true; fi
    done
    stop_daemons
    rm -rf "$BASE"
    log "down"
}

status() {
    mounted "$A" && mounted "$B" || die "CephFS is not up (scripts/cephfs.sh up)"
    echo "$A"
    echo "$B"
}

case "${1:-}" in
up) up ;;
down) down ;;
status) status ;;
mds-kill)
    pid=$(pid_of mds.a) || die "the metadata server is not running"
    kill -9 "$pid"
    for _ in $(seq 100); do [ -e "/proc/$pid" ] || break; sleep 0.1; done
    [ -e "/proc/$pid" ] && die "the metadata server (pid $pid) did not die"
    log "metadata server (pid $pid) killed"
    ;;
mds-start)
    pid_of mds.a >/dev/null || ceph-mds -c "$CONF" -i a >>"$BASE/log/start.log" 2>&1
    wait_active
    log "metadata server active"
    ;;
client-pid)
    case "${2:-}" in A) h=a ;; B) h=b ;; *) die "no host ${2:-} (A or B)" ;; esac
    pid_of "client.host-$h" || die "no ceph-fuse for $BASE/host-$h"
    ;;
*) die "usage: scripts/cephfs.sh up|down|status|mds-kill|mds-start|client-pid A|B" ;;
esac
