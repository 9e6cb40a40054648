/* Every preview 1 call on the fd of a directory removed while it was open
 * (`path_remove_directory` through the preopen; then again with a new
 * directory made under the old name): the fd's own calls, and each
 * path-taking call with `.`, `..`, a name, `name/` and `../name`, as both
 * paths of `path_link` and `path_rename`, each printed with its errno.
 * Linux answers each from the removed directory (`.` is there, no name is;
 * `path_link` of `.` is `EPERM`, a directory). Run with /sandbox (fd 3,
 * holding `gone`, `gone-twice` and a file `f`). Built by
 * scripts/build-wasip1-guests.sh; run by tests/wasip1.rs. */
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

#define RIGHTS_ALL ((__wasi_rights_t)0x1fffffff)
/* Without `fd_write`: a directory opened for writing is `EISDIR`. */
#define RIGHTS_DIR (RIGHTS_ALL & ~__WASI_RIGHTS_FD_WRITE)
#define SANDBOX 3

static void show(const char *call, const char *path, __wasi_errno_t e) {
    printf("%s %s: %u\n", call, path, (unsigned)e);
}

/* The fd's own calls. */
static void own(__wasi_fd_t gone) {
    __wasi_filestat_t st;
    __wasi_fdstat_t fdst;
    __wasi_errno_t e = __wasi_fd_filestat_get(gone, &st);
    printf("fd_filestat_get: %u type %u nlink %llu\n", (unsigned)e, (unsigned)st.filetype,
           (unsigned long long)st.nlink);
    e = __wasi_fd_fdstat_get(gone, &fdst);
    printf("fd_fdstat_get: %u type %u\n", (unsigned)e, (unsigned)fdst.fs_filetype);
    show("fd_sync", "", __wasi_fd_sync(gone));
    show("fd_datasync", "", __wasi_fd_datasync(gone));
    show("fd_filestat_set_times", "", __wasi_fd_filestat_set_times(gone, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
    show("fd_filestat_set_size", "", __wasi_fd_filestat_set_size(gone, 0));
    show("fd_advise", "", __wasi_fd_advise(gone, 0, 0, __WASI_ADVICE_NORMAL));
    show("fd_allocate", "", __wasi_fd_allocate(gone, 0, 1));
    uint8_t buf[256];
    __wasi_size_t used = 0;
    e = __wasi_fd_readdir(gone, buf, sizeof buf, 0, &used);
    printf("fd_readdir: %u used %u\n", (unsigned)e, (unsigned)used);
    __wasi_iovec_t iov = {buf, sizeof buf};
    __wasi_size_t n = 0;
    show("fd_read", "", __wasi_fd_read(gone, &iov, 1, &n));
    __wasi_ciovec_t ciov = {buf, 1};
    show("fd_write", "", __wasi_fd_write(gone, &ciov, 1, &n));
    __wasi_filesize_t at = 0;
    show("fd_seek", "", __wasi_fd_seek(gone, 0, __WASI_WHENCE_CUR, &at));
}

/* Each path-taking call of `gone`, with the preopen as the other side of
 * the two-path calls. */
static void paths(__wasi_fd_t gone) {
    static const char *const PATHS[] = {".", "..", "./", "x", "x/", "../f", "../gone"};
    for (size_t i = 0; i < sizeof PATHS / sizeof *PATHS; i++) {
        const char *p = PATHS[i];
        __wasi_filestat_t st;
        __wasi_fd_t fd = 0;
        show("path_filestat_get", p, __wasi_path_filestat_get(gone, 0, p, &st));
        __wasi_errno_t e = __wasi_path_open(gone, 0, p, 0, RIGHTS_DIR, RIGHTS_DIR, 0, &fd);
        show("path_open", p, e);
        if (e == 0) show("fd_close", p, __wasi_fd_close(fd));
        e = __wasi_path_open(gone, 0, p, __WASI_OFLAGS_DIRECTORY, RIGHTS_DIR, RIGHTS_DIR, 0, &fd);
        show("path_open directory", p, e);
        if (e == 0) show("fd_close", p, __wasi_fd_close(fd));
        e = __wasi_path_open(gone, 0, p, __WASI_OFLAGS_CREAT, RIGHTS_ALL, RIGHTS_ALL, 0, &fd);
        show("path_open creat", p, e);
        if (e == 0) show("fd_close", p, __wasi_fd_close(fd));
        char target[64];
        __wasi_size_t len = 0;
        show("path_readlink", p, __wasi_path_readlink(gone, p, (uint8_t *)target, sizeof target, &len));
        show("path_filestat_set_times", p,
             __wasi_path_filestat_set_times(gone, 0, p, 0, 0, __WASI_FSTFLAGS_ATIM_NOW));
        show("path_create_directory", p, __wasi_path_create_directory(gone, p));
        show("path_remove_directory", p, __wasi_path_remove_directory(gone, p));
        show("path_unlink_file", p, __wasi_path_unlink_file(gone, p));
        show("path_symlink", p, __wasi_path_symlink("t", gone, p));
        show("path_link from", p, __wasi_path_link(gone, 0, p, SANDBOX, "new"));
        show("path_link into", p, __wasi_path_link(SANDBOX, 0, "f", gone, p));
        show("path_rename from", p, __wasi_path_rename(gone, p, SANDBOX, "moved"));
        show("path_rename into", p, __wasi_path_rename(SANDBOX, "f", gone, p));
        show("path_rename within", p, __wasi_path_rename(gone, p, gone, "y"));
    }
}

int main(void) {
    static const char *const NAMES[] = {"gone", "gone-twice"};
    for (int i = 0; i < 2; i++) {
        __wasi_fd_t gone = 0;
        __wasi_errno_t e = __wasi_path_open(SANDBOX, 0, NAMES[i], __WASI_OFLAGS_DIRECTORY,
                                            RIGHTS_DIR, RIGHTS_ALL, 0, &gone);
        show("open", NAMES[i], e);
        if (e) return 1;
        show("rmdir", NAMES[i], __wasi_path_remove_directory(SANDBOX, NAMES[i]));
        if (i == 1) show("mkdir again", NAMES[i], __wasi_path_create_directory(SANDBOX, NAMES[i]));
        own(gone);
        paths(gone);
        show("fd_close", NAMES[i], __wasi_fd_close(gone));
    }
    return 0;
}
