/*
 * udp-flows: the kernel's side of the shard-scaling benchmark.
 *
 * Opens FLOWS connected UDP sockets to ADDRESS:PORT (each its own source port, so each is its own flow
 * for the receiver's steering), keeps WINDOW datagrams of PAYLOAD bytes in flight on each, and sends
 * one more for every echo that comes back, from one epoll thread. A flow that hears nothing for 20 ms
 * is topped up to its window again (datagrams may be lost). After WARMUP seconds it counts echoes for
 * SECONDS and prints:
 *
 *   echoes=N seconds=S rate=R
 *
 * usage: udp-flows ADDRESS PORT FLOWS WINDOW PAYLOAD WARMUP SECONDS
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FLOWS 1024
#define STALL_NS 20000000LL

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc != 8) {
        fprintf(stderr, "usage: udp-flows ADDRESS PORT FLOWS WINDOW PAYLOAD WARMUP SECONDS\n");
        return 2;
    }
    int flows = atoi(argv[3]), window = atoi(argv[4]), payload = atoi(argv[5]);
    double warmup = atof(argv[6]), seconds = atof(argv[7]);
    if (flows < 1 || flows > MAX_FLOWS || window < 1 || payload < 1 || payload > 1472 || seconds <= 0 || warmup < 0) {
        fprintf(stderr, "udp-flows: FLOWS 1-%d, WINDOW >= 1, PAYLOAD 1-1472, SECONDS > 0, WARMUP >= 0\n", MAX_FLOWS);
        return 2;
    }
    struct sockaddr_in to = {0};
    to.sin_family = AF_INET;
    to.sin_port = htons((unsigned short)atoi(argv[2]));
    if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) {
        fprintf(stderr, "udp-flows: '%s' is not an IPv4 address\n", argv[1]);
        return 2;
    }
    static int fds[MAX_FLOWS];
    static long long heard[MAX_FLOWS];
    char buffer[2048];
    memset(buffer, 'x', sizeof buffer);
    int ep = epoll_create1(0);
    if (ep < 0) { perror("epoll_create1"); return 1; }
    for (int i = 0; i < flows; i++) {
        fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&to, sizeof to) != 0) { perror("socket/connect"); return 1; }
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (unsigned)i };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) != 0) { perror("epoll_ctl"); return 1; }
    }
    long long start = now_ns();
    long long begin = start + (long long)(warmup * 1e9);
    long long end = begin + (long long)(seconds * 1e9);
    for (int i = 0; i < flows; i++) {
        heard[i] = start;
        for (int w = 0; w < window; w++) send(fds[i], buffer, (size_t)payload, 0);
    }
    long long echoes = 0, errors = 0, last_check = start;
    struct epoll_event events[64];
    for (;;) {
        int n = epoll_wait(ep, events, 64, 5);
        long long t = now_ns();
        if (t >= end) break;
        for (int e = 0; e < n; e++) {
            int i = (int)events[e].data.u32;
            for (;;) {
                ssize_t got = recv(fds[i], buffer, sizeof buffer, MSG_DONTWAIT);
                if (got < 0) break;
                heard[i] = t;
                if (t >= begin) echoes++;
                if (send(fds[i], buffer, (size_t)payload, 0) < 0) errors++;
            }
        }
        if (t - last_check >= STALL_NS) {
            last_check = t;
            for (int i = 0; i < flows; i++) {
                if (t - heard[i] < STALL_NS) continue;
                heard[i] = t;
                for (int w = 0; w < window; w++) send(fds[i], buffer, (size_t)payload, 0);
            }
        }
    }
    printf("echoes=%lld seconds=%.3f rate=%.0f errors=%lld\n", echoes, seconds, echoes / seconds, errors);
    return 0;
}
