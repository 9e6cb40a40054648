/* A FIFO through preview 1: opened for reading, `poll` (poll_oneoff with an
 * fd subscription) waits until the host writes, then `read` returns the
 * bytes; a second, non-blocking read of the empty FIFO is EAGAIN; once the
 * writer is gone, a read is 0 (end of file). Run by tests/wasip1.rs, whose
 * host thread writes "late data\n" after a pause and then closes. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
    int fd = open("/sandbox/fifo", O_RDONLY | O_NONBLOCK);
    if (fd < 0) {
        printf("open: err %d\n", errno);
        return 1;
    }
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n = poll(&p, 1, 10000);
    printf("poll: %d revents %s\n", n, (p.revents & POLLIN) ? "POLLIN" : "none");
    char buf[64];
    ssize_t got = read(fd, buf, sizeof buf - 1);
    if (got < 0) {
        printf("read: err %d\n", errno);
        return 1;
    }
    buf[got] = 0;
    printf("read: %s", buf);
    errno = 0;
    got = read(fd, buf, sizeof buf);
    printf("read again: %zd errno %s\n", got, errno == EAGAIN ? "EAGAIN" : strerror(errno));
    /* Clear nonblock: the next read waits for the writer to close. */
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    got = read(fd, buf, sizeof buf);
    printf("read after close: %zd\n", got);
    close(fd);
    return 0;
}
