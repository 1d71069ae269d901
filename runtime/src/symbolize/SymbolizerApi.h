// The C boundary between libjitprobe and libjitprobe-symbolizer.so (which links LLVM). The
// runtime dlopens the library only when stacks must be printed, so LLVM stays out of
// libjitprobe.so and out of runs that print no stacks.
#pragma once
#include <stddef.h>
#include <stdint.h>

extern "C" {

struct jitprobe_symbolizer_ops {
    unsigned abi_version;
    void *(*create)(void);
    void (*destroy)(void *handle);
    // Each writes "function+0xOFF [module]" into BUF (NUL-terminated, truncated to LEN) and
    // returns the full length, or 0 when nothing is known about ADDR.
    size_t (*symbolize_kernel)(void *handle, uint64_t addr, char *buf, size_t len);
    size_t (*symbolize_user)(void *handle, int pid, uint64_t addr, char *buf, size_t len);
    // Seeds PID's memory map (the text of /proc/PID/maps) for when the process is gone by the
    // time its stacks are printed. A later call replaces the earlier one.
    void (*remember_maps)(void *handle, int pid, const char *maps_text);
};

#define JITPROBE_SYMBOLIZER_ABI 1
#define JITPROBE_SYMBOLIZER_ENTRY "jitprobe_symbolizer_api"

const struct jitprobe_symbolizer_ops *jitprobe_symbolizer_api(void);
}
