// BPF's private state, shared by the BPF*.cpp files (lifecycle, attachments, tables, buffers).
#pragma once
#include "jitprobe/BPF.h"
#include "jitprobe/common/UniqueFd.h"
#include "jitprobe/frontend/Frontend.h"

#include <bpf/libbpf.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace jitprobe {

namespace detail {
struct LinkDeleter {
    void operator()(bpf_link *link) const { bpf_link__destroy(link); }
};
// A link owns its kernel attachment (and, for perf-event based links, the perf event fd).
using LinkPtr = std::unique_ptr<bpf_link, LinkDeleter>;

struct ObjectDeleter {
    void operator()(bpf_object *obj) const { bpf_object__close(obj); }
};
using ObjectPtr = std::unique_ptr<bpf_object, ObjectDeleter>;

// What an attachment undoes that is not a bpf_link (a tc filter and its qdisc, a socket or
// a link fd): run once, on destruction.
class Undo {
  public:
    explicit Undo(std::function<void()> fn) : fn_(std::move(fn)) {}
    Undo(Undo &&other) noexcept : fn_(std::exchange(other.fn_, nullptr)) {}
    Undo &operator=(Undo &&) = delete;
    Undo(const Undo &) = delete;
    ~Undo() {
        if (fn_)
            fn_();
    }

  private:
    std::function<void()> fn_;
};

// One attach request: a function at a target, possibly several links (perf events per CPU).
struct Attachment {
    std::string kind;        // "tracepoint", "uprobe", ...
    std::string target_key;  // canonical target, what detach_* looks up
    std::string function;
    std::vector<LinkPtr> links;
    std::vector<Undo> undo; // destroyed before the links
};
// Destroys ATTACHMENTS: plain links (no undo step) on parallel threads, as closing a tracepoint
// or kprobe link waits for an RCU grace period (~20-70 ms each) and concurrent waits share
// one; the others after, in order. Returns when every one is released.
void destroyAttachments(std::map<std::string, Attachment> attachments);

// A wildcard or regex attach request (BPFWildcards.cpp): what `run -v` reports, and the
// attachments (by attachments' key) that detaching the request removes.
struct WildcardRequest {
    std::string kind;        // as the attachments'
    std::string request_key; // the glob as given, or "/REGEX/"
    std::string note;        // "... 3 targets, one uprobe.multi link: a, b, c"
    std::vector<std::string> attachment_keys;
};
// What init needs from a compile (or from the object cache).
struct CompiledProbe {
    std::vector<uint8_t> elf;
    frontend::ProgramInfo info;
    std::string rewritten;
    std::vector<frontend::Diagnostic> diagnostics;
    std::vector<uint8_t> core_btf; // minimized kernel BTF for its CO-RE relocations, if any
};
} // namespace detail

struct BPF::Impl {
    std::shared_ptr<StackSymbolizer> symbolizer; // ksym/sym, loaded on first use
    InitOptions options;
    frontend::ProgramInfo info;
    std::vector<frontend::Diagnostic> diagnostics;
    std::vector<uint8_t> elf; // must outlive the bpf_object opened from it
    std::string rewritten;
    detail::ObjectPtr object;
    bool loaded = false;
    Status load_failure; // a failed load is final (libbpf cannot retry)
    std::string tracefs_root;
    PhaseTimes times;
    // init's minimized kernel BTF (CompiledProbe::core_btf), handed to libbpf as a sealed memfd
    // that stays open until the load has read it.
    std::vector<uint8_t> core_btf;
    common::UniqueFd core_btf_fd;
    std::string openCoreBtf();
    void closeCoreBtf();

    // Programs loaded once more as another type (load_func, network attach), by
    // "function|type|expected attach type"; closed after the attachments.
    std::map<std::string, common::UniqueFd> retyped;
    // FUNC's fd as a program of TYPE (bpf_prog_type; EXPECTED: bpf_attach_type or -1): set on
    // the program before the load, the loaded program if it has that type, else a copy.
    Result<int> programFdAs(const std::string &func, int type, int expected = -1);

    // Keyed by "kind|target_key|function"; destroyed before the object.
    std::map<std::string, detail::Attachment> attachments;
    std::vector<detail::WildcardRequest> wildcard_requests;
    // Forgets requests whose attachments are gone (detach, a failed attach_all).
    void dropStaleRequests();
    std::map<std::string, std::unique_ptr<BPFPerfBuffer>> perf_buffers;
    std::unique_ptr<BPFRingBuffer> ring_buffer;
    std::map<std::string, std::vector<common::UniqueFd>> perf_event_fds; // open_perf_event, by map name
    // BCC compatibility (BPFCompat.cpp): maps for BPF_TABLE("extern") and init's USDT probes.
    TableStorage *table_storage = nullptr;
    std::string maps_ns; // BCC's maps namespace: where BPF_TABLE_SHARED tables are kept
    std::vector<USDT> usdt;
    // Expires with this object: string tables (BPFTable) check it before using the BTF and fds.
    std::shared_ptr<const void> alive = std::make_shared<int>(0);
    // add_module's ELF files by build id, for get_stackbuildid_table.
    std::shared_ptr<BPFStackBuildIdTable::Modules> buildid_modules =
        std::make_shared<BPFStackBuildIdTable::Modules>();
    // Before the load: every "extern" map takes its fd from table_storage or from the
    // process's public/shared tables; a public/shared one already there is reused.
    Status applyExternTables(bool local_if_missing);
    // After the load: this object's public/shared tables join the process's table storage.
    void publishSharedTables();

    // Attachments handed to BPF::detach_all_in_background, destroyed on this thread; joined
    // before anything they reference (programs, the object) goes away.
    std::thread detaching;
    void joinDetaching();

    ~Impl();
    void releaseAll(); // attachments, buffers, then the object

    // The loaded program named FUNC, or an error naming it (and listing the known ones).
    // TYPE (a bpf_prog_type, -1: any): what the caller attaches it as, for a deferred function.
    Result<bpf_program *> findProgram(const std::string &func, int type = -1);
    Status ensureLoaded();
    // The ELF opened as a new object, configured as init does (program types; PIN_MAPS: pin
    // paths); extern tables and multi-attach types are openConfigured's.
    Result<detail::ObjectPtr> openObject(bool pin_maps);
    // Opens `object` (deferred functions not loaded), extern tables and multi-attach types set.
    Status openConfigured();
    // bpf_object__load with verifier logs; *REJECTED: the program the verifier rejected.
    Status loadObject(bpf_object *obj, std::string *rejected);
    // BCC's lazy load: functions with no attach point the verifier rejected at init, with the
    // rejection, and the objects that load them as load_func/attach_* ask (on this object's maps).
    std::map<std::string, Status> deferred;
    std::map<std::string, detail::ObjectPtr> deferred_objects; // "func|type|expected"
    Result<bpf_program *> loadDeferred(const std::string &func, int type, int expected);
    Status ensureTracefs();
    // init's compile step: a valid object cache entry, else the frontend (BPFCache.cpp).
    Status obtainObject(const std::string &source, const std::vector<std::string> &cflags,
                        const InitOptions &opts, detail::CompiledProbe &out);
    // jitprobe-compiler (a child process) compiles SOURCE; its kernel-type PCH lives in the
    // cache directory open as PCH_DIR_FD (-1: none), handed to it open.
    // WANT_CORE_BTF: also have the compiler minimize the kernel BTF (for a cache entry).
    Status compileSource(const std::string &source, const std::vector<std::string> &cflags,
                         const InitOptions &opts, int pch_dir_fd, bool want_core_btf,
                         frontend::CompileResult &result);

    // Registers an attachment; EEXIST if FUNC is already attached at KIND/TARGET_KEY.
    Status addAttachment(detail::Attachment attachment);
    bool isAttached(const std::string &kind, const std::string &target_key,
                    const std::string &function) const;
    // Removes every attachment at KIND/TARGET_KEY; ENOENT (naming WHAT) if none.
    Status removeAttachments(const std::string &kind, const std::string &target_key,
                             const std::string &what);
};

} // namespace jitprobe
