// jitprobe's C++ API. Names mirror BCC's ebpf::BPF so a BCC program ports by changing the
// include and the namespace:
//
//   jitprobe::BPF bpf;
//   auto s = bpf.init(R"(BPF_HASH(counts, u32, u64);
//                        TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
//                            u32 pid = bpf_get_current_pid_tgid() >> 32; counts.increment(pid);
//                            return 0; })");
//   if (!s.ok()) { std::cerr << s.msg() << "\n"; return 1; }
//   bpf.attach_all();
//   ...
//   for (auto &[pid, n] : bpf.get_hash_table<uint32_t, uint64_t>("counts").get_table_offline())
//
// Ownership: a BPF object owns its bpf_object, every attachment (links, perf event fds) and
// every buffer; destroying it (or detach_*) releases them all, leaving nothing in tracefs.
//
// Thread-safety: a BPF object is not synchronized: use it from one thread at a time, with one
// exception: table objects, taken (get_*_table) once the object is loaded, may be read and
// updated from other threads while one thread polls perf/ring buffers (each table operation is
// a bpf() syscall on the map's fd; tests/live/concurrency_test.cpp runs this under TSan).
// Buffer callbacks run on the polling thread. A table must not outlive its BPF object.
// Distinct BPF objects are independent.
//
// Errors: every operation returns a Status whose msg() says who/what/where/why, including the
// errno name, e.g. "prog 'f': failed to attach uprobe '/bin/ls:main': ENOENT (...)".
// The library never prints and never exits.
//
// BCC compatibility: besides jitprobe's own names, this header offers what BCC's <bcc/BPF.h>
// does for its C++ programs (the USDT class, TableStorage, StatusTuple, the BPF_PROG_TYPE_* /
// BPF_MAP_TYPE_* constants of <linux/bpf.h> and BCC's C helpers, see BCCHelpers.h), so
// BCC's examples/cpp build with only the include and the namespace changed
// (scripts/bcc_cpp_examples.sh).
#pragma once
#include "jitprobe/BCCHelpers.h"
#include "jitprobe/BCCTables.h"
#include "jitprobe/BPFTable.h"
#include "jitprobe/PerfBuffer.h"
#include "jitprobe/PhaseTimes.h"
#include "jitprobe/Status.h"
#include "jitprobe/TableStorage.h"
#include "jitprobe/USDT.h"
#include "jitprobe/frontend/Diagnostic.h"
#include "jitprobe/frontend/ProgramInfo.h"

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

struct bpf_object;

namespace jitprobe {

// BCC's bpf_probe_attach_type.
enum bpf_probe_attach_type { BPF_PROBE_ENTRY, BPF_PROBE_RETURN };

struct InitOptions {
    std::string file_name = "<probe>"; // shown in diagnostics ("file:line:col")
    // Object cache (see jitprobe/Cache.h): a hit skips the compiler (no LLVM anywhere).
    // false: always compile (the kernel-type PCH in the cache directory is still used).
    bool use_cache = true;
    std::string cache_dir; // empty: $JITPROBE_CACHE_DIR, $XDG_CACHE_HOME/jitprobe, ...
    bool want_rewritten = false;  // keep the rewritten C for rewritten_source()
    // Load every program through the verifier during init (what `check` needs). When false,
    // init only opens the object; load() (or the first attach/table access) loads it.
    bool load_programs = true;
    std::string kernel_btf_path;  // empty: /sys/kernel/btf/vmlinux
    // Verifier log buffer per program, used when a program is rejected.
    size_t verifier_log_size = 1 << 20;
    // How long jitprobe-compiler may take (cache miss only) before its process group is killed
    // and init fails. 0: $JITPROBE_COMPILE_TIMEOUT (seconds), else 120 s.
    std::chrono::milliseconds compile_timeout{0};
    // Polled while the compiler runs (after a signal and every 100 ms): true kills it and init
    // fails with EINTR. E.g. a flag set by the caller's SIGINT handler.
    std::function<bool()> compile_cancelled;
    // Program type per function (a bpf_prog_type), set before the load: e.g. a SEC-less
    // `int f(struct __sk_buff *)` is a socket filter unless named here (BPF_PROG_TYPE_SCHED_CLS)
    // or given an @attach kind, which matters when it reads skb->data/data_end.
    std::map<std::string, int> program_types;
    // > 0: the process attach_all()'s uprobes (@attach uprobe:/uretprobe:) belong to, as
    // `jitprobe run -p PID` says: short library names (libc:malloc) are the files it maps
    // (/proc/PID/maps), and the probes fire in it alone.
    pid_t attach_pid = -1;
    // BPF_TABLE("extern") maps missing from the TableStorage are created here, empty, as
    // declared, instead of failing the init: what `jitprobe check` does, since verifying a
    // program needs a map of that shape, not the shared one.
    bool extern_tables_local = false;
    // BCC loads a function only when load_func/attach_* asks for it, as the type asked for.
    // true: a function with no attach point (no section, no @attach) that the verifier rejects
    // as the type guessed for it does not fail the load; it stays unloaded until load_func /
    // attach_* load it as the type they need (which may pass), and asked for as itself it
    // returns that rejection. false (the CLI): every rejection fails the load.
    bool defer_rejected_functions = true;
};

struct ProgramLoadInfo {
    std::string name;      // C function / libbpf program name
    std::string section;   // ELF section (SEC())
    std::string prog_type; // libbpf's name: "tracepoint", "kprobe", "socket_filter", ...
    uint32_t insns = 0;    // instructions after load (xlated), 0 if not loaded
    int fd = -1;
};

class BPF {
  public:
    static const int BPF_MAX_STACK_DEPTH = 127; // entries of a BPF_STACK_TRACE value (BCC)

    BPF();
    // BCC's constructor. TS: maps created outside, for BPF_TABLE("extern") (see TableStorage.h;
    // not owned, must outlive init). MAPS_NS: the namespace of BPF_TABLE_SHARED tables (an
    // extern table finds the shared ones of its namespace and every public one). FLAG (BCC's
    // debug flags), RW_ENGINE_ENABLED (BCC's LLVM key/leaf printers) and ALLOW_RLIMIT have no
    // effect: jitprobe has no such debug output or printers, and the kernel charges BPF memory
    // to the cgroup, not RLIMIT_MEMLOCK.
    explicit BPF(unsigned int flag, TableStorage *ts = nullptr, bool rw_engine_enabled = true,
                 const std::string &maps_ns = "", bool allow_rlimit = true);
    ~BPF();
    BPF(const BPF &) = delete;
    BPF &operator=(const BPF &) = delete;
    BPF(BPF &&) noexcept;
    BPF &operator=(BPF &&) noexcept;

    // Compiles SOURCE (BCC dialect) with jitprobe-compiler (a child process, cache miss only), then
    // opens and (by default) loads it. On compile errors msg() holds the formatted diagnostics
    // (FILE:LINE:COL: error: ...). CFLAGS: "-DNAME=VALUE", "-IDIR", ...
    Status init(const std::string &source, const std::vector<std::string> &cflags = {},
                const InitOptions &opts = {});
    // BCC's init: also records USDT probes for attach_usdt_all (their arguments are read with
    // bpf_usdt_readarg; no code is generated per probe). init(text, cflags, {}) lands here.
    Status init(const std::string &source, const std::vector<std::string> &cflags,
                const std::vector<USDT> &usdt);
    Status init(const std::string &source, const std::vector<std::string> &cflags,
                std::initializer_list<USDT> usdt);
    // BCC: adds a USDT probe before init.
    Status init_usdt(const USDT &usdt);
    // Takes an already compiled BPF ELF and its ProgramInfo (cache, tests, precompiled probes).
    // Never loads the compiler.
    Status init_object(std::vector<uint8_t> elf, frontend::ProgramInfo info,
                       const InitOptions &opts = {});
    // Loads a portable object (FILE.jpo, written by `jitprobe build` or write_object_file):
    // the compiled probe, relocated (CO-RE) against this kernel's BTF. Never starts the
    // compiler. The file is opened once, size-capped and checked (magic, format version,
    // SHA-256); a bad one fails naming PATH and why. OPTS as for init (file_name defaults to
    // PATH; the cache options do not apply).
    Status init_file(const std::string &path, const InitOptions &opts = {});
    // After init (load_programs may be false): writes this object as a portable object at
    // PATH (atomically, mode 0600), for init_file / `jitprobe run FILE.jpo` on other hosts.
    Status write_object_file(const std::string &path) const;
    // Loads all programs if init did not (load_programs = false). Idempotent.
    Status load();

    // Attaches every program at its ProgramSpec attach points. On failure, detaches what this
    // call attached and returns the first error.
    Status attach_all();
    Status detach_all();

    // The loaded program's fd (BCC: load_func). PROG_TYPE: a bpf_prog_type, or -1 for "any".
    // As in BCC, PROG_TYPE decides the type: before the load it is set on the program; after
    // it, a program of another type is loaded once more as PROG_TYPE (a copy this object owns),
    // so one __sk_buff function can be both a socket filter and a tc classifier.
    Status load_func(const std::string &func, int prog_type, int &fd);
    // BCC's form. Programs are loaded at init (from their sections), so FLAGS (e.g.
    // BPF_F_SLEEPABLE) and EXPECTED_ATTACH_TYPE are checked against the loaded program.
    Status load_func(const std::string &func, int prog_type, int &fd, unsigned flags,
                     int expected_attach_type = -1);
    // BCC: the program's fd stays with this object until it is destroyed.
    Status unload_func(const std::string &func);
    // BCC's attach_func/detach_func: BPF_PROG_ATTACH of a program fd to a cgroup/socket/... fd.
    Status attach_func(int prog_fd, int attachable_fd, enum bpf_attach_type attach_type,
                       uint64_t flags);
    Status detach_func(int prog_fd, int attachable_fd, enum bpf_attach_type attach_type);
    // The kernel's name of syscall NAME's entry function ("clone" -> "__x64_sys_clone").
    std::string get_syscall_fnname(const std::string &name);
    // BCC frees its LLVM/Clang memory here; jitprobe compiles in a child process. Returns 0.
    int free_bcc_memory() { return 0; }

    Status attach_tracepoint(const std::string &tracepoint, const std::string &probe_func);
    Status detach_tracepoint(const std::string &tracepoint);
    Status attach_raw_tracepoint(const std::string &tracepoint, const std::string &probe_func);
    Status detach_raw_tracepoint(const std::string &tracepoint);
    Status attach_kprobe(const std::string &kernel_func, const std::string &probe_func,
                         uint64_t kernel_func_offset = 0,
                         bpf_probe_attach_type attach_type = BPF_PROBE_ENTRY);
    // BCC's form with MAXACTIVE (kretprobe instances); 0 is the kernel's default.
    Status attach_kprobe(const std::string &kernel_func, const std::string &probe_func,
                         uint64_t kernel_func_offset, bpf_probe_attach_type attach_type,
                         int maxactive);
    Status detach_kprobe(const std::string &kernel_func,
                         bpf_probe_attach_type attach_type = BPF_PROBE_ENTRY);
    // SYMBOL is resolved in BINARY's ELF symbol table (shared libraries by name or path);
    // SYMBOL_ADDR (if non-zero) is used instead of SYMBOL (an ELF virtual address).
    Status attach_uprobe(const std::string &binary_path, const std::string &symbol,
                         const std::string &probe_func, uint64_t symbol_addr = 0,
                         bpf_probe_attach_type attach_type = BPF_PROBE_ENTRY, pid_t pid = -1,
                         uint64_t symbol_offset = 0);
    // BCC's form with REF_CTR_OFFSET (a USDT semaphore's file offset, 0 for none).
    Status attach_uprobe(const std::string &binary_path, const std::string &symbol,
                         const std::string &probe_func, uint64_t symbol_addr,
                         bpf_probe_attach_type attach_type, pid_t pid, uint64_t symbol_offset,
                         uint32_t ref_ctr_offset);
    Status detach_uprobe(const std::string &binary_path, const std::string &symbol,
                         uint64_t symbol_addr = 0,
                         bpf_probe_attach_type attach_type = BPF_PROBE_ENTRY, pid_t pid = -1,
                         uint64_t symbol_offset = 0);
    // Wildcards: a glob in attach_tracepoint's TRACEPOINT, attach_kprobe's KERNEL_FUNC or
    // attach_uprobe's SYMBOL attaches every match (at most kMaxWildcardTargets = 1000, all or
    // nothing); kprobes and uprobes through one kprobe.multi / uprobe.multi link where the kernel
    // has them. BCC Python's tp_re= / event_re= / sym_re= are these *_regex forms: ECMAScript
    // regexes (std::regex) matched from the start of the name, as Python's re.match does
    // ("vfs_read" matches vfs_readv too; end it with '$' for one name). detach_*_regex with the
    // same regex detaches everything it attached.
    Status attach_tracepoint_regex(const std::string &tp_re, const std::string &probe_func);
    Status detach_tracepoint_regex(const std::string &tp_re);
    Status attach_kprobe_regex(const std::string &event_re, const std::string &probe_func,
                               bpf_probe_attach_type attach_type = BPF_PROBE_ENTRY);
    Status detach_kprobe_regex(const std::string &event_re,
                               bpf_probe_attach_type attach_type = BPF_PROBE_ENTRY);
    Status attach_uprobe_regex(const std::string &binary_path, const std::string &sym_re,
                               const std::string &probe_func,
                               bpf_probe_attach_type attach_type = BPF_PROBE_ENTRY, pid_t pid = -1);
    Status detach_uprobe_regex(const std::string &binary_path, const std::string &sym_re,
                               bpf_probe_attach_type attach_type = BPF_PROBE_ENTRY, pid_t pid = -1);
    Status attach_usdt(const std::string &binary_path, const std::string &provider,
                       const std::string &name, const std::string &probe_func, pid_t pid = -1);
    Status detach_usdt(const std::string &binary_path, const std::string &provider,
                       const std::string &name, pid_t pid = -1);
    // BCC's USDT forms: PID -1 means the USDT's own pid.
    Status attach_usdt(const USDT &usdt, pid_t pid = -1);
    Status detach_usdt(const USDT &usdt, pid_t pid = -1);
    Status attach_usdt_all(); // every USDT given to init/init_usdt
    Status detach_usdt_all();
    // EV_TYPE/EV_CONFIG: perf_event_attr type/config (PERF_TYPE_SOFTWARE,
    // PERF_COUNT_SW_CPU_CLOCK...). One of SAMPLE_PERIOD/SAMPLE_FREQ non-zero. CPU -1: every
    // online CPU.
    Status attach_perf_event(uint32_t ev_type, uint32_t ev_config, const std::string &probe_func,
                             uint64_t sample_period, uint64_t sample_freq, pid_t pid = -1,
                             int cpu = -1);
    Status detach_perf_event(uint32_t ev_type, uint32_t ev_config);
    // Network and cgroup programs (BPFNetAttach.cpp). Each detaches in detach_* and ~BPF.
    // The program is (re)loaded as the type the attach point needs (see load_func).
    // XDP on DEV; FLAGS: XDP_FLAGS_SKB_MODE (generic), XDP_FLAGS_DRV_MODE (native) or 0.
    Status attach_xdp(const std::string &dev, const std::string &probe_func, uint32_t flags = 0);
    Status detach_xdp(const std::string &dev);
    // A packet socket bound to DEV ("" for every interface) with FN as its socket filter. The
    // socket stays with this object; *SOCK_FD (if given) receives it, to read the packets.
    Status attach_raw_socket(const std::string &probe_func, const std::string &dev,
                             int *sock_fd = nullptr);
    Status detach_raw_socket(const std::string &dev);
    // A tc classifier (direct action) on DEV's clsact qdisc, which is created if missing and
    // then removed again at detach.
    enum class TcDirection { ingress, egress };
    Status attach_tc(const std::string &dev, const std::string &probe_func,
                     TcDirection direction = TcDirection::ingress, uint32_t priority = 1);
    Status detach_tc(const std::string &dev, TcDirection direction = TcDirection::ingress);
    // A cgroup program (a BPF link) on the cgroup v2 directory PATH; ATTACH_TYPE e.g.
    // BPF_CGROUP_INET_EGRESS (a cgroup_skb program).
    Status attach_cgroup(const std::string &path, const std::string &probe_func,
                         enum bpf_attach_type attach_type);
    Status detach_cgroup(const std::string &path, enum bpf_attach_type attach_type);

    // fentry/fexit/lsm/tp_btf/iter programs: libbpf attaches by the program's section.
    Status attach_func(const std::string &probe_func);
    Status detach_func(const std::string &probe_func);

    // Tables (see BPFTable.h). Invalid tables carry the reason in status().
    BPFTableRaw get_raw_table(const std::string &name);
    template <typename K, typename V> BPFHashTable<K, V> get_hash_table(const std::string &name) {
        return BPFHashTable<K, V>(get_raw_table(name));
    }
    template <typename V> BPFArrayTable<V> get_array_table(const std::string &name) {
        return BPFArrayTable<V>(get_raw_table(name));
    }
    template <typename K, typename V>
    BPFPercpuHashTable<K, V> get_percpu_hash_table(const std::string &name) {
        return BPFPercpuHashTable<K, V>(get_raw_table(name));
    }
    template <typename V> BPFPercpuArrayTable<V> get_percpu_array_table(const std::string &name) {
        return BPFPercpuArrayTable<V>(get_raw_table(name));
    }
    // USE_DEBUG_FILE/CHECK_DEBUG_FILE_CRC: BCC's symbolization options; jitprobe's symbolizer
    // always reads the debug information it finds.
    BPFStackTable get_stack_table(const std::string &name, bool use_debug_file = true,
                                  bool check_debug_file_crc = true) {
        (void)use_debug_file, (void)check_debug_file_crc;
        return BPFStackTable(get_raw_table(name));
    }
    BPFCgroupArray get_cgroup_array(const std::string &name) {
        return BPFCgroupArray(get_raw_table(name));
    }
    template <typename V> BPFSkStorageTable<V> get_sk_storage_table(const std::string &name) {
        return BPFSkStorageTable<V>(get_raw_table(name));
    }
    BPFProgTable get_prog_table(const std::string &name) {
        return BPFProgTable(get_raw_table(name));
    }
    // BCC's other tables (BCCTables.h). get_table: keys and values as text (BTF printers).
    BPFTable get_table(const std::string &name);
    template <typename V> BPFQueueStackTable<V> get_queuestack_table(const std::string &name) {
        return BPFQueueStackTable<V>(get_raw_table(name));
    }
    template <typename K> BPFMapInMapTable<K> get_map_in_map_table(const std::string &name) {
        return BPFMapInMapTable<K>(get_raw_table(name));
    }
    template <typename V>
    BPFInodeStorageTable<V> get_inode_storage_table(const std::string &name) {
        return BPFInodeStorageTable<V>(get_raw_table(name));
    }
    template <typename V> BPFTaskStorageTable<V> get_task_storage_table(const std::string &name) {
        return BPFTaskStorageTable<V>(get_raw_table(name));
    }
    template <typename V> BPFCgStorageTable<V> get_cg_storage_table(const std::string &name) {
        return BPFCgStorageTable<V>(get_raw_table(name));
    }
    template <typename V>
    BPFPercpuCgStorageTable<V> get_percpu_cg_storage_table(const std::string &name) {
        return BPFPercpuCgStorageTable<V>(get_raw_table(name));
    }
    BPFSockmapTable get_sockmap_table(const std::string &name) {
        return BPFSockmapTable(get_raw_table(name));
    }
    BPFSockhashTable get_sockhash_table(const std::string &name) {
        return BPFSockhashTable(get_raw_table(name));
    }
    BPFDevmapTable get_devmap_table(const std::string &name) {
        return BPFDevmapTable(get_raw_table(name));
    }
    BPFXskmapTable get_xskmap_table(const std::string &name) {
        return BPFXskmapTable(get_raw_table(name));
    }
    // USE_DEBUG_FILE/CHECK_DEBUG_FILE_CRC: as for get_stack_table.
    BPFStackBuildIdTable get_stackbuildid_table(const std::string &name,
                                                bool use_debug_file = true,
                                                bool check_debug_file_crc = true);
    // BCC: an ELF file (a shared library, an executable) whose build id frames of
    // get_stackbuildid_table resolve against. False if it cannot be read or has no build id.
    bool add_module(const std::string &module);
    int get_map_fd(const std::string &name); // -1 if unknown

    // Perf buffers (BPF_PERF_OUTPUT). PAGE_CNT: per CPU, a power of two.
    Status open_perf_buffer(const std::string &name, perf_reader_raw_cb cb,
                            perf_reader_lost_cb lost_cb = nullptr, void *cb_cookie = nullptr,
                            int page_cnt = kDefaultPerfBufferPageCount);
    Status open_perf_buffer(const std::string &name, PerfEventCallback cb,
                            PerfLostCallback lost_cb = nullptr,
                            int page_cnt = kDefaultPerfBufferPageCount);
    Status close_perf_buffer(const std::string &name);
    BPFPerfBuffer *get_perf_buffer(const std::string &name);
    // Records handled, or a negative errno (-ENOENT: no such open buffer).
    int poll_perf_buffer(const std::string &name, int timeout_ms = -1);
    // Waits up to TIMEOUT_MS until any open perf buffer has data, then drains them all.
    // Returns the total records handled or a negative errno.
    int poll_perf_buffers(int timeout_ms);

    // BPF_PERF_ARRAY counters (BCC: open_perf_event): opens a perf event of TYPE/CONFIG
    // (PERF_TYPE_SOFTWARE/PERF_COUNT_SW_CPU_CLOCK, PERF_TYPE_HARDWARE/...) on every CPU and
    // stores its fd in the array's slot for that CPU, so perf_read/perf_counter_value work.
    Status open_perf_event(const std::string &name, uint32_t type, uint64_t config, pid_t pid = -1);
    Status close_perf_event(const std::string &name);

    // Ring buffers (BPF_RINGBUF_OUTPUT); all share one poller.
    //
    // poll_ring_buffer() and the perf-buffer polls return -EINTR when a signal interrupts the
    // wait (as libbpf's and BCC's do), so a Ctrl-C handler that sets a flag is seen at once.
    // Nothing is lost: records stay in the buffer for the next poll. The loop:
    //   while (!stop) { int n = bpf.poll_ring_buffer(100); if (n < 0 && n != -EINTR) break; }
    Status open_ring_buffer(const std::string &name, ring_buffer_raw_cb cb, void *ctx = nullptr);
    Status open_ring_buffer(const std::string &name, RingBufferCallback cb);
    // The same ring buffer, delivered as spans of records: one call per poll/consume that found
    // any (see RingBufferBatchCallback), for consumers that work per batch (a write, a lock,
    // a transaction per batch rather than per record).
    Status open_ring_buffer_batch(const std::string &name, RingBufferBatchCallback cb);
    int poll_ring_buffer(int timeout_ms = -1);
    int consume_ring_buffer();
    BPFRingBuffer *get_ring_buffer(); // null until one is opened

    // Symbols (BCC Python's b.ksym(addr) / b.sym(addr, pid)): the function containing ADDR,
    // as "name", "name+0xOFF" (SHOW_OFFSET) and/or "name [module]" (SHOW_MODULE); "[unknown]"
    // when no symbol covers it. Through the runtime's symbolizer (libjitprobe-symbolizer).
    std::string ksym(uint64_t addr, bool show_module = false, bool show_offset = false);
    std::string sym(uint64_t addr, int pid, bool show_module = false, bool show_offset = false);
    // BCC Python's BPF.get_tracepoints(tp_re) / get_kprobe_functions(event_re), with shell
    // globs as in @attach and `jitprobe list` ("syscalls:sys_enter_*", "tcp_*"); sorted.
    [[nodiscard]] static Result<std::vector<std::string>> get_tracepoints(const std::string &pattern);
    [[nodiscard]] static Result<std::vector<std::string>>
    get_kprobe_functions(const std::string &pattern);

    // Introspection.
    const frontend::ProgramInfo &program_info() const;
    // Warnings of the last compile; after an init that failed to compile, its errors too.
    const std::vector<frontend::Diagnostic> &diagnostics() const;
    struct bpf_object *raw_object() const;
    std::string rewritten_source() const; // empty unless InitOptions::want_rewritten
    std::vector<ProgramLoadInfo> programs() const;
    bool loaded() const;
    // Per-phase times of init/load/attach and the object cache outcome (see PhaseTimes.h).
    const PhaseTimes &phase_times() const;
    // Detaches every probe on a background thread (closing a tracepoint/kprobe link waits for
    // an RCU grace period, ~20-70 ms here; links are closed in parallel), so the caller can go
    // on draining buffers and reading maps meanwhile. The destructor, and the next call of this,
    // wait for it: every link is released before the BPF object is gone.
    void detach_all_in_background();

    // Human-readable list of current attachments ("tracepoint syscalls:sys_enter_openat -> f").
    std::vector<std::string> attachments() const;
    // One line per wildcard or regex attach request: what it matched and which links it made
    // ("uprobe '/bin/x' 'f*' -> g: 2 targets, one uprobe.multi link: f1, f2"); `run -v` prints them.
    std::vector<std::string> wildcard_matches() const;

    struct Impl;

  private:
    std::unique_ptr<Impl> impl_;
    Status initUnguarded(const std::string &source, const std::vector<std::string> &cflags,
                         const InitOptions &opts);
    Status openRing(const std::string &name, RingBufferCallback cb, RingBufferBatchCallback batch);
};

} // namespace jitprobe
