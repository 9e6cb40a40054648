#!/usr/bin/env bash
# A real distributed filesystem for the tests: a GlusterFS volume replicated
# over 3 bricks on local directories, mounted twice with the FUSE client
# (two "hosts", A and B, each with its own kernel caches).
#
#   scripts/volume.sh up       install (Debian's glusterfs-server and
#                              glusterfs-client), start glusterd, create and
#                              start the volume, mount it twice; prints the
#                              two mount points (A, then B), one per line
#   scripts/volume.sh down     unmount, stop and delete the volume, stop
#                              glusterd, remove the bricks
#   scripts/volume.sh status   prints the mount points if the volume is up
#   scripts/volume.sh brick-kill N | brick-start
#                              kill brick N's process (1-3) / start every
#                              brick again (fault tests)
#   scripts/volume.sh client-stop A|B | client-cont A|B | client-pid A|B
#                              stop (SIGSTOP) / continue host A's or B's FUSE
#                              client: its mount's calls wait meanwhile, as
#                              on a slow network; or print its pid (fault
#                              tests). While a client is stopped, a process
#                              holding files of its mount waits in exec (the
#                              kernel flushes each FUSE file it closes), so
#                              continue it from a process that holds none.
#
# Idempotent: `up` on a volume that is up prints its mount points again.
# Needs root and /dev/fuse. DIRECTFS_VOLUME_DIR (default /srv/directfs-volume)
# holds the bricks and the mount points.
set -euo pipefail

BASE=${DIRECTFS_VOLUME_DIR:-/srv/directfs-volume}
VOL=directfs
HOST=$(hostname)
A="$BASE/host-a"
B="$BASE/host-b"
log() { printf '[volume] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

mounted() { mountpoint -q "$1" 2>/dev/null; }

install() {
    if ! command -v glusterd >/dev/null || ! command -v mount.glusterfs >/dev/null; then
        [ "$(id -u)" = 0 ] || die "not root: cannot install glusterfs-server"
        log "apt-get install glusterfs-server glusterfs-client"
        { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            glusterfs-server glusterfs-client; } >&2
    fi
}

start_glusterd() {
    if ! pgrep -x glusterd >/dev/null; then
        mkdir -p /var/log/glusterfs /var/lib/glusterd
        glusterd >&2
    fi
    for _ in $(seq 1 50); do
        gluster --mode=script volume list >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    die "glusterd does not answer"
}

# The pid of host $1's (A or B) FUSE client.
client_pid() {
    local mp pid
    case "$1" in A) mp=$A ;; B) mp=$B ;; *) die "no host $1 (A or B)" ;; esac
    pid=$(pgrep -f -- "--process-name fuse .* $mp\$" || true)
    [ -n "$pid" ] || die "no FUSE client for $mp"
    echo "$pid"
}

# Continues a client that client-stop left stopped (a test that died).
continue_clients() {
    for stopped in "$BASE"/.client-*.stopped; do
        [ -f "$stopped" ] || continue
        kill -CONT "$(cat "$stopped")" 2>/dev/null || true
        rm -f "$stopped"
    done
}

up() {
    [ "$(id -u)" = 0 ] || die "not root"
    continue_clients
    [ -e /dev/fuse ] || die "no /dev/fuse"
    install
    start_glusterd
    if ! gluster --mode=script volume info "$VOL" >/dev/null 2>&1; then
        mkdir -p "$BASE/bricks/b1" "$BASE/bricks/b2" "$BASE/bricks/b3"
        # `force`: the bricks are on the root filesystem, one host.
        gluster --mode=script volume create "$VOL" replica 3 \
            "$HOST:$BASE/bricks/b1" "$HOST:$BASE/bricks/b2" "$HOST:$BASE/bricks/b3" force >&2
    fi
    if ! gluster --mode=script volume status "$VOL" >/dev/null 2>&1; then
        gluster --mode=script volume start "$VOL" >&2
    fi
    for m in "$A" "$B"; do
        mkdir -p "$m"
        if ! mounted "$m"; then
            mount -t glusterfs "$HOST:/$VOL" "$m" >&2
        fi
    done
    echo "$A"
    echo "$B"
}

down() {
    continue_clients
    for m in "$A" "$B"; do
        if mounted "$m"; then umount -l "$m" || true; fi
    done
    if command -v gluster >/dev/null && pgrep -x glusterd >/dev/null; then
        gluster --mode=script volume stop "$VOL" force >/dev/null 2>&1 || true
        gluster --mode=script volume delete "$VOL" >/dev/null 2>&1 || true
        pkill -x glusterd || true
        pkill -x glusterfsd || true
    fi
    rm -rf "$BASE"
    log "down"
}

status() {
    mounted "$A" && mounted "$B" || die "the volume is not up (scripts/volume.sh up)"
    echo "$A"
    echo "$B"
}

brick_pid() {
    gluster --mode=script volume status "$VOL" "$HOST:$BASE/bricks/b$1" detail 2>/dev/null |
        awk -F: '/^Pid/ {gsub(/ /, "", $2); print $2}'
}

case "${1:-}" in
up) up ;;
down) down ;;
status) status ;;
brick-kill)
    pid=$(brick_pid "${2:?brick number}")
    [ -n "$pid" ] && [ "$pid" != N/A ] || die "brick $2 is not running"
    kill -9 "$pid"
    # Gone before this returns: a brick still dying (in I/O) when
    # brick-start runs is taken by glusterd for a running one, and stays down.
    for _ in $(seq 100); do [ -e "/proc/$pid" ] || break; sleep 0.1; done
    [ -e "/proc/$pid" ] && die "brick $2 (pid $pid) did not die"
    log "brick $2 (pid $pid) killed"
    ;;
brick-start)
    # Every brick online before this returns (started again if need be).
    for try in 1 2 3; do
        gluster --mode=script volume start "$VOL" force >&2
        for _ in $(seq 50); do
            down=0
            for n in 1 2 3; do
                pid=$(brick_pid "$n")
                { [ -n "$pid" ] && [ "$pid" != N/A ]; } || down=$n
            done
            [ "$down" = 0 ] && break 2
            sleep 0.2
        done
        log "brick $down still down after start (try $try)"
    done
    [ "$down" = 0 ] || die "brick $down did not start"
    ;;
client-pid)
    client_pid "${2:?A or B}"
    ;;
client-stop)
    pid=$(client_pid "${2:?A or B}")
    # Kept for client-cont: while the client is stopped, reading other
    # processes' command lines (pgrep) can wait on the mount too.
    echo "$pid" > "$BASE/.client-$2.stopped"
    kill -STOP "$pid"
    log "host $2's FUSE client (pid $pid) stopped"
    ;;
client-cont)
    stopped="$BASE/.client-${2:?A or B}.stopped"
    [ -f "$stopped" ] || die "host $2's client was not stopped by client-stop"
    pid=$(cat "$stopped")
    kill -CONT "$pid"
    rm -f "$stopped"
    log "host $2's FUSE client (pid $pid) continued"
    ;;
*) die "usage: scripts/volume.sh up|down|status|brick-kill N|brick-start|client-stop|client-cont|client-pid A|B" ;;
esac
