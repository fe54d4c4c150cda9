/*
 * udp-blast: the kernel's own UDP sender for the device-rate benchmark.
 *
 * Sends UDP datagrams of PAYLOAD bytes to ADDRESS:PORT as fast as the kernel takes them, for
 * SECONDS, in sendmmsg(2) batches of BATCH, then prints how many it had sent at moments ~5 ms
 * apart (CLOCK_MONOTONIC in nanoseconds, the clock .NET's Stopwatch reads on Linux, so a receiver
 * can take the sender's rate over exactly its own measuring window) and a summary:
 *
 *   sample NANOSECONDS PACKETS
 *   ...
 *   packets=N seconds=S rate=R errors=E
 *
 * The socket is connected, so the kernel resolves the route once and each datagram costs only the
 * send path: the fastest a plain kernel UDP sender gets. Python and friends manage about a tenth of
 * this, which would measure the sender instead of the link.
 *
 * usage: udp-blast ADDRESS PORT PAYLOAD SECONDS [BATCH]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH 1024
#define MAX_PAYLOAD 65507
#define SAMPLE_NS 5000000LL

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long parse_long(const char *text, const char *what, long low, long high)
{
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || value < low || value > high) {
        fprintf(stderr, "udp-blast: %s must be a whole number from %ld to %ld, not '%s'\n", what, low, high, text);
        exit(2);
    }
    return value;
}

int main(int argc, char **argv)
{
    if (argc < 5 || argc > 6) {
        fprintf(stderr, "usage: udp-blast ADDRESS PORT PAYLOAD SECONDS [BATCH]\n");
        return 2;
    }
    struct sockaddr_in to;
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) {
        fprintf(stderr, "udp-blast: '%s' is not an IPv4 address\n", argv[1]);
        return 2;
    }
    to.sin_port = htons((unsigned short)parse_long(argv[2], "PORT", 1, 65535));
    size_t payload = (size_t)parse_long(argv[3], "PAYLOAD", 0, MAX_PAYLOAD);
    char *end;
    double seconds = strtod(argv[4], &end);
    if (*end != '\0' || !(seconds > 0) || seconds > 3600) {
        fprintf(stderr, "udp-blast: SECONDS must be a number above 0 and at most 3600, not '%s'\n", argv[4]);
        return 2;
    }
    unsigned int batch = argc == 6 ? (unsigned int)parse_long(argv[5], "BATCH", 1, MAX_BATCH) : 64;

    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
        perror("udp-blast: socket");
        return 1;
    }
    if (connect(fd, (struct sockaddr *)&to, sizeof to) != 0) {
        perror("udp-blast: connect");
        return 1;
    }

    /* Every message of a batch points at the same payload: only the count matters here. */
    static char data[MAX_PAYLOAD];
    memset(data, 'w', payload);
    static struct iovec iov[MAX_BATCH];
    static struct mmsghdr messages[MAX_BATCH];
    for (unsigned int i = 0; i < batch; i++) {
        iov[i].iov_base = data;
        iov[i].iov_len = payload;
        messages[i].msg_hdr.msg_iov = &iov[i];
        messages[i].msg_hdr.msg_iovlen = 1;
    }

    /* Samples are kept in memory and printed at the end: printing while sending would slow it. */
    size_t capacity = (size_t)(seconds * 1e9 / SAMPLE_NS) + 16;
    long long *sample_ns = malloc(capacity * sizeof *sample_ns);
    unsigned long long *sample_packets = malloc(capacity * sizeof *sample_packets);
    if (sample_ns == NULL || sample_packets == NULL) {
        fprintf(stderr, "udp-blast: out of memory for %zu samples\n", capacity);
        return 1;
    }
    size_t samples = 0;

    unsigned long long sent = 0, errors = 0;
    long long start = now_ns();
    long long stop = start + (long long)(seconds * 1e9);
    long long next_sample = start;
    long long t = start;
    while (t < stop) {
        if (t >= next_sample && samples < capacity) {
            sample_ns[samples] = t;
            sample_packets[samples++] = sent;
            next_sample += SAMPLE_NS;
        }
        int n = sendmmsg(fd, messages, batch, 0);
        if (n > 0) {
            sent += (unsigned long long)n;
        } else if (n < 0) {
            /* A full queue or an ICMP error reported on the connected socket: count it, go on. */
            if (errno == EINTR || errno == EAGAIN || errno == ENOBUFS || errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH) {
                errors++;
            } else {
                perror("udp-blast: sendmmsg");
                return 1;
            }
        }
        t = now_ns();
    }
    for (size_t i = 0; i < samples; i++) printf("sample %lld %llu\n", sample_ns[i], sample_packets[i]);
    printf("sample %lld %llu\n", t, sent);
    double elapsed = (double)(t - start) / 1e9;
    printf("packets=%llu seconds=%.6f rate=%.0f errors=%llu\n", sent, elapsed, (double)sent / elapsed, errors);
    close(fd);
    return 0;
}
