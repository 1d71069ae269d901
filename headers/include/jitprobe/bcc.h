/* jitprobe's version of BCC's probe dialect (BCC: src/cc/export/helpers.h), on libbpf.
 *
 * Map declarations expand to a struct whose members are typed function pointers
 * (lookup, update, increment...), so Clang type-checks `counts.update(&k, &v)` against the
 * declared key and value types and reports mistakes at the user's line. The frontend then
 * rewrites each declaration into a libbpf BTF-defined map (SEC(".maps")) and each method call
 * into a helper call (see frontend/src/clang/MapCallRewriter.cpp); the __jp_* macros below are
 * what some rewritten calls expand to. */
#ifndef __JITPROBE_BCC_H
#define __JITPROBE_BCC_H

#ifndef NULL
#define NULL ((void *)0)
#endif
#define __user
#define __kernel
#define __iomem
#define __percpu
#define __rcu
#define __force
#define __bitwise
#define __must_check
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* ---- BCC helper names -------------------------------------------------------------------- */
/* bpf_trace_printk (BCC's form, no size argument) and libbpf's bpf_printk become calls of the
 * undefined __jp_printk, which the frontend's PrintkPass rewrites into a record on a hidden
 * ring buffer (__jp_printk_ring) formatted by the runtime: private to the run, unforgeable by
 * the strings printed. With JITPROBE_TRACE_PIPE_PRINTK defined in the source, PrintkPass calls
 * the kernel's helpers instead (`(bpf_trace_printk)(...)`: parenthesised, the macro stays out). */
extern long __jp_printk(const char *fmt, ...);
#undef bpf_printk
#define bpf_printk(fmt, ...) __jp_printk(fmt, ##__VA_ARGS__)
#define bpf_trace_printk(fmt, ...) __jp_printk(fmt, ##__VA_ARGS__)
struct __jp_printk_head { /* = jitprobe::common::PrintkHead */
    __u32 id;
    __u32 tid;
    __u64 ts_ns;
    __u32 cpu;
    __u32 pad;
    char comm[16];
};
#define __jp_printk_head_task(h, fmt_id)                                                       \
    ({                                                                                         \
        (h)->id = (fmt_id);                                                                    \
        (h)->tid = (__u32)bpf_get_current_pid_tgid();                                          \
        (h)->ts_ns = bpf_ktime_get_ns();                                                       \
        (h)->cpu = bpf_get_smp_processor_id();                                                 \
        (h)->pad = 0;                                                                          \
        bpf_get_current_comm((h)->comm, sizeof((h)->comm));                                    \
    })
/* Packet programs have no current task. */
#define __jp_printk_head_packet(h, fmt_id)                                                     \
    ({                                                                                         \
        (h)->id = (fmt_id);                                                                    \
        (h)->tid = 0;                                                                          \
        (h)->ts_ns = bpf_ktime_get_ns();                                                       \
        (h)->cpu = bpf_get_smp_processor_id();                                                 \
        (h)->pad = 0;                                                                          \
        __builtin_memset((h)->comm, 0, sizeof((h)->comm));                                     \
    })
/* %s: a kernel string, else a user one (as the kernel's %s does), truncated to the field. */
#define __jp_printk_str(dst, src)                                                              \
    ({                                                                                         \
        const void *__jp_s = (const void *)(unsigned long)(src);                               \
        if (bpf_probe_read_kernel_str((dst), sizeof(dst), __jp_s) < 0)                         \
            bpf_probe_read_user_str((dst), sizeof(dst), __jp_s);                               \
    })
/* <net/sock.h> and friends give BCC tools these; BTF has no macros. */
#ifndef ntohs
#define ntohs(x) bpf_ntohs(x)
#define htons(x) bpf_htons(x)
#define ntohl(x) bpf_ntohl(x)
#define htonl(x) bpf_htonl(x)
#endif
#define lock_xadd(ptr, val) ((void)__sync_fetch_and_add(ptr, val))
/* BPF_LICENSE: `#define BPF_LICENSE Dual BSD/GPL` in the probe, as in BCC (default GPL);
 * the frontend reads it from the text (Frontend.cpp licenseOf). */
#define bpf_probe_read_str bpf_probe_read_str
/* perf_read / perf_counter_value / perf_submit index: the current CPU's slot. */
#define CUR_CPU_IDENTIFIER BPF_F_CURRENT_CPU

static __always_inline unsigned int bpf_log2(unsigned int v) {
    unsigned int r, shift;
    r = (v > 0xFFFF) << 4; v >>= r;
    shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
    shift = (v > 0xF) << 2; v >>= shift; r |= shift;
    shift = (v > 0x3) << 1; v >>= shift; r |= shift;
    r |= (v >> 1);
    return r;
}

/* floor(log2(v)) + 1, and 1 for v == 0: BCC's histogram slot. One 64-bit sequence (BCC's
 * two 32-bit ones cost ~20 more instructions). */
static __always_inline unsigned int bpf_log2l(unsigned long v) {
    unsigned int r, shift;
    r = (v > 0xFFFFFFFFUL) << 5; v >>= r;
    shift = (v > 0xFFFF) << 4; v >>= shift; r |= shift;
    shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
    shift = (v > 0xF) << 2; v >>= shift; r |= shift;
    shift = (v > 0x3) << 1; v >>= shift; r |= shift;
    r |= (v >> 1);
    return r + 1;
}

/* ---- map declarations (parsed form) ----------------------------------------------------- */
#define __JP_MAP_ATTR(kind) __attribute__((section("maps/" kind), unused))

/* `...`: a call with too many arguments is MapCallPass's error, which names the map. */
/* Methods name the key/leaf types through typedefs (_key_t, _leaf_t): an anonymous struct
 * spelled as the leaf (`BPF_HASH(m, int, struct { u64 a; })`) is then one type, not one per use.
 * `...`: a call with too many arguments is MapCallPass's error, which names the map. */
#define __JP_KV_METHODS(_key_type, _leaf_type, _key_t, _leaf_t)                                \
    _key_type key;                                                                             \
    _leaf_type leaf;                                                                           \
    _leaf_t *(*lookup)(_key_t *, ...);                                                         \
    _leaf_t *(*lookup_or_init)(_key_t *, _leaf_t *, ...);                                      \
    _leaf_t *(*lookup_or_try_init)(_key_t *, _leaf_t *, ...);                                  \
    int (*update)(_key_t *, _leaf_t *, ...);                                                   \
    int (*insert)(_key_t *, _leaf_t *, ...);                                                   \
    int (*delete)(_key_t *, ...);                                                              \
    void (*increment)(_key_t, ...);                                                            \
    void (*atomic_increment)(_key_t, ...);

#define __JP_DECLARE(_name, _kind, _max_entries, _flags, _members)                              \
    struct __jp_map__##_name {                                                                 \
        _members unsigned long long __max_entries;                                             \
        unsigned long long __flags;                                                            \
    };                                                                                         \
    __JP_MAP_ATTR(_kind) struct __jp_map__##_name _name = {.__max_entries = (_max_entries),    \
                                                           .__flags = (_flags)}

#define BPF_F_TABLE(_table_type, _key_type, _leaf_type, _name, _max_entries, _flags)           \
    typedef _key_type __jp_key_t__##_name;                                                     \
    typedef _leaf_type __jp_leaf_t__##_name;                                                   \
    __JP_DECLARE(_name, _table_type, _max_entries, _flags,                                     \
                 __JP_KV_METHODS(_key_type, _leaf_type, __jp_key_t__##_name,                   \
                                 __jp_leaf_t__##_name)                                         \
                 int (*get_stackid)(void *, unsigned long long);                               \
                 void (*call)(void *, int);                                                    \
                 int (*redirect_map)(int, int);                                                \
                 int (*check_current_task)(int);                                               \
                 int (*sock_map_update)(void *, void *, unsigned long long);                   \
                 int (*sock_hash_update)(void *, void *, unsigned long long);                  \
                 int (*msg_redirect_map)(void *, int, unsigned long long);                     \
                 int (*msg_redirect_hash)(void *, void *, unsigned long long);                 \
                 int (*sk_redirect_map)(void *, int, unsigned long long);                      \
                 int (*sk_redirect_hash)(void *, void *, unsigned long long);                  \
                 _leaf_type *(*sk_storage_get)(void *, void *, int);                           \
                 int (*sk_storage_delete)(void *);)

#define BPF_TABLE(_table_type, _key_type, _leaf_type, _name, _max_entries)                     \
    BPF_F_TABLE(_table_type, _key_type, _leaf_type, _name, _max_entries, 0)
/* Public / shared tables stay in the process's table storage after the load, for other BPF
 * objects' BPF_TABLE("extern") (BCC's exported maps); the sharing travels in the kind string. */
#define BPF_TABLE_PUBLIC(_table_type, ...) BPF_TABLE("public:" _table_type, __VA_ARGS__)
#define BPF_TABLE_SHARED(_table_type, ...) BPF_TABLE("shared:" _table_type, __VA_ARGS__)
/* The pin path travels in the kind string: "pinned:<path>:<kind>". */
#define BPF_TABLE_PINNED(_table_type, _key_type, _leaf_type, _name, _max_entries, _pinned)     \
    BPF_F_TABLE("pinned:" _pinned ":" _table_type, _key_type, _leaf_type, _name, _max_entries, 0)

/* Argument-count dispatch, as BCC does it: BPF_HASH(name[, key[, leaf[, size]]]). */
#define __JP_PICK(_1, _2, _3, _4, NAME, ...) NAME

#define __JP_HASH1(_name) BPF_TABLE("hash", u64, u64, _name, 10240)
#define __JP_HASH2(_name, _key) BPF_TABLE("hash", _key, u64, _name, 10240)
#define __JP_HASH3(_name, _key, _leaf) BPF_TABLE("hash", _key, _leaf, _name, 10240)
#define __JP_HASH4(_name, _key, _leaf, _size) BPF_TABLE("hash", _key, _leaf, _name, _size)
#define BPF_HASH(...) __JP_PICK(__VA_ARGS__, __JP_HASH4, __JP_HASH3, __JP_HASH2, __JP_HASH1)(__VA_ARGS__)

#define __JP_LRU1(_name) BPF_TABLE("lru_hash", u64, u64, _name, 10240)
#define __JP_LRU2(_name, _key) BPF_TABLE("lru_hash", _key, u64, _name, 10240)
#define __JP_LRU3(_name, _key, _leaf) BPF_TABLE("lru_hash", _key, _leaf, _name, 10240)
#define __JP_LRU4(_name, _key, _leaf, _size) BPF_TABLE("lru_hash", _key, _leaf, _name, _size)
#define BPF_LRU_HASH(...) __JP_PICK(__VA_ARGS__, __JP_LRU4, __JP_LRU3, __JP_LRU2, __JP_LRU1)(__VA_ARGS__)

#define __JP_PCPU_HASH1(_name) BPF_TABLE("percpu_hash", u64, u64, _name, 10240)
#define __JP_PCPU_HASH2(_name, _key) BPF_TABLE("percpu_hash", _key, u64, _name, 10240)
#define __JP_PCPU_HASH3(_name, _key, _leaf) BPF_TABLE("percpu_hash", _key, _leaf, _name, 10240)
#define __JP_PCPU_HASH4(_name, _key, _leaf, _size) BPF_TABLE("percpu_hash", _key, _leaf, _name, _size)
#define BPF_PERCPU_HASH(...)                                                                   \
    __JP_PICK(__VA_ARGS__, __JP_PCPU_HASH4, __JP_PCPU_HASH3, __JP_PCPU_HASH2, __JP_PCPU_HASH1)(__VA_ARGS__)

#define __JP_ARRAY1(_name) BPF_TABLE("array", int, u64, _name, 10240)
#define __JP_ARRAY2(_name, _leaf) BPF_TABLE("array", int, _leaf, _name, 10240)
#define __JP_ARRAY3(_name, _leaf, _size) BPF_TABLE("array", int, _leaf, _name, _size)
#define BPF_ARRAY(...) __JP_PICK(__VA_ARGS__, __JP_ARRAY4_UNUSED, __JP_ARRAY3, __JP_ARRAY2, __JP_ARRAY1)(__VA_ARGS__)

#define __JP_PCPU_ARRAY1(_name) BPF_TABLE("percpu_array", int, u64, _name, 10240)
#define __JP_PCPU_ARRAY2(_name, _leaf) BPF_TABLE("percpu_array", int, _leaf, _name, 10240)
#define __JP_PCPU_ARRAY3(_name, _leaf, _size) BPF_TABLE("percpu_array", int, _leaf, _name, _size)
#define BPF_PERCPU_ARRAY(...)                                                                  \
    __JP_PICK(__VA_ARGS__, __JP_UNUSED4, __JP_PCPU_ARRAY3, __JP_PCPU_ARRAY2, __JP_PCPU_ARRAY1)(__VA_ARGS__)

#define __JP_HIST1(_name) BPF_TABLE("histogram", int, u64, _name, 64)
#define __JP_HIST2(_name, _key) BPF_TABLE("histogram", _key, u64, _name, 64)
#define __JP_HIST3(_name, _key, _size) BPF_TABLE("histogram", _key, u64, _name, _size)
#define BPF_HISTOGRAM(...) __JP_PICK(__VA_ARGS__, __JP_UNUSED4, __JP_HIST3, __JP_HIST2, __JP_HIST1)(__VA_ARGS__)

#define BPF_LPM_TRIE1(_name) BPF_F_TABLE("lpm_trie", u64, u64, _name, 10240, BPF_F_NO_PREALLOC)
#define BPF_LPM_TRIE2(_name, _key) BPF_F_TABLE("lpm_trie", _key, u64, _name, 10240, BPF_F_NO_PREALLOC)
#define BPF_LPM_TRIE3(_name, _key, _leaf) BPF_F_TABLE("lpm_trie", _key, _leaf, _name, 10240, BPF_F_NO_PREALLOC)
#define BPF_LPM_TRIE4(_name, _key, _leaf, _size) BPF_F_TABLE("lpm_trie", _key, _leaf, _name, _size, BPF_F_NO_PREALLOC)
#define BPF_LPM_TRIE(...)                                                                      \
    __JP_PICK(__VA_ARGS__, BPF_LPM_TRIE4, BPF_LPM_TRIE3, BPF_LPM_TRIE2, BPF_LPM_TRIE1)(__VA_ARGS__)

#define BPF_STACK_TRACE(_name, _max_entries) BPF_TABLE("stack_trace", int, u64, _name, _max_entries)
#define BPF_STACK_TRACE_BUILDID(_name, _max_entries)                                           \
    BPF_F_TABLE("stack_trace_buildid", int, u64, _name, _max_entries, BPF_F_STACK_BUILD_ID)
#define BPF_PROG_ARRAY(_name, _max_entries) BPF_TABLE("prog", u32, u32, _name, _max_entries)
#define BPF_DEVMAP(_name, _max_entries) BPF_TABLE("devmap", int, int, _name, _max_entries)
#define BPF_CPUMAP(_name, _max_entries) BPF_TABLE("cpumap", u32, u32, _name, _max_entries)
#define BPF_XSKMAP(_name, _max_entries) BPF_TABLE("xskmap", int, int, _name, _max_entries)
#define BPF_SOCKMAP(_name, _max_entries) BPF_TABLE("sockmap", int, int, _name, _max_entries)
#define BPF_SOCKHASH1(_name) BPF_TABLE("sockhash", u32, int, _name, 10240)
#define BPF_SOCKHASH2(_name, _key) BPF_TABLE("sockhash", _key, int, _name, 10240)
#define BPF_SOCKHASH3(_name, _key, _size) BPF_TABLE("sockhash", _key, int, _name, _size)
#define BPF_SOCKHASH(...) __JP_PICK(__VA_ARGS__, __JP_UNUSED4, BPF_SOCKHASH3, BPF_SOCKHASH2, BPF_SOCKHASH1)(__VA_ARGS__)
#define BPF_CGROUP_ARRAY(_name, _max_entries) BPF_TABLE("cgroup_array", int, u32, _name, _max_entries)
#define BPF_ARRAY_OF_MAPS(_name, _inner_map_name, _max_entries)                                \
    BPF_TABLE("array_of_maps$" #_inner_map_name, int, int, _name, _max_entries)
#define BPF_HASH_OF_MAPS2(_name, _inner_map_name) BPF_TABLE("hash_of_maps$" #_inner_map_name, int, int, _name, 10240)
#define BPF_HASH_OF_MAPS3(_name, _key, _inner_map_name)                                         \
    BPF_TABLE("hash_of_maps$" #_inner_map_name, _key, int, _name, 10240)
#define BPF_HASH_OF_MAPS4(_name, _key, _inner_map_name, _max_entries)                           \
    BPF_TABLE("hash_of_maps$" #_inner_map_name, _key, int, _name, _max_entries)
#define BPF_HASH_OF_MAPS(...)                                                                  \
    __JP_PICK(__VA_ARGS__, BPF_HASH_OF_MAPS4, BPF_HASH_OF_MAPS3, BPF_HASH_OF_MAPS2, __JP_UNUSED1)(__VA_ARGS__)

/* Local-storage maps: get/delete on an owner object (socket, inode, task). */
#define __JP_STORAGE(_kind, _name, _leaf_type, _method)                                        \
    __JP_DECLARE(_name, _kind, 0, BPF_F_NO_PREALLOC,                                           \
                 int key; _leaf_type leaf;                                                     \
                 _leaf_type *(*_method##_get)(void *, void *, int);                            \
                 int (*_method##_delete)(void *);)
#define BPF_SK_STORAGE(_name, _leaf_type) __JP_STORAGE("sk_storage", _name, _leaf_type, sk_storage)
#define BPF_INODE_STORAGE(_name, _leaf_type) __JP_STORAGE("inode_storage", _name, _leaf_type, inode_storage)
#define BPF_TASK_STORAGE(_name, _leaf_type) __JP_STORAGE("task_storage", _name, _leaf_type, task_storage)

/* Cgroup local storage: one leaf per (cgroup, attach type) of the attached program, keyed by
 * struct bpf_cgroup_storage_key; a program reaches its own with get_local_storage(flags). */
#define __JP_CGROUP_STORAGE(_kind, _name, _leaf_type)                                          \
    typedef struct bpf_cgroup_storage_key __jp_key_t__##_name;                                 \
    typedef _leaf_type __jp_leaf_t__##_name;                                                   \
    __JP_DECLARE(_name, _kind, 0, 0,                                                           \
                 __JP_KV_METHODS(struct bpf_cgroup_storage_key, _leaf_type,                    \
                                 __jp_key_t__##_name, __jp_leaf_t__##_name)                    \
                 _leaf_type *(*get_local_storage)(unsigned long long);)
#define BPF_CGROUP_STORAGE(_name, _leaf_type) __JP_CGROUP_STORAGE("cgroup_storage", _name, _leaf_type)
#define BPF_PERCPU_CGROUP_STORAGE(_name, _leaf_type)                                           \
    __JP_CGROUP_STORAGE("percpu_cgroup_storage", _name, _leaf_type)

/* Queue and stack: no key. */
#define __JP_QUEUESTACK(_kind, _name, _leaf_type, _max_entries, _flags)                         \
    __JP_DECLARE(_name, _kind, _max_entries, _flags,                                           \
                 _leaf_type leaf;                                                              \
                 int (*push)(_leaf_type *, unsigned long long);                                \
                 int (*pop)(_leaf_type *);                                                     \
                 int (*peek)(_leaf_type *);)
#define BPF_QUEUE(_name, _leaf_type, _max_entries) __JP_QUEUESTACK("queue", _name, _leaf_type, _max_entries, 0)
#define BPF_STACK(_name, _leaf_type, _max_entries) __JP_QUEUESTACK("stack", _name, _leaf_type, _max_entries, 0)

/* Perf and ring buffers. */
#define BPF_PERF_OUTPUT(_name)                                                                 \
    __JP_DECLARE(_name, "perf_output", 0, 0,                                                   \
                 int key; u32 leaf;                                                            \
                 int (*perf_submit)(void *, void *, u32);                                      \
                 int (*perf_submit_skb)(void *, u32, void *, u32);)
#define BPF_PERF_ARRAY(_name, _max_entries)                                                    \
    __JP_DECLARE(_name, "perf_array", _max_entries, 0,                                         \
                 int key; u32 leaf;                                                            \
                 u64 (*perf_read)(int);                                                        \
                 int (*perf_counter_value)(int, void *, u32);)
#define BPF_RINGBUF_OUTPUT(_name, _page_cnt)                                                   \
    __JP_DECLARE(_name, "ringbuf", (_page_cnt) * 4096, 0,                                      \
                 int (*ringbuf_output)(void *, u64, u64);                                      \
                 void *(*ringbuf_reserve)(u64);                                                \
                 void (*ringbuf_submit)(void *, u64);                                          \
                 void (*ringbuf_discard)(void *, u64);                                         \
                 u64 (*ringbuf_query)(u64);)

/* ---- probe function macros ---------------------------------------------------------------- */
// No libc here: the string.h functions BCC programs call are Clang's builtins (inlined).
#ifndef memset
#define memset(dest, ch, n) __builtin_memset((dest), (ch), (n))
#endif
#ifndef memcpy
#define memcpy(dest, src, n) __builtin_memcpy((dest), (src), (n))
#endif
#ifndef memmove
#define memmove(dest, src, n) __builtin_memmove((dest), (src), (n))
#endif
#ifndef memcmp
#define memcmp(a, b, n) __builtin_memcmp((a), (b), (n))
#endif

// The sixth argument register (x86_64: r9 in both calling conventions); libbpf 1.1 stops at 5.
#ifndef PT_REGS_PARM6
#define PT_REGS_PARM6(x) (((const struct pt_regs *)(x))->r9)
#endif
#ifndef PT_REGS_PARM6_CORE_SYSCALL
#define PT_REGS_PARM6_CORE_SYSCALL(x) BPF_CORE_READ((const struct pt_regs *)(x), r9)
#endif

// KernelDerefPass wraps reads of kernel memory CoreReadPass cannot express (`name->name[1]`,
// `*p->ptr`, kprobe arguments) in this: a copy through bpf_probe_read_kernel. LVALUE is only
// spelled in typeof and behind `&`, so it is evaluated once.
#define __jp_kread(lvalue)                                                                     \
    ({                                                                                         \
        typeof(lvalue) __jp_v;                                                                 \
        bpf_probe_read_kernel((void *)&__jp_v, sizeof(__jp_v), &(lvalue));                     \
        __jp_v;                                                                                \
    })

// The same from user memory (`char __user *buf`, a syscall__ probe's pointer arguments).
#define __jp_uread(lvalue)                                                                     \
    ({                                                                                         \
        typeof(lvalue) __jp_v;                                                                 \
        bpf_probe_read_user((void *)&__jp_v, sizeof(__jp_v), &(lvalue));                       \
        __jp_v;                                                                                \
    })

// BCC's readers of a tracepoint's __data_loc field (low 16 bits: offset from the record start).
#define TP_DATA_LOC_READ_CONST(dst, field, length)                                             \
    do {                                                                                       \
        unsigned short __jp_off = args->data_loc_##field & 0xFFFF;                             \
        bpf_probe_read_kernel((void *)(dst), (length), (char *)args + __jp_off);               \
    } while (0)
#define TP_DATA_LOC_READ_STR(dst, field, length)                                               \
    do {                                                                                       \
        unsigned short __jp_off = args->data_loc_##field & 0xFFFF;                             \
        bpf_probe_read_kernel_str((void *)(dst), (length), (char *)args + __jp_off);           \
    } while (0)
#define TP_DATA_LOC_READ(dst, field)                                                           \
    do {                                                                                       \
        unsigned short __jp_off = args->data_loc_##field & 0xFFFF;                             \
        unsigned short __jp_len = args->data_loc_##field >> 16;                                \
        bpf_probe_read_kernel((void *)(dst), __jp_len, (char *)args + __jp_off);               \
    } while (0)

#define TRACEPOINT_PROBE(category, event)                                                      \
    int tracepoint__##category##__##event(struct tracepoint__##category##__##event *args)
#define RAW_TRACEPOINT_PROBE(event)                                                            \
    int raw_tracepoint__##event(struct bpf_raw_tracepoint_args *ctx)
/* BTF-typed programs: libbpf's BPF_PROG unpacks the u64 argument array into typed parameters. */
#define KFUNC_PROBE(event, args...) int BPF_PROG(kfunc__##event, ##args)
#define KRETFUNC_PROBE(event, args...) int BPF_PROG(kretfunc__##event, ##args)
#define KMOD_RET(event, args...) int BPF_PROG(kmod_ret__##event, ##args)
#define LSM_PROBE(event, args...) int BPF_PROG(lsm__##event, ##args)
/* A raw tracepoint on BTF (tp_btf): the tracepoint's own typed arguments. */
#define TP_BTF_PROBE(event, args...) int BPF_PROG(tp_btf__##event, ##args)
#define BPF_ITER(target) int bpf_iter__##target(struct bpf_iter__##target *ctx)

/* ---- USDT arguments ---------------------------------------------------------------------- */
/* BCC's bpf_usdt_readarg(N, ctx, &v) (N 1-based) on libbpf's bpf_usdt_arg (0-based); the
 * frontend includes <bpf/usdt.bpf.h> for sources that name bpf_usdt_readarg. _p: the argument
 * is a user pointer; copy LEN bytes from it. */
#define bpf_usdt_readarg(n, ctx, argp)                                                         \
    ({                                                                                         \
        long __jp_a = 0;                                                                       \
        int __jp_r = bpf_usdt_arg((ctx), (n) - 1, &__jp_a);                                    \
        if (!__jp_r)                                                                           \
            *(argp) = (__typeof__(*(argp)))__jp_a;                                             \
        __jp_r;                                                                                \
    })
#define bpf_usdt_readarg_p(n, ctx, buf, len)                                                   \
    ({                                                                                         \
        long __jp_a = 0;                                                                       \
        int __jp_r = bpf_usdt_arg((ctx), (n) - 1, &__jp_a);                                    \
        if (!__jp_r)                                                                           \
            __jp_r = bpf_probe_read_user((buf), (len), (const void *)__jp_a);                 \
        __jp_r;                                                                                \
    })

/* ---- what rewritten method calls expand to ----------------------------------------------- */
/* In a libbpf map definition, __type(key, T) declares `T *key`: typeof(*(map)->key) is T. */
#define __jp_increment(map, keyexpr, amount)                                                   \
    ({                                                                                         \
        __typeof__(*(map)->key) __jp_k = (keyexpr);                                            \
        __typeof__((map)->value) __jp_v = bpf_map_lookup_elem((map), &__jp_k);                 \
        if (__jp_v) {                                                                          \
            *__jp_v += (amount);                                                               \
        } else {                                                                               \
            __typeof__(*(map)->value) __jp_init = (amount);                                    \
            bpf_map_update_elem((map), &__jp_k, &__jp_init, BPF_NOEXIST);                      \
        }                                                                                      \
    })
/* A full ring buffer drops records silently in the kernel; rewritten ringbuf_output and
 * ringbuf_reserve count each failure in the hidden global array __jp_ringbuf_lost (slot: the
 * ring buffer's index among the source's ring buffers), which the runtime reports as lost. */
#define __jp_count_ringbuf_lost(idx) ((void)__sync_fetch_and_add(&__jp_ringbuf_lost[(idx)], 1))
#define __jp_ringbuf_output(map, data, size, flags, idx)                                       \
    ({                                                                                         \
        long __jp_r = bpf_ringbuf_output((map), (data), (size), (flags));                      \
        if (__jp_r)                                                                            \
            __jp_count_ringbuf_lost(idx);                                                      \
        __jp_r;                                                                                \
    })
#define __jp_ringbuf_reserve(map, size, idx)                                                   \
    ({                                                                                         \
        void *__jp_p = bpf_ringbuf_reserve((map), (size), 0);                                  \
        if (!__jp_p)                                                                           \
            __jp_count_ringbuf_lost(idx);                                                      \
        __jp_p;                                                                                \
    })

/* Array slots always exist: no insert fallback. */
#define __jp_increment_array(map, keyexpr, amount)                                             \
    ({                                                                                         \
        __typeof__(*(map)->key) __jp_k = (keyexpr);                                            \
        __typeof__((map)->value) __jp_v = bpf_map_lookup_elem((map), &__jp_k);                 \
        if (__jp_v)                                                                            \
            *__jp_v += (amount);                                                               \
    })
#define __jp_atomic_increment_array(map, keyexpr, amount)                                      \
    ({                                                                                         \
        __typeof__(*(map)->key) __jp_k = (keyexpr);                                            \
        __typeof__((map)->value) __jp_v = bpf_map_lookup_elem((map), &__jp_k);                 \
        if (__jp_v)                                                                            \
            __sync_fetch_and_add(__jp_v, (amount));                                            \
    })
#define __jp_atomic_increment(map, keyexpr, amount)                                            \
    ({                                                                                         \
        __typeof__(*(map)->key) __jp_k = (keyexpr);                                            \
        __typeof__((map)->value) __jp_v = bpf_map_lookup_elem((map), &__jp_k);                 \
        if (__jp_v) {                                                                          \
            __sync_fetch_and_add(__jp_v, (amount));                                            \
        } else {                                                                               \
            __typeof__(*(map)->value) __jp_init = (amount);                                    \
            if (bpf_map_update_elem((map), &__jp_k, &__jp_init, BPF_NOEXIST) != 0) {           \
                __jp_v = bpf_map_lookup_elem((map), &__jp_k);                                  \
                if (__jp_v)                                                                    \
                    __sync_fetch_and_add(__jp_v, (amount));                                    \
            }                                                                                  \
        }                                                                                      \
    })
#define __jp_lookup_or_try_init(map, keyp, initp)                                              \
    ({                                                                                         \
        __typeof__((map)->value) __jp_v = bpf_map_lookup_elem((map), (keyp));                  \
        if (!__jp_v) {                                                                         \
            bpf_map_update_elem((map), (keyp), (initp), BPF_NOEXIST);                          \
            __jp_v = bpf_map_lookup_elem((map), (keyp));                                       \
        }                                                                                      \
        __jp_v;                                                                                \
    })
#define __jp_lookup_or_init(map, keyp, initp)                                                  \
    ({                                                                                         \
        __typeof__((map)->value) __jp_l = __jp_lookup_or_try_init(map, keyp, initp);           \
        if (!__jp_l)                                                                           \
            return 0;                                                                          \
        __jp_l;                                                                                \
    })

#endif /* __JITPROBE_BCC_H */
