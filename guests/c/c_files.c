/* wasi-libc file work through wasi_snapshot_preview1, every step's result
 * printed with its exact errno: stdio and fd I/O, seeks, sizes, times,
 * directories (listed, sorted), links, symlinks, renames, and the error
 * corners (dots, trailing slashes, escapes, a read-only preopen, bad fds,
 * zero-length I/O, sizes past 2^63). Run with /sandbox (read-write, holding
 * `out` -> outside and `up` -> ../outside) and /ro (read-only, holding `f`).
 * Built by scripts/build-wasip1-guests.sh; run by tests/wasip1.rs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void report(const char *step, int rc) {
    if (rc < 0)
        printf("%s: err %d\n", step, errno);
    else
        printf("%s: ok %d\n", step, rc);
}

#define STEP(name, expr) do { errno = 0; int rc_ = (int)(expr); report(name, rc_); } while (0)

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) {
        printf("list %s: err %d\n", dir, errno);
        return;
    }
    char *names[256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256)
        names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof names[0], cmp);
    printf("list %s:", dir);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
}

static void show_stat(const char *path, int follow) {
    struct stat st;
    errno = 0;
    int rc = follow ? stat(path, &st) : lstat(path, &st);
    if (rc < 0) {
        printf("stat %s: err %d\n", path, errno);
        return;
    }
    printf("stat %s: type %o size %lld nlink %lu\n", path, st.st_mode & S_IFMT,
           (long long)st.st_size, (unsigned long)st.st_nlink);
}

int main(void) {
    char buf[256];
    /* stdio: write, append, read back. */
    FILE *f = fopen("/sandbox/a.txt", "w");
    printf("fopen w: %s\n", f ? "ok" : strerror(errno));
    fputs("hello, ", f);
    fclose(f);
    f = fopen("/sandbox/a.txt", "a");
    fputs("world\n", f);
    fclose(f);
    f = fopen("/sandbox/a.txt", "r");
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    printf("read back: %zu %s", n, buf);
    fclose(f);

    /* fd I/O: pwrite, pread, lseek, ftruncate, zero-length I/O. */
    int fd = open("/sandbox/b.bin", O_CREAT | O_RDWR | O_TRUNC, 0644);
    report("open b.bin", fd < 0 ? -1 : 0);
    STEP("write 0123456789", write(fd, "0123456789", 10));
    STEP("pwrite abc at 2", pwrite(fd, "abc", 3, 2));
    STEP("lseek cur", lseek(fd, 0, SEEK_CUR));
    STEP("lseek set 1", lseek(fd, 1, SEEK_SET));
    STEP("read 4", read(fd, buf, 4));
    buf[4] = 0;
    printf("read 4 got: %s\n", buf);
    STEP("pread 3 at 7", pread(fd, buf, 3, 7));
    buf[3] = 0;
    printf("pread got: %s\n", buf);
    STEP("lseek end -2", lseek(fd, -2, SEEK_END));
    STEP("lseek before start", lseek(fd, -100, SEEK_SET));
    STEP("write 0 bytes", write(fd, buf, 0));
    STEP("read 0 bytes", read(fd, buf, 0));
    STEP("pread past end", pread(fd, buf, 10, 1000));
    STEP("ftruncate 5", ftruncate(fd, 5));
    STEP("ftruncate huge", ftruncate(fd, (off_t)0x7fffffffffffffffLL));
    STEP("pread past 2^63", pread(fd, buf, 1, (off_t)-1));
    STEP("fsync", fsync(fd));
    STEP("fdatasync", fdatasync(fd));
    struct timespec times[2] = {{1000000000, 500}, {1000000000, 500}};
    STEP("futimens", futimens(fd, times));
    struct stat tst;
    fstat(fd, &tst);
    printf("mtime after futimens: %lld %ld\n", (long long)tst.st_mtim.tv_sec, tst.st_mtim.tv_nsec);
    STEP("close", close(fd));
    STEP("close again", close(fd));
    STEP("read bad fd", read(77, buf, 1));
    STEP("write bad fd", write(77, buf, 1));
    show_stat("/sandbox/b.bin", 1);

    /* O_APPEND and O_EXCL. */
    fd = open("/sandbox/b.bin", O_WRONLY | O_APPEND);
    STEP("append write", write(fd, "XY", 2));
    STEP("append lseek cur", lseek(fd, 0, SEEK_CUR));
    close(fd);
    STEP("open excl existing", open("/sandbox/b.bin", O_CREAT | O_EXCL | O_WRONLY, 0644));
    STEP("open missing", open("/sandbox/missing", O_RDONLY));
    STEP("open dir for write", open("/sandbox", O_WRONLY));
    STEP("open file as dir", open("/sandbox/b.bin", O_RDONLY | O_DIRECTORY));

    /* Directories. */
    STEP("mkdir d", mkdir("/sandbox/d", 0755));
    STEP("mkdir d again", mkdir("/sandbox/d", 0755));
    STEP("mkdir d/e/", mkdir("/sandbox/d/e/", 0755));
    STEP("mkdir dot", mkdir("/sandbox/d/.", 0755));
    f = fopen("/sandbox/d/inner.txt", "w");
    fputs("inner\n", f);
    fclose(f);
    list("/sandbox/d");
    STEP("rmdir non-empty", rmdir("/sandbox/d"));
    STEP("rmdir file", rmdir("/sandbox/a.txt"));
    STEP("rmdir d/e/", rmdir("/sandbox/d/e/"));
    STEP("unlink dir", unlink("/sandbox/d"));
    STEP("unlink file/", unlink("/sandbox/a.txt/"));

    /* Links, symlinks, renames. */
    STEP("link", link("/sandbox/a.txt", "/sandbox/a2.txt"));
    show_stat("/sandbox/a.txt", 1);
    STEP("symlink", symlink("a.txt", "/sandbox/s"));
    n = 0;
    errno = 0;
    ssize_t len = readlink("/sandbox/s", buf, sizeof buf);
    if (len >= 0) {
        buf[len] = 0;
        printf("readlink: ok %s\n", buf);
    } else {
        printf("readlink: err %d\n", errno);
    }
    STEP("readlink short", readlink("/sandbox/s", buf, 2));
    STEP("readlink file", readlink("/sandbox/a.txt", buf, sizeof buf));
    show_stat("/sandbox/s", 0);
    show_stat("/sandbox/s", 1);
    STEP("rename", rename("/sandbox/a2.txt", "/sandbox/d/moved.txt"));
    STEP("rename onto dir", rename("/sandbox/a.txt", "/sandbox/d"));
    STEP("rename dir into itself", rename("/sandbox/d", "/sandbox/d/e"));
    STEP("rename missing", rename("/sandbox/nope", "/sandbox/nope2"));
    printf("after renames, ");
    list("/sandbox/d");

    /* Escapes: every way out fails, nothing is created outside. */
    STEP("open ../x", open("/sandbox/../x", O_CREAT | O_WRONLY, 0644));
    STEP("open out/x", open("/sandbox/out/x", O_CREAT | O_WRONLY, 0644));
    STEP("open up/x", open("/sandbox/up/x", O_CREAT | O_WRONLY, 0644));
    STEP("mkdir out/d", mkdir("/sandbox/out/d", 0755));
    STEP("symlink to /etc then open", symlink("/etc/passwd", "/sandbox/abs"));
    STEP("open abs", open("/sandbox/abs", O_RDONLY));
    STEP("stat out/.", stat("/sandbox/out/.", &(struct stat){0}));
    STEP("rename out", rename("/sandbox/b.bin", "/sandbox/up/b.bin"));
    STEP("link out", link("/sandbox/b.bin", "/sandbox/out/b.bin"));

    /* The read-only preopen. */
    f = fopen("/ro/f", "r");
    n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    printf("ro read: %s", buf);
    fclose(f);
    STEP("ro open for write", open("/ro/f", O_WRONLY));
    STEP("ro create", open("/ro/new", O_CREAT | O_WRONLY, 0644));
    STEP("ro mkdir", mkdir("/ro/d", 0755));
    STEP("ro unlink", unlink("/ro/f"));
    STEP("ro rename", rename("/ro/f", "/ro/g"));
    STEP("cross-preopen rename", rename("/sandbox/b.bin", "/ro/b.bin"));
    list("/ro");

    STEP("unlink s", unlink("/sandbox/s"));
    STEP("unlink abs", unlink("/sandbox/abs"));
    list("/sandbox");
    return 0;
}
