/* The floor under remote_pingpong's round trip: the same measurement made with
 * nothing but two OS processes and one TCP connection on 127.0.0.1, no
 * runtime, no scheduler, no encoding. bench/run compiles it with the
 * system's cc and runs it beside the Snow and Erlang nodes.
 *
 *   tcp_pingpong ROUND_TRIPS [spin]
 *
 * The parent writes a 16-byte message, the child echoes it, ROUND_TRIPS
 * times after 1,000 for warm-up (TCP_NODELAY on both ends).
 *
 * Both ends wait for the next message in read(2), asleep in the kernel, as
 * two ordinary programs do. With `spin` they never sleep: each polls its
 * socket without blocking, yielding the CPU between looks, as Snow's idle
 * schedulers do for 50 us before they park (and the BEAM's before they
 * sleep). On a virtual machine a sleeping CPU can take tens of
 * microseconds to wake, so the two floors differ by the price of a
 * wake-up: the first is what two plain programs get, the second what is
 * left with no wake-up at all.
 *
 * Prints us_per_rtt, as the Snow and Erlang programs do (and msgs=0
 * last_acked=0: it sends no one-way stream, whose floor of raw bytes would
 * say nothing about messages). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <errno.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MSG 16
#define WARMUP 1000

static void die(const char *what) {
    perror(what);
    exit(1);
}

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) die("write");
        p += w;
        n -= (size_t)w;
    }
}

static int spin;

static void read_all(int fd, char *p, size_t n) {
    while (n > 0) {
        ssize_t r = recv(fd, p, n, spin ? MSG_DONTWAIT : 0);
        if (r < 0 && spin && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            sched_yield();
            continue;
        }
        if (r <= 0) die("read");
        p += r;
        n -= (size_t)r;
    }
}

static void nodelay(int fd) {
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) die("setsockopt");
}

/* The child: echo the round trips. */
static void serve(int fd, long trips) {
    char m[MSG];
    for (long i = 0; i < WARMUP + trips; i++) {
        read_all(fd, m, MSG);
        write_all(fd, m, MSG);
    }
}

int main(int argc, char **argv) {
    long trips = argc > 1 ? atol(argv[1]) : 100000;
    spin = argc > 2 && argv[2][0] == 's';
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (lfd < 0) die("socket");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 1) < 0) die("listen");
    if (getsockname(lfd, (struct sockaddr *)&a, &alen) < 0) die("getsockname");

    pid_t child = fork();
    if (child < 0) die("fork");
    if (child == 0) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) die("accept");
        nodelay(fd);
        serve(fd, trips);
        _exit(0);
    }
    close(lfd);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
    nodelay(fd);

    char m[MSG] = {0};
    for (long i = 0; i < WARMUP; i++) {
        write_all(fd, m, MSG);
        read_all(fd, m, MSG);
    }
    double t0 = now_us();
    for (long i = 0; i < trips; i++) {
        write_all(fd, m, MSG);
        read_all(fd, m, MSG);
    }
    double t1 = now_us();

    int status = 0;
    waitpid(child, &status, 0);

    printf("rtts=%ld us_per_rtt=%.2f msgs=0 last_acked=0\n", trips, (t1 - t0) / trips);
    return status == 0 ? 0 : 1;
}
