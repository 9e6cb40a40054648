// A hostile preview 1 program: calls every filesystem function of
// wasi_snapshot_preview1 (and poll_oneoff) with random arguments — fds
// open, closed, stdio, preopens and garbage; paths with dots, slashes,
// symlinks out of the sandbox, NUL, long runs; sizes and offsets up to
// 2^63; flags of every valid bit pattern — for ITERS calls from SEED, and
// prints how many succeeded. Every pointer it passes is in bounds and
// aligned (a bad one is a trap, which ends the run: wasmtime-wasi's answer
// too), and every clock it polls is of 0 ns (a long sleep would be one the
// guest asked for). The host must answer each call with an errno, never
// panic, hang, or touch anything outside the sandbox or in /ro.
//
// Usage: c_hostile SEED ITERS [trace]. With HOSTSYNC=K in its environment,
// every K calls it prints `sync N`, then waits for a byte on stdin (and
// never gives stdin to a call): a driver changes the sandbox from the host
// meanwhile, the same changes at the same points under each runtime. With
// `trace` (or TRACE set in its environment), it prints
// each call's number, kind and errno, to compare two runs of one seed
// (directfs, wasmtime-wasi) call by call, and leaves out the calls where
// directfs answers as Linux does and wasmtime-wasi does not (a path ending
// in `/` or `/.` given to `path_filestat_get` or `path_remove_directory`,
// or as `path_link`'s new path;
// `path_open` of a directory without following a symlink; a preopen's own
// times), whose different effects would make every later call differ.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT(name) \
    __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))
typedef int32_t i32;
typedef int64_t i64;

IMPORT(fd_advise) i32 w_fd_advise(i32, i64, i64, i32);
IMPORT(fd_allocate) i32 w_fd_allocate(i32, i64, i64);
IMPORT(fd_close) i32 w_fd_close(i32);
IMPORT(fd_datasync) i32 w_fd_datasync(i32);
IMPORT(fd_fdstat_get) i32 w_fd_fdstat_get(i32, i32);
IMPORT(fd_fdstat_set_flags) i32 w_fd_fdstat_set_flags(i32, i32);
IMPORT(fd_fdstat_set_rights) i32 w_fd_fdstat_set_rights(i32, i64, i64);
IMPORT(fd_filestat_get) i32 w_fd_filestat_get(i32, i32);
IMPORT(fd_filestat_set_size) i32 w_fd_filestat_set_size(i32, i64);
IMPORT(fd_filestat_set_times) i32 w_fd_filestat_set_times(i32, i64, i64, i32);
IMPORT(fd_pread) i32 w_fd_pread(i32, i32, i32, i64, i32);
IMPORT(fd_prestat_get) i32 w_fd_prestat_get(i32, i32);
IMPORT(fd_prestat_dir_name) i32 w_fd_prestat_dir_name(i32, i32, i32);
IMPORT(fd_pwrite) i32 w_fd_pwrite(i32, i32, i32, i64, i32);
IMPORT(fd_read) i32 w_fd_read(i32, i32, i32, i32);
IMPORT(fd_readdir) i32 w_fd_readdir(i32, i32, i32, i64, i32);
IMPORT(fd_renumber) i32 w_fd_renumber(i32, i32);
IMPORT(fd_seek) i32 w_fd_seek(i32, i64, i32, i32);
IMPORT(fd_sync) i32 w_fd_sync(i32);
IMPORT(fd_tell) i32 w_fd_tell(i32, i32);
IMPORT(fd_write) i32 w_fd_write(i32, i32, i32, i32);
IMPORT(path_create_directory) i32 w_path_create_directory(i32, i32, i32);
IMPORT(path_filestat_get) i32 w_path_filestat_get(i32, i32, i32, i32, i32);
IMPORT(path_filestat_set_times) i32 w_path_filestat_set_times(i32, i32, i32, i32, i64, i64, i32);
IMPORT(path_link) i32 w_path_link(i32, i32, i32, i32, i32, i32, i32);
IMPORT(path_open) i32 w_path_open(i32, i32, i32, i32, i32, i64, i64, i32, i32);
IMPORT(path_readlink) i32 w_path_readlink(i32, i32, i32, i32, i32, i32);
IMPORT(path_remove_directory) i32 w_path_remove_directory(i32, i32, i32);
IMPORT(path_rename) i32 w_path_rename(i32, i32, i32, i32, i32, i32);
IMPORT(path_symlink) i32 w_path_symlink(i32, i32, i32, i32, i32);
IMPORT(path_unlink_file) i32 w_path_unlink_file(i32, i32, i32);
IMPORT(poll_oneoff) i32 w_poll_oneoff(i32, i32, i32, i32);

static uint64_t state;

static uint64_t rnd(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

// Where the host writes and reads: outputs anywhere in [0, 56 KiB),
// iovecs at 56 KiB, subscriptions at 58 KiB, paths from 60 KiB.
static uint8_t arena[65536] __attribute__((aligned(16)));
#define IOVS 57344
#define SUBS 59392
#define PATHS 61440

static const char *const NAMES[] = {
    "a", "b", "d", "d/e", "..", ".", "/", "", "a/", "d/..", "../x", "d/../..",
    "l", "l/", "ld", "ld/f", "a/.", "x\xff", "d//e", "loop", "up", "up/canary",
    "out", "out/canary", "d/e/f/g", "//", "...", "a\0b", "/sandbox", "../sandbox/a",
};

// The fds `path_open` gave (and the preopens, 3 and 4): closed or not.
static i32 known[16] = {3, 4, 3, 4, 3, 4, 3, 4, 3, 4, 3, 4, 3, 4, 3, 4};

// Whether a driver waits on stdin (HOSTSYNC): no call is given fd 0.
static int host_sync;

// An fd: mostly one `path_open` gave or a preopen, some stdio, some far
// out.
static i32 fd(void) {
    switch (rnd() % 10) {
    case 6: case 7: case 8: case 9: return known[rnd() % 16];
    case 0: {
        i32 f = (i32)(rnd() % 4);
        return host_sync && f == 0 ? 1 : f;
    }
    case 1: case 2: case 3: return (i32)(3 + rnd() % 12);
    case 4: return (i32)rnd();
    default: return -1;
    }
}

// A size or offset: 0, small, random 64-bit, the largest, or negative.
static i64 big(void) {
    switch (rnd() % 5) {
    case 0: return 0;
    case 1: return (i64)(rnd() % 4096);
    case 2: return (i64)rnd();
    case 3: return INT64_MAX;
    default: return -(i64)(rnd() % 10);
    }
}

// An output pointer: in bounds, 8-aligned, below the iovecs.
static i32 out(void) { return (i32)(uintptr_t)arena + (i32)(rnd() % (IOVS / 8)) * 8; }

// A buffer length: 0, a page, or small.
static i32 len(void) {
    switch (rnd() % 6) {
    case 0: return 4096;
    case 1: return 0;
    default: return (i32)(rnd() % 64);
    }
}

// A path in one of four slots; its length in *l.
static i32 path(i32 *l) {
    uint8_t *p = arena + PATHS + (rnd() % 4) * 1024;
    size_t n;
    if (rnd() % 15 == 0) {
        // A long run of names, dots and slashes.
        n = rnd() % 1000;
        for (size_t i = 0; i < n; i++) p[i] = "d/.ab"[rnd() % 5];
    } else {
        const char *name = NAMES[rnd() % (sizeof NAMES / sizeof *NAMES)];
        n = strlen(name);
        if (strcmp(name, "a") == 0 && rnd() % 3 == 0) n = 3; // "a\0b"
        memcpy(p, name, n);
    }
    *l = (i32)n;
    return (i32)(uintptr_t)p;
}

// What a traced run writes from: bytes no call's output lands in (the
// arena holds times and inode numbers the host wrote, which differ run to
// run).
static uint8_t written[IOVS];

// Up to 4 iovecs over [0, 56 KiB) of the arena, or of `written` where
// `from_written`; their number in *n.
static i32 iovs(i32 *n, int from_written) {
    uint32_t *v = (uint32_t *)(arena + IOVS);
    uint8_t *base = from_written ? written : arena;
    int k = (int)(rnd() % 5);
    for (int i = 0; i < k; i++) {
        uint32_t length = rnd() % 3 == 0 ? 512 : (uint32_t)(rnd() % 4096);
        v[2 * i] = (uint32_t)(uintptr_t)base + (uint32_t)(rnd() % (IOVS - 4096));
        v[2 * i + 1] = length;
    }
    *n = k;
    return (i32)(uintptr_t)v;
}

// `poll_oneoff` of 1 to 4 subscriptions: fd reads and writes of random fds,
// and clocks of 0 ns.
static i32 poll(void) {
    uint8_t *sub = arena + SUBS;
    int k = 1 + (int)(rnd() % 4);
    memset(sub, 0, 48 * (size_t)k);
    for (int i = 0; i < k; i++) {
        uint8_t *s = sub + 48 * i;
        s[8] = (uint8_t)(rnd() % 3);
        if (s[8] != 0) {
            i32 f = fd();
            *(i32 *)(s + 16) = f == 0 ? 3 : f; // stdin would wait
        }
    }
    return w_poll_oneoff((i32)(uintptr_t)sub, out(), k, out());
}

// Whether path `p` (of `l` bytes) ends in `/` or `/.`: it must name a
// directory, following a final symlink.
static int slashy(i32 p, i32 l) {
    const char *s = (const char *)(uintptr_t)p;
    return (l >= 1 && s[l - 1] == '/') || (l >= 2 && s[l - 2] == '/' && s[l - 1] == '.');
}

int main(int argc, char **argv) {
    state = argc > 1 ? strtoull(argv[1], 0, 10) : 1;
    if (state == 0) state = 1;
    long iters = argc > 2 ? atol(argv[2]) : 10000;
    long ok = 0;
    for (size_t i = 0; i < sizeof written; i++) written[i] = (uint8_t)(i * 7 + i / 251);
    int trace = getenv("TRACE") != 0 || (argc > 3 && strcmp(argv[3], "trace") == 0);
    long sync_every = getenv("HOSTSYNC") ? atol(getenv("HOSTSYNC")) : 0;
    host_sync = sync_every > 0;
    for (long it = 0; it < iters; it++) {
        i32 l1, l2, p1, p2, n, f, r = -1;
        if (host_sync && it % sync_every == 0) {
            // The driver changes the sandbox, then sends a byte.
            printf("sync %ld\n", it);
            fflush(stdout);
            uint32_t *v = (uint32_t *)(arena + IOVS);
            i32 got = 0;
            v[0] = (uint32_t)(uintptr_t)arena;
            v[1] = 1;
            if (w_fd_read(0, (i32)(uintptr_t)v, 1, (i32)(uintptr_t)&got) != 0 || got != 1)
                return 2;
        }
        int which = (int)(rnd() % 32);
        switch (which) {
        case 0: r = w_fd_advise(fd(), big(), big(), (i32)(rnd() % 6)); break;
        case 1: r = w_fd_allocate(fd(), big(), big()); break;
        case 2:
            // Keep stdio (the count is printed), and the preopens but in
            // the last calls.
            f = fd();
            if (f > 4 || ((f == 3 || f == 4) && it > iters - iters / 50)) r = w_fd_close(f);
            break;
        case 3: r = w_fd_datasync(fd()); break;
        case 4: r = w_fd_fdstat_get(fd(), out()); break;
        case 5: r = w_fd_fdstat_set_flags(fd(), (i32)(rnd() % 32)); break;
        case 6:
            r = w_fd_fdstat_set_rights(fd(), (i64)(rnd() & 0x1fffffff), (i64)(rnd() & 0x1fffffff));
            break;
        case 7: r = w_fd_filestat_get(fd(), out()); break;
        case 8: r = w_fd_filestat_set_size(fd(), rnd() % 3 ? (i64)(rnd() % 100000) : big()); break;
        case 9:
            f = fd();
            // A preopen's own times: an intended difference (wasmtime-wasi:
            // EBADF), left out of a comparison.
            if (!(trace && (f == 3 || f == 4)))
                r = w_fd_filestat_set_times(f, big(), big(), (i32)(rnd() % 16));
            break;
        case 10: p1 = iovs(&n, 0); r = w_fd_pread(fd(), p1, n, big(), out()); break;
        case 11: r = w_fd_prestat_get(fd(), out()); break;
        case 12: r = w_fd_prestat_dir_name(fd(), out(), len()); break;
        case 13:
            f = fd();
            if (f > 2) {
                p1 = iovs(&n, trace);
                r = w_fd_pwrite(f, p1, n, rnd() % 2 ? (i64)(rnd() % 100000) : big(), out());
            }
            break;
        case 14:
            f = fd();
            if (f != 0) { p1 = iovs(&n, 0); r = w_fd_read(f, p1, n, out()); }
            break;
        case 15:
            r = w_fd_readdir(fd(), out(), len(), rnd() % 3 ? (i64)(rnd() % 20) : big(), out());
            break;
        case 16: {
            i32 a = fd(), b = fd();
            if (a > 4 && b > 4) r = w_fd_renumber(a, b);
            if (r == 0) known[rnd() % 16] = b;
        } break;
        case 17: r = w_fd_seek(fd(), big(), (i32)(rnd() % 3), out()); break;
        case 18: r = w_fd_sync(fd()); break;
        case 19: r = w_fd_tell(fd(), out()); break;
        case 20:
            f = fd();
            if (f > 2) { p1 = iovs(&n, trace); r = w_fd_write(f, p1, n, out()); }
            break;
        case 21: p1 = path(&l1); r = w_path_create_directory(fd(), p1, l1); break;
        case 22:
            p1 = path(&l1);
            f = fd();
            n = (i32)(rnd() % 2);
            if (!(trace && slashy(p1, l1))) r = w_path_filestat_get(f, n, p1, l1, out());
            break;
        case 23:
            p1 = path(&l1);
            r = w_path_filestat_set_times(fd(), (i32)(rnd() % 2), p1, l1, big(), big(), (i32)(rnd() % 16));
            break;
        case 24:
            p1 = path(&l1);
            p2 = path(&l2);
            // A new path ending in `/`: the old name's faults first, as
            // Linux (wasmtime-wasi walks `new/` first).
            if (!(trace && slashy(p2, l2))) r = w_path_link(fd(), (i32)(rnd() % 2), p1, l1, fd(), p2, l2);
            break;
        case 25: {
            p1 = path(&l1);
            i32 *opened = (i32 *)(arena + IOVS - 8);
            i32 at = fd(), follow = (i32)(rnd() % 2), oflags = (i32)(rnd() % 16);
            i64 base = (i64)(rnd() & 0x1fffffff), inheriting = (i64)(rnd() & 0x1fffffff);
            i32 fdflags = (i32)(rnd() % 32);
            // oflags 2: `directory`.
            if (!(trace && (oflags & 2) && !follow))
                r = w_path_open(at, follow, p1, l1, oflags, base, inheriting, fdflags,
                                (i32)(uintptr_t)opened);
            if (r == 0) known[rnd() % 16] = *opened;
        } break;
        case 26: p1 = path(&l1); r = w_path_readlink(fd(), p1, l1, out(), len(), out()); break;
        case 27:
            p1 = path(&l1);
            f = fd();
            if (!(trace && slashy(p1, l1))) r = w_path_remove_directory(f, p1, l1);
            break;
        case 28:
            p1 = path(&l1);
            p2 = path(&l2);
            r = w_path_rename(fd(), p1, l1, fd(), p2, l2);
            break;
        case 29: p1 = path(&l1); p2 = path(&l2); r = w_path_symlink(p1, l1, fd(), p2, l2); break;
        case 30: p1 = path(&l1); r = w_path_unlink_file(fd(), p1, l1); break;
        case 31: r = poll(); break;
        }
        if (r == 0) ok++;
        if (trace) printf("%ld %d %d\n", it, which, r);
    }
    printf("calls %ld, succeeded %ld\n", iters, ok);
    return 0;
}
