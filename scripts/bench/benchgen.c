// Helper for bench.py (its comm is "benchgen"):
//   benchgen mark FILE          write CLOCK_MONOTONIC in ns to FILE (the "attached" moment: every
//                               tool runs it as its -c command, after all probes are attached)
//   benchgen flood SECONDS FILE call openat(FLOOD_PATH) as fast as possible for SECONDS, then
//                               write the number of calls to FILE
// FLOOD_PATH does not exist, so each call is one cheap failing openat (one sys_enter_openat).
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FLOOD_PATH "/nonexistent/jitprobe-bench-flood"

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int write_number(const char *path, long long v) {
    FILE *f = fopen(path, "w");
    if (!f)
        return 1;
    fprintf(f, "%lld\n", v);
    return fclose(f) != 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "mark") == 0)
        return write_number(argv[2], now_ns());
    if (argc == 4 && strcmp(argv[1], "flood") == 0) {
        long long end = now_ns() + (long long)(atof(argv[2]) * 1e9), n = 0;
        do {
            for (int i = 0; i < 256; i++, n++) {
                int fd = openat(AT_FDCWD, FLOOD_PATH, O_RDONLY);
                if (fd >= 0)
                    close(fd);
            }
        } while (now_ns() < end);
        return write_number(argv[3], n);
    }
    fprintf(stderr, "usage: benchgen mark FILE | benchgen flood SECONDS FILE\n");
    return 2;
}
