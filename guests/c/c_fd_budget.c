/* Opens one file again and again without closing it, then closes them all:
 * how many opens succeeded and the errno of the first that failed. Run by
 * tests/wasip1.rs with `--max-open`: the guest's descriptors are bounded,
 * and so are the host FDs behind them. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
    static int fds[4096];
    int opened = 0, first_errno = 0;
    for (int i = 0; i < 4096; i++) {
        int fd = open("/sandbox/f", O_RDONLY);
        if (fd < 0) {
            first_errno = errno;
            break;
        }
        fds[opened++] = fd;
    }
    printf("opened %d, then errno %d\n", opened, first_errno);
    for (int i = 0; i < opened; i++)
        close(fds[i]);
    int fd = open("/sandbox/f", O_RDONLY);
    printf("after closing: %s\n", fd >= 0 ? "opens again" : "still fails");
    return 0;
}
