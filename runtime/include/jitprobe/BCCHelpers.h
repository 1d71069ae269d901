// The C helpers of BCC's libbpf.h that BCC C++ programs call unqualified (next to ebpf::BPF):
// map creation and element access by fd, fentry/fexit attach, BPF iterators. Declared at global
// scope like BCC's, but with C++ linkage, so they never collide with BCC's own C symbols.
// Return values are BCC's: an fd or 0 on success, a negative value on failure (errno set).
#pragma once
#include <linux/bpf.h>

#include <cstddef>
#include <cstdint>
#include <string>

// Pages per CPU of a perf buffer when open_perf_buffer is not told (BCC's constant).
static const int DEFAULT_PERF_BUFFER_PAGE_CNT = 8;

// A map not tied to any BPF object (pass it on with a TableStorage, see TableStorage.h).
int bcc_create_map(enum bpf_map_type map_type, const char *name, int key_size, int value_size,
                   int max_entries, int map_flags);
int bpf_lookup_elem(int fd, void *key, void *value);
int bpf_update_elem(int fd, void *key, void *value, unsigned long long flags);
int bpf_delete_elem(int fd, void *key);
int bpf_get_first_key(int fd, void *key, size_t key_size);
int bpf_get_next_key(int fd, void *key, void *next_key);
// Pins a map or program fd at PATHNAME in a bpffs (BCC's bpf_obj_pin), opens a pinned one.
// A std::string overload, so it never clashes with libbpf's C functions of these names when
// both headers are included (a string literal then picks libbpf's, which does the same).
int bpf_obj_pin(int fd, const std::string &pathname);
int bpf_obj_get(const std::string &pathname);
// Attaches a loaded fentry/fexit/fmod_ret program (BPF::load_func); returns the link fd, which
// detaches when closed.
int bpf_attach_kfunc(int prog_fd);
// An iterator link for a loaded BPF_ITER program (LINK_INFO: e.g. the map of a map iterator,
// or null), and a readable iterator fd from that link.
int bcc_iter_attach(int prog_fd, union bpf_iter_link_info *link_info, uint32_t link_info_len);
int bcc_iter_create(int link_fd);
