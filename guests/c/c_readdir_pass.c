/* One fd_readdir pass over a directory that changes under it, as `rm -rf`
 * changes it: `big` gets 300 files; each call's buffer (256 bytes) holds a
 * few entries, and before the next call the program removes each entry it
 * was given and makes a new file. Every one of the 300 must be given
 * exactly once (a listing made again per call and skipped to the cookie
 * misses the entries that the removals move down). Prints how many were
 * given once, more than once, never. Run with /sandbox as fd 3. Built by
 * scripts/build-wasip1-guests.sh; run by tests/wasip1.rs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#define SANDBOX 3
#define FILES 300

int main(void) {
    __wasi_errno_t e = __wasi_path_create_directory(SANDBOX, "big");
    if (e) {
        printf("mkdir big: %u\n", e);
        return 1;
    }
    char name[64];
    for (int i = 0; i < FILES; i++) {
        snprintf(name, sizeof name, "big/f%03d", i);
        __wasi_fd_t f;
        e = __wasi_path_open(SANDBOX, 0, name, __WASI_OFLAGS_CREAT, 0x1fffffffull, 0x1fffffffull, 0, &f);
        if (e || __wasi_fd_close(f)) {
            printf("create %s: %u\n", name, e);
            return 1;
        }
    }
    __wasi_fd_t dir;
    e = __wasi_path_open(SANDBOX, 0, "big", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &dir);
    if (e) {
        printf("open big: %u\n", e);
        return 1;
    }
    int given[FILES] = {0};
    int made = 0;
    uint8_t buf[256];
    __wasi_dircookie_t cookie = 0;
    for (;;) {
        __wasi_size_t used = 0;
        e = __wasi_fd_readdir(dir, buf, sizeof buf, cookie, &used);
        if (e) {
            printf("fd_readdir: %u\n", e);
            return 1;
        }
        size_t off = 0;
        while (off + sizeof(__wasi_dirent_t) <= used) {
            __wasi_dirent_t d;
            memcpy(&d, buf + off, sizeof d);
            if (off + sizeof d + d.d_namlen > used)
                break;
            char entry[64] = {0};
            memcpy(entry, buf + off + sizeof d, d.d_namlen < 63 ? d.d_namlen : 63);
            off += sizeof d + d.d_namlen;
            cookie = d.d_next;
            if (entry[0] != 'f')
                continue;
            given[atoi(entry + 1)]++;
            if (__wasi_path_unlink_file(dir, entry)) {
                printf("unlink %s failed\n", entry);
                return 1;
            }
            snprintf(name, sizeof name, "g%03d", made++);
            __wasi_fd_t f;
            if (__wasi_path_open(dir, 0, name, __WASI_OFLAGS_CREAT, 0x1fffffffull, 0x1fffffffull, 0, &f) ||
                __wasi_fd_close(f)) {
                printf("create %s failed\n", name);
                return 1;
            }
        }
        if (used < sizeof buf)
            break;
    }
    int once = 0, more = 0, never = 0;
    for (int i = 0; i < FILES; i++) {
        once += given[i] == 1;
        more += given[i] > 1;
        never += given[i] == 0;
    }
    printf("given once %d, more than once %d, never %d\n", once, more, never);
    return 0;
}
