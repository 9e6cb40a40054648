/* Many fds mid-pass: `wide` gets 2000 files with 200-byte names; 1000 fds
 * are opened on it and each is given one fd_readdir call with a 64-byte
 * buffer (a pass begun on each, none finished). A pass must cost its fd
 * nothing that grows with the directory: tests/wasip1.rs checks dfs-run's
 * peak memory. Then one fd lists the whole directory (each call at a
 * later cookie) and prints the count. Run with /sandbox as fd 3. Built by
 * scripts/build-wasip1-guests.sh; run by tests/wasip1.rs. */
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

#define SANDBOX 3
#define FILES 2000
#define FDS 1000

int main(void) {
    if (__wasi_path_create_directory(SANDBOX, "wide")) {
        printf("mkdir wide failed\n");
        return 1;
    }
    char name[256];
    memset(name, 'n', sizeof name);
    memcpy(name, "wide/", 5);
    for (int i = 0; i < FILES; i++) {
        snprintf(name + 200, 16, "%05d", i);
        __wasi_fd_t f;
        if (__wasi_path_open(SANDBOX, 0, name, __WASI_OFLAGS_CREAT, 0x1fffffffull, 0x1fffffffull, 0, &f) ||
            __wasi_fd_close(f)) {
            printf("create %d failed\n", i);
            return 1;
        }
    }
    static __wasi_fd_t fds[FDS];
    uint8_t buf[64];
    for (int i = 0; i < FDS; i++) {
        __wasi_errno_t e =
            __wasi_path_open(SANDBOX, 0, "wide", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &fds[i]);
        __wasi_size_t used = 0;
        if (e || __wasi_fd_readdir(fds[i], buf, sizeof buf, 0, &used) || used != sizeof buf) {
            printf("fd %d: open %u, used %lu\n", i, e, (unsigned long)used);
            return 1;
        }
    }
    static uint8_t big[4096];
    __wasi_dircookie_t cookie = 0;
    int entries = 0;
    for (;;) {
        __wasi_size_t used = 0;
        if (__wasi_fd_readdir(fds[0], big, sizeof big, cookie, &used)) {
            printf("fd_readdir failed\n");
            return 1;
        }
        size_t off = 0;
        while (off + sizeof(__wasi_dirent_t) <= used) {
            __wasi_dirent_t d;
            memcpy(&d, big + off, sizeof d);
            if (off + sizeof d + d.d_namlen > used)
                break;
            off += sizeof d + d.d_namlen;
            cookie = d.d_next;
            entries++;
        }
        if (used < sizeof big)
            break;
    }
    printf("%d fds mid-pass; listed %d entries\n", FDS, entries);
    return 0;
}
