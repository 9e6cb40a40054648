/* The raw preview 1 calls (wasi-libc's __wasi_* bindings) and their error
 * corners, each printed with its errno: fd table (renumber, close, prestat,
 * bad and stdio fds), fdstat and its flags, seeks and sizes past 2^63,
 * zero-length and vectored I/O, fd_readdir with small buffers and cookies,
 * path_open's flags, times, poll_oneoff with clocks, and the functions that
 * are not filesystem ones. Run with /sandbox (read-write, holding `out` ->
 * outside and `up` -> ../outside) and /ro (read-only, holding `f`), fds 3
 * and 4. Built by scripts/build-wasip1-guests.sh; run by tests/wasip1.rs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#define RIGHTS_ALL ((__wasi_rights_t)0x1fffffff)
#define SANDBOX 3
#define RO 4

static void show(const char *step, __wasi_errno_t e) { printf("%s: %u\n", step, (unsigned)e); }

static __wasi_fd_t open_at(__wasi_fd_t dir, const char *path, __wasi_oflags_t oflags,
                           __wasi_rights_t rights, __wasi_fdflags_t fdflags,
                           __wasi_lookupflags_t lookup, const char *step) {
    __wasi_fd_t fd = (__wasi_fd_t)-1;
    __wasi_errno_t e = __wasi_path_open(dir, lookup, path, oflags, rights, rights, fdflags, &fd);
    show(step, e);
    return e ? (__wasi_fd_t)-1 : fd;
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Lists `dir` through fd_readdir with a buffer of `len` bytes, following
 * d_next cookies; prints the names sorted, with their types. */
static void readdir_with(__wasi_fd_t dir, size_t len) {
    uint8_t *buf = malloc(len);
    char *names[64];
    int n = 0;
    __wasi_dircookie_t cookie = 0;
    int calls = 0;
    for (;;) {
        __wasi_size_t used = 0;
        __wasi_errno_t e = __wasi_fd_readdir(dir, buf, len, cookie, &used);
        calls++;
        if (e) {
            show("fd_readdir", e);
            break;
        }
        size_t off = 0, progressed = 0;
        while (off + sizeof(__wasi_dirent_t) <= used) {
            __wasi_dirent_t d;
            memcpy(&d, buf + off, sizeof d);
            if (off + sizeof d + d.d_namlen > used)
                break;
            char name[300];
            memcpy(name, buf + off + sizeof d, d.d_namlen);
            name[d.d_namlen] = 0;
            char *entry = malloc(320);
            snprintf(entry, 320, "%s/%u", name, (unsigned)d.d_type);
            if (n < 64)
                names[n++] = entry;
            cookie = d.d_next;
            off += sizeof d + d.d_namlen;
            progressed = 1;
        }
        if (used < len || !progressed)
            break;
    }
    qsort(names, n, sizeof names[0], cmp);
    printf("fd_readdir buf %zu: %d entries:", len, n);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
    free(buf);
}

int main(void) {
    __wasi_errno_t e;
    __wasi_prestat_t pre;
    char name[16];

    /* Preopens and the fd table. */
    show("prestat 3", __wasi_fd_prestat_get(SANDBOX, &pre));
    printf("prestat 3 len: %u\n", (unsigned)pre.u.dir.pr_name_len);
    show("prestat_dir_name 3 short", __wasi_fd_prestat_dir_name(SANDBOX, (uint8_t *)name, 3));
    show("prestat_dir_name 3", __wasi_fd_prestat_dir_name(SANDBOX, (uint8_t *)name, sizeof name));
    show("prestat 5 (none)", __wasi_fd_prestat_get(5, &pre));
    show("prestat 0 (stdin)", __wasi_fd_prestat_get(0, &pre));
    show("prestat_dir_name 0", __wasi_fd_prestat_dir_name(0, (uint8_t *)name, sizeof name));

    __wasi_fdstat_t st;
    for (__wasi_fd_t fd = 0; fd <= 4; fd++) {
        e = __wasi_fd_fdstat_get(fd, &st);
        printf("fdstat %u: %u type %u flags %u base %llx inheriting %llx\n", (unsigned)fd, e,
               st.fs_filetype, st.fs_flags, (unsigned long long)st.fs_rights_base,
               (unsigned long long)st.fs_rights_inheriting);
    }
    show("fdstat 99", __wasi_fd_fdstat_get(99, &st));

    /* A file: fdstat, flags, seeks, sizes, vectored I/O. */
    __wasi_fd_t f = open_at(SANDBOX, "f.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC,
                            RIGHTS_ALL, 0, 0, "open f.txt");
    e = __wasi_fd_fdstat_get(f, &st);
    printf("fdstat f: %u type %u flags %u base %llx\n", e, st.fs_filetype, st.fs_flags,
           (unsigned long long)st.fs_rights_base);
    __wasi_ciovec_t out[3] = {{(const uint8_t *)"", 0}, {(const uint8_t *)"abc", 3},
                              {(const uint8_t *)"def", 3}};
    __wasi_size_t n = 0;
    e = __wasi_fd_write(f, out, 3, &n);
    printf("fd_write 3 iovecs (first empty): %u n %u\n", e, (unsigned)n);
    e = __wasi_fd_write(f, out, 1, &n);
    printf("fd_write empty: %u n %u\n", e, (unsigned)n);
    e = __wasi_fd_write(f, out, 0, &n);
    printf("fd_write no iovecs: %u n %u\n", e, (unsigned)n);
    __wasi_filesize_t pos = 0;
    show("fd_tell", __wasi_fd_tell(f, &pos));
    printf("position: %llu\n", (unsigned long long)pos);
    show("seek cur +2^62", __wasi_fd_seek(f, (__wasi_filedelta_t)1 << 62, __WASI_WHENCE_CUR, &pos));
    show("seek cur +2^62 again", __wasi_fd_seek(f, (__wasi_filedelta_t)1 << 62, __WASI_WHENCE_CUR, &pos));
    printf("position: %llu\n", (unsigned long long)pos);
    show("seek cur -2^63", __wasi_fd_seek(f, INT64_MIN, __WASI_WHENCE_CUR, &pos));
    show("seek set -1", __wasi_fd_seek(f, -1, __WASI_WHENCE_SET, &pos));
    show("seek end -1", __wasi_fd_seek(f, -1, __WASI_WHENCE_END, &pos));
    printf("position: %llu\n", (unsigned long long)pos);
    uint8_t byte[8] = {0};
    __wasi_iovec_t in[2] = {{byte, 0}, {byte, 8}};
    e = __wasi_fd_read(f, in, 2, &n);
    printf("fd_read at end-1: %u n %u byte %c\n", e, (unsigned)n, byte[0]);
    e = __wasi_fd_pread(f, in, 2, 1, &n);
    printf("fd_pread at 1: %u n %u %.5s\n", e, (unsigned)n, (char *)byte);
    e = __wasi_fd_pread(f, in, 2, (__wasi_filesize_t)1 << 63, &n);
    printf("fd_pread at 2^63: %u n %u\n", e, (unsigned)n);
    e = __wasi_fd_pwrite(f, out + 1, 1, (__wasi_filesize_t)1 << 63, &n);
    printf("fd_pwrite at 2^63: %u n %u\n", e, (unsigned)n);
    e = __wasi_fd_pwrite(f, out + 1, 1, 10, &n);
    printf("fd_pwrite at 10: %u n %u\n", e, (unsigned)n);
    show("set_size 2^63", __wasi_fd_filestat_set_size(f, (__wasi_filesize_t)1 << 63));
    show("set_size 20", __wasi_fd_filestat_set_size(f, 20));
    __wasi_filestat_t fs;
    e = __wasi_fd_filestat_get(f, &fs);
    printf("filestat f: %u type %u size %llu nlink %llu\n", e, fs.filetype,
           (unsigned long long)fs.size, (unsigned long long)fs.nlink);
    show("set_times both set and now",
         __wasi_fd_filestat_set_times(f, 5, 5, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW));
    show("set_times mtim", __wasi_fd_filestat_set_times(f, 0, 2000000000123ULL, __WASI_FSTFLAGS_MTIM));
    e = __wasi_fd_filestat_get(f, &fs);
    printf("mtim: %u %llu\n", e, (unsigned long long)fs.mtim);
    show("fdstat_set_flags sync", __wasi_fd_fdstat_set_flags(f, __WASI_FDFLAGS_SYNC));
    show("fdstat_set_flags append|nonblock",
         __wasi_fd_fdstat_set_flags(f, __WASI_FDFLAGS_APPEND | __WASI_FDFLAGS_NONBLOCK));
    e = __wasi_fd_fdstat_get(f, &st);
    printf("fdstat f flags: %u %u\n", e, st.fs_flags);
    e = __wasi_fd_write(f, out + 1, 1, &n);
    show("append write", e);
    show("fd_tell after append", __wasi_fd_tell(f, &pos));
    printf("position: %llu\n", (unsigned long long)pos);
    show("fdstat_set_flags dir", __wasi_fd_fdstat_set_flags(SANDBOX, __WASI_FDFLAGS_APPEND));
    show("fdstat_set_rights", __wasi_fd_fdstat_set_rights(f, 0, 0));
    show("fd_allocate", __wasi_fd_allocate(f, 0, 10));
    show("fd_advise", __wasi_fd_advise(f, 0, 10, __WASI_ADVICE_SEQUENTIAL));
    show("fd_sync", __wasi_fd_sync(f));
    show("fd_datasync", __wasi_fd_datasync(f));

    /* fd_renumber: onto an open fd, onto itself, to and from bad fds. */
    __wasi_fd_t g = open_at(SANDBOX, "g.txt", __WASI_OFLAGS_CREAT, RIGHTS_ALL, 0, 0, "open g.txt");
    show("renumber g onto f", __wasi_fd_renumber(g, f));
    e = __wasi_fd_filestat_get(f, &fs);
    printf("f is now g: %u size %llu\n", e, (unsigned long long)fs.size);
    show("fdstat g (moved)", __wasi_fd_fdstat_get(g, &st));
    show("renumber f onto f", __wasi_fd_renumber(f, f));
    show("renumber f onto 99", __wasi_fd_renumber(f, 99));
    show("renumber 99 onto f", __wasi_fd_renumber(99, f));
    __wasi_fd_t h = open_at(SANDBOX, "g.txt", 0, RIGHTS_ALL, 0, 0, "open g.txt again");
    printf("reused fd: %s\n", h == g ? "yes" : "no");
    show("close h", __wasi_fd_close(h));
    show("close f", __wasi_fd_close(f));
    show("close f again", __wasi_fd_close(f));

    /* Stdio and directories where files are expected, and back. */
    show("tell stdout", __wasi_fd_tell(1, &pos));
    show("seek stdin", __wasi_fd_seek(0, 0, __WASI_WHENCE_CUR, &pos));
    show("seek dir", __wasi_fd_seek(SANDBOX, 0, __WASI_WHENCE_CUR, &pos));
    show("read dir", __wasi_fd_read(SANDBOX, in, 2, &n));
    show("write stdin", __wasi_fd_write(0, out + 1, 1, &n));
    show("pwrite stdout", __wasi_fd_pwrite(1, out + 1, 1, 0, &n));
    show("pread stdin", __wasi_fd_pread(0, in, 2, 0, &n));
    show("set_size dir", __wasi_fd_filestat_set_size(SANDBOX, 1));
    show("sync dir", __wasi_fd_sync(SANDBOX));
    show("readdir file", __wasi_fd_readdir(0, byte, 8, 0, &n));
    e = __wasi_fd_filestat_get(1, &fs);
    printf("filestat stdout: %u type %u\n", e, fs.filetype);

    /* path_open's flags. */
    show("symlink l -> f.txt", __wasi_path_symlink("f.txt", SANDBOX, "l"));
    __wasi_fd_t x;
    x = open_at(SANDBOX, "l", 0, RIGHTS_ALL, 0, 0, "open symlink no-follow");
    x = open_at(SANDBOX, "l", 0, RIGHTS_ALL, 0, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "open symlink follow");
    if (x != (__wasi_fd_t)-1)
        (void)__wasi_fd_close(x);
    open_at(SANDBOX, "f.txt", __WASI_OFLAGS_DIRECTORY, RIGHTS_ALL, 0, 0, "open file as dir");
    show("mkdir sub", __wasi_path_create_directory(SANDBOX, "sub"));
    show("symlink sl -> sub", __wasi_path_symlink("sub", SANDBOX, "sl"));
    open_at(SANDBOX, "sl", __WASI_OFLAGS_DIRECTORY, RIGHTS_ALL & ~__WASI_RIGHTS_FD_WRITE, 0, 0,
            "open dir symlink as dir, no-follow");
    show("rmdir sl/", __wasi_path_remove_directory(SANDBOX, "sl/"));
    show("rmdir sub/", __wasi_path_remove_directory(SANDBOX, "sub/"));
    open_at(SANDBOX, "f.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, RIGHTS_ALL, 0, 0, "open excl");
    open_at(SANDBOX, "new/", __WASI_OFLAGS_CREAT, RIGHTS_ALL, 0, 0, "create with slash");
    open_at(SANDBOX, "", 0, RIGHTS_ALL, 0, 0, "open empty path");
    open_at(SANDBOX, ".", __WASI_OFLAGS_DIRECTORY, RIGHTS_ALL, 0, 0, "open dot");
    open_at(SANDBOX, "..", __WASI_OFLAGS_DIRECTORY, RIGHTS_ALL, 0, 0, "open dotdot");
    open_at(SANDBOX, "out", __WASI_OFLAGS_DIRECTORY, RIGHTS_ALL, 0,
            __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "open out");
    open_at(SANDBOX, "f.txt", 0, RIGHTS_ALL, __WASI_FDFLAGS_SYNC, 0, "open sync");
    open_at(RO, "f", 0, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0, 0, "ro open rw");
    open_at(RO, "f", __WASI_OFLAGS_TRUNC, __WASI_RIGHTS_FD_READ, 0, 0, "ro open trunc");
    __wasi_fd_t r = open_at(RO, "f", 0, __WASI_RIGHTS_FD_READ, 0, 0, "ro open read");
    e = __wasi_fd_write(r, out + 1, 1, &n);
    show("write ro file", e);
    open_at(1, "x", 0, RIGHTS_ALL, 0, 0, "path_open on stdout");
    open_at(99, "x", 0, RIGHTS_ALL, 0, 0, "path_open on bad fd");

    /* Listing: every buffer size, cookies followed. */
    show("mkdir d", __wasi_path_create_directory(SANDBOX, "d"));
    __wasi_fd_t d = open_at(SANDBOX, "d", __WASI_OFLAGS_DIRECTORY,
                            RIGHTS_ALL & ~__WASI_RIGHTS_FD_WRITE, 0, 0, "open d");
    char file[32];
    for (int i = 0; i < 12; i++) {
        snprintf(file, sizeof file, "entry-with-a-long-name-%02d", i);
        __wasi_fd_t t = open_at(d, file, __WASI_OFLAGS_CREAT, RIGHTS_ALL, 0, 0, "create entry");
        (void)__wasi_fd_close(t);
    }
    show("mkdir d/sub", __wasi_path_create_directory(d, "sub"));
    readdir_with(d, 4096);
    readdir_with(d, 64);
    readdir_with(d, 30);
    e = __wasi_fd_readdir(d, byte, 0, 0, &n);
    printf("fd_readdir buf 0: %u used %u\n", e, (unsigned)n);
    e = __wasi_fd_readdir(d, byte, 8, 1000, &n);
    printf("fd_readdir past the end: %u used %u\n", e, (unsigned)n);
    e = __wasi_fd_prestat_get(d, &pre);
    show("prestat d", e);
    show("close d", __wasi_fd_close(d));

    /* Path calls with their corners. */
    show("stat_get missing", __wasi_path_filestat_get(SANDBOX, 0, "missing", &fs));
    show("stat_get f.txt/", __wasi_path_filestat_get(SANDBOX, 0, "f.txt/", &fs));
    show("stat_get out follow", __wasi_path_filestat_get(SANDBOX, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "out", &fs));
    show("stat_get out", __wasi_path_filestat_get(SANDBOX, 0, "out", &fs));
    printf("out type: %u\n", fs.filetype);
    show("path set_times bad", __wasi_path_filestat_set_times(SANDBOX, 0, "f.txt", 1, 1,
         __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW));
    show("path set_times", __wasi_path_filestat_set_times(SANDBOX, 0, "f.txt", 0, 3000000000000ULL,
         __WASI_FSTFLAGS_MTIM));
    uint8_t link[8];
    e = __wasi_path_readlink(SANDBOX, "l", link, 3, &n);
    printf("readlink short: %u n %u %.3s\n", e, (unsigned)n, (char *)link);
    show("readlink file", __wasi_path_readlink(SANDBOX, "f.txt", link, 8, &n));
    show("link", __wasi_path_link(SANDBOX, 0, "f.txt", SANDBOX, "f2.txt"));
    show("link onto existing", __wasi_path_link(SANDBOX, 0, "f.txt", SANDBOX, "f2.txt"));
    show("link to ro", __wasi_path_link(SANDBOX, 0, "f.txt", RO, "f3"));
    show("rename", __wasi_path_rename(SANDBOX, "f2.txt", SANDBOX, "d/f2.txt"));
    show("rename onto nonempty dir", __wasi_path_rename(SANDBOX, "f.txt", SANDBOX, "d"));
    show("rename from file fd", __wasi_path_rename(r, "x", SANDBOX, "y"));
    show("unlink dir", __wasi_path_unlink_file(SANDBOX, "d"));
    show("rmdir non-empty", __wasi_path_remove_directory(SANDBOX, "d"));
    show("rmdir file", __wasi_path_remove_directory(SANDBOX, "f.txt"));
    show("symlink absolute", __wasi_path_symlink("/etc", SANDBOX, "abs"));
    show("symlink exists", __wasi_path_symlink("x", SANDBOX, "l"));
    show("mkdir out/x", __wasi_path_create_directory(SANDBOX, "out/x"));
    show("mkdir ro", __wasi_path_create_directory(RO, "x"));

    /* poll_oneoff: none, a relative clock, an fd on a file. */
    __wasi_subscription_t subs[2];
    __wasi_event_t events[2];
    show("poll none", __wasi_poll_oneoff(subs, events, 0, &n));
    memset(subs, 0, sizeof subs);
    subs[0].userdata = 42;
    subs[0].u.tag = __WASI_EVENTTYPE_CLOCK;
    subs[0].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    subs[0].u.u.clock.timeout = 1000000;
    e = __wasi_poll_oneoff(subs, events, 1, &n);
    printf("poll clock: %u n %u userdata %llu type %u\n", e, (unsigned)n,
           (unsigned long long)events[0].userdata, events[0].type);
    /* The file is ready at once; a clock of 10 s cannot be, even on a
       loaded machine (with 1 ms, wasmtime-wasi's answer was sometimes the
       clock's). */
    subs[0].u.u.clock.timeout = 10000000000ull;
    subs[1].userdata = 7;
    subs[1].u.tag = __WASI_EVENTTYPE_FD_READ;
    subs[1].u.u.fd_read.file_descriptor = r;
    e = __wasi_poll_oneoff(subs, events, 2, &n);
    printf("poll clock+file: %u n %u first %llu type %u error %u\n", e, (unsigned)n,
           (unsigned long long)events[0].userdata, events[0].type, events[0].error);
    subs[1].u.u.fd_read.file_descriptor = 99;
    show("poll bad fd", __wasi_poll_oneoff(subs, events, 2, &n));
    subs[0].u.u.clock.id = __WASI_CLOCKID_PROCESS_CPUTIME_ID;
    show("poll cputime clock", __wasi_poll_oneoff(subs, events, 1, &n));

    /* The rest. */
    __wasi_timestamp_t t;
    show("clock_time_get cputime", __wasi_clock_time_get(__WASI_CLOCKID_PROCESS_CPUTIME_ID, 1, &t));
    show("clock_res_get realtime", __wasi_clock_res_get(__WASI_CLOCKID_REALTIME, &t));
    show("sched_yield", __wasi_sched_yield());
    show("random_get", __wasi_random_get(byte, 8));
    show("sock_shutdown file", __wasi_sock_shutdown(r, __WASI_SDFLAGS_RD));
    show("sock_shutdown bad", __wasi_sock_shutdown(99, __WASI_SDFLAGS_RD));
    __wasi_fd_t accepted;
    show("sock_accept", __wasi_sock_accept(SANDBOX, 0, &accepted));
    return 0;
}
