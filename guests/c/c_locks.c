// Advisory file locks for a wasm32-wasip1 C program on directfs, which
// WASI lacks: the three functions of the `directfs_locks` import module
// (src/wasi/p1/locks.rs), on an fd from open(). The test holds an
// exclusive lock on bytes 0..10 of /sandbox/f from the host (an fcntl
// open-file-description lock) while this runs, and releases it 300 ms
// after this prints "waiting". Each line: a step and its errno (0: ok).
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#define IMPORT(name) __attribute__((import_module("directfs_locks"), import_name(name)))

IMPORT("fd_lock")
uint32_t dfs_fd_lock(int fd, uint64_t start, uint64_t len, uint32_t kind, uint32_t wait);
IMPORT("fd_unlock")
uint32_t dfs_fd_unlock(int fd, uint64_t start, uint64_t len);
IMPORT("fd_test_lock")
uint32_t dfs_fd_test_lock(int fd, uint64_t start, uint64_t len, uint32_t kind, void *conflict);

enum { SHARED = 0, EXCLUSIVE = 1 };

// What fd_test_lock writes: the lock in the way (kind 2: none).
struct conflict {
    uint32_t kind;
    uint64_t start;
    uint64_t len;
};

static void test(const char *what, int fd, uint64_t start, uint64_t len, uint32_t kind) {
    struct conflict c = {99, 99, 99};
    uint32_t err = dfs_fd_test_lock(fd, start, len, kind, &c);
    printf("%s: %u conflict kind %u start %llu len %llu\n", what, err, c.kind,
           (unsigned long long)c.start, (unsigned long long)c.len);
}

int main(void) {
    int fd = open("/sandbox/f", O_RDWR);
    if (fd < 0) {
        perror("open /sandbox/f");
        return 1;
    }
    printf("exclusive 0+10, no wait: %u\n", dfs_fd_lock(fd, 0, 10, EXCLUSIVE, 0));
    test("test exclusive 5+1", fd, 5, 1, EXCLUSIVE);
    printf("shared 20+10: %u\n", dfs_fd_lock(fd, 20, 10, SHARED, 0));
    test("test exclusive 20+10 (own lock not in the way)", fd, 20, 10, EXCLUSIVE);
    printf("exclusive 20+10 (upgrade own): %u\n", dfs_fd_lock(fd, 20, 10, EXCLUSIVE, 0));
    // Bad input: an unknown kind, a range past 2^63 - 1, a directory's fd,
    // no fd at all, stdout.
    printf("kind 7: %u\n", dfs_fd_lock(fd, 0, 1, 7, 0));
    printf("start 2^63: %u\n", dfs_fd_lock(fd, (uint64_t)1 << 63, 1, SHARED, 0));
    printf("directory fd 3: %u\n", dfs_fd_lock(3, 0, 1, SHARED, 0));
    printf("fd 99: %u\n", dfs_fd_lock(99, 0, 1, SHARED, 0));
    printf("stdout: %u\n", dfs_fd_lock(1, 0, 1, SHARED, 0));
    printf("test into bad memory: %u\n",
           dfs_fd_test_lock(fd, 0, 1, SHARED, (void *)(uintptr_t)0xfffffff0u));
    printf("waiting\n");
    fflush(stdout);
    printf("exclusive 0+10, wait: %u\n", dfs_fd_lock(fd, 0, 10, EXCLUSIVE, 1));
    test("test exclusive 0+0 (all own)", fd, 0, 0, EXCLUSIVE);
    printf("unlock 0+0: %u\n", dfs_fd_unlock(fd, 0, 0));
    printf("unlock again: %u\n", dfs_fd_unlock(fd, 0, 0));
    close(fd);
    return 0;
}
