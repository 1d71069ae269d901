// The minimized kernel BTF kept in cache entries (frontend/src/text/MinCoreBtf.h): libbpf must relocate
// every CO-RE instruction exactly as it does against the full /sys/kernel/btf/vmlinux, and a
// cache hit must load (and count) without ever reading the kernel BTF.
#include "LiveSupport.h"
#include "btf/MinCoreBtf.h"
#include "cache/ObjectCache.h"
#include "jitprobe/BPF.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

using namespace jitprobe;
namespace fs = std::filesystem;

namespace {

const char *kCoreProbe = R"(BPF_HASH(counts, u32, u64);
TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
    struct task_struct *t = (struct task_struct *)bpf_get_current_task();
    u32 ppid = t->real_parent->tgid;
    counts.increment(ppid);
    return 0;
}
)";

// Every other relocation kind the runtime minimizes: type existence and size, enum values,
// field size / existence / signedness / bitfield shifts (sk_buff::pkt_type is a bitfield inside
// an anonymous struct_group union), and array elements.
const char *kRelocationKinds = R"(BPF_HASH(c, u32, u64);
TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
    struct sk_buff skb;
    struct task_struct t;
    c.increment(__builtin_preserve_type_info(*(struct task_struct *)0, 0));
    c.increment(__builtin_preserve_type_info(*(struct task_struct *)0, 1));
    c.increment(__builtin_preserve_enum_value(*(enum pid_type *)PIDTYPE_TGID, 1));
    c.increment(__builtin_preserve_enum_value(*(enum pid_type *)PIDTYPE_TGID, 0));
    c.increment(__builtin_preserve_field_info(skb.pkt_type, 0));
    c.increment(__builtin_preserve_field_info(skb.pkt_type, 1));
    c.increment(__builtin_preserve_field_info(skb.pkt_type, 2));
    c.increment(__builtin_preserve_field_info(skb.pkt_type, 3));
    c.increment(__builtin_preserve_field_info(skb.pkt_type, 4));
    c.increment(__builtin_preserve_field_info(skb.pkt_type, 5));
    c.increment(__builtin_preserve_field_info(skb.len, 3));
    c.increment(__builtin_preserve_field_info(t.comm[3], 0));
    c.increment(__builtin_preserve_field_info(t.comm[3], 1));
    c.increment(__builtin_preserve_field_info(t.pid, 2));
    return 0;
}
)";

// A ___flavor type (matched to the kernel's task_struct by essential name) with a field the
// kernel lacks: field_exists must stay 0 with the minimized BTF too.
const char *kFlavor = R"(struct task_struct___old { int tgid; int no_such_field; } __attribute__((preserve_access_index));
BPF_HASH(c, u32, u64);
TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
    struct task_struct___old t;
    c.increment(__builtin_preserve_field_info(t.tgid, 0));
    c.increment(__builtin_preserve_field_info(t.no_such_field, 2));
    return 0;
}
)";

struct ObjectCloser {
    void operator()(bpf_object *o) const { bpf_object__close(o); }
};
using Object = std::unique_ptr<bpf_object, ObjectCloser>;

std::string readText(const fs::path &path) {
    std::ifstream in(path);
    std::ostringstream os;
    os << in.rdbuf();
    return os.str();
}

struct MinCoreBtfLive : ::testing::Test {
    std::string dir;
    void SetUp() override {
        JP_REQUIRE_BPF_PRIVILEGES();
        if (::access("/sys/kernel/btf/vmlinux", R_OK) != 0)
            GTEST_SKIP() << "no kernel BTF: CO-RE does not apply";
        char tmpl[] = "/tmp/jp_live_mincore.XXXXXX";
        dir = ::mkdtemp(tmpl);
    }
    void TearDown() override {
        std::error_code ec;
        if (!dir.empty())
            fs::remove_all(dir, ec);
    }
    std::string cache() const { return dir + "/cache"; }

    std::set<std::string> entryNames() const {
        std::set<std::string> names;
        std::error_code ec;
        for (const auto &e : fs::directory_iterator(cache() + "/objects", ec))
            names.insert(e.path().filename().string());
        return names;
    }

    // Compiles SOURCE through BPF::init (a cache miss) and returns the entry it stored.
    detail::CacheEntry compileToEntry(const std::string &source, const std::string &name) {
        std::set<std::string> before = entryNames();
        BPF bpf;
        InitOptions opts;
        opts.file_name = name;
        opts.cache_dir = cache();
        opts.load_programs = false;
        Status s = bpf.init(source, {}, opts);
        EXPECT_TRUE(s.ok()) << name << ": " << s.msg();
        detail::CacheEntry entry;
        for (const std::string &file : entryNames()) {
            if (before.count(file))
                continue;
            std::string key = file.substr(0, file.find('.'));
            auto decoded = detail::decodeEntry(key, readText(cache() + "/objects/" + file));
            EXPECT_TRUE(decoded.ok()) << decoded.status().msg();
            if (decoded.ok())
                entry = std::move(*decoded);
        }
        EXPECT_FALSE(entry.elf.empty()) << name << ": no new cache entry";
        return entry;
    }
};

// Opens and loads ELF (against BTF_PATH when not empty, else the kernel's own BTF).
Object loadObject(const std::vector<std::uint8_t> &elf, const std::string &btf_path) {
    LIBBPF_OPTS(bpf_object_open_opts, opts);
    opts.object_name = "jp_mincore";
    if (!btf_path.empty())
        opts.btf_custom_path = btf_path.c_str();
    Object obj(bpf_object__open_mem(elf.data(), elf.size(), &opts));
    if (!obj)
        return nullptr;
    bpf_program *prog;
    bpf_object__for_each_program(prog, obj.get()) {
        // Sections libbpf does not know (the frontend types them): kprobe is the common case.
        if (bpf_program__type(prog) == BPF_PROG_TYPE_UNSPEC)
            bpf_program__set_type(prog, BPF_PROG_TYPE_KPROBE);
    }
    if (bpf_object__load(obj.get()) != 0)
        return nullptr;
    return obj;
}

// Each program's instructions after relocation, with map fds (which differ per load) zeroed.
std::map<std::string, std::vector<bpf_insn>> relocatedInsns(bpf_object *obj) {
    std::map<std::string, std::vector<bpf_insn>> out;
    bpf_program *prog;
    bpf_object__for_each_program(prog, obj) {
        const bpf_insn *insns = bpf_program__insns(prog);
        std::vector<bpf_insn> v(insns, insns + bpf_program__insn_cnt(prog));
        for (std::size_t i = 0; i + 1 < v.size(); i++)
            if (v[i].code == (BPF_LD | BPF_IMM | BPF_DW)) {
                if (v[i].src_reg == BPF_PSEUDO_MAP_FD || v[i].src_reg == BPF_PSEUDO_MAP_VALUE)
                    v[i].imm = 0;
                i++;
            }
        out[bpf_program__name(prog)] = std::move(v);
    }
    return out;
}

bool sameInsns(const std::vector<bpf_insn> &a, const std::vector<bpf_insn> &b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(bpf_insn)) == 0;
}

} // namespace

// The same object loaded against the minimized BTF and against the full kernel BTF: every
// program's relocated instructions are identical (core.c and the corpus/example programs that
// read kernel structs).
TEST_F(MinCoreBtfLive, RelocatesExactlyLikeTheFullKernelBtf) {
    std::vector<std::pair<std::string, std::string>> sources = {{"core.c", kCoreProbe},
                                                                {"kinds.c", kRelocationKinds},
                                                                {"flavor.c", kFlavor}};
    for (const char *file : {"tests/bcc_corpus/execsnoop.c", "tests/bcc_corpus/tcpconnect.c",
                             "tests/bcc_corpus/tcplife.c", "tests/bcc_corpus/runqlat.c",
                             "tests/bcc_corpus/offcputime.c", "tests/bcc_corpus/biolatency.c",
                             "tests/bcc_corpus/filetop.c", "examples/killsnoop.c",
                             "examples/tcpconnect.c", "examples/runqlat.c"})
        sources.emplace_back(file, readText(fs::path(JITPROBE_SOURCE_DIR) / file));
    int minimized = 0;
    for (const auto &[name, source] : sources) {
        SCOPED_TRACE(name);
        detail::CacheEntry entry = compileToEntry(source, fs::path(name).filename().string());
        Result<std::size_t> relos = frontend::countCoreRelocations(entry.elf);
        ASSERT_TRUE(relos.ok()) << relos.status().msg();
        if (*relos == 0) {
            EXPECT_TRUE(entry.core_btf.empty());
            continue;
        }
        ASSERT_FALSE(entry.core_btf.empty()) << *relos << " CO-RE relocations, no minimized BTF";
        std::printf("%-14s %3zu CO-RE relocations, minimized kernel BTF %zu bytes\n",
                    fs::path(name).filename().c_str(), *relos, entry.core_btf.size());
        EXPECT_LT(entry.core_btf.size(), 64u * 1024) << "not minimized much";
        std::string btf_path = dir + "/" + fs::path(name).filename().string() + ".btf";
        std::ofstream(btf_path, std::ios::binary)
            .write(reinterpret_cast<const char *>(entry.core_btf.data()),
                   static_cast<std::streamsize>(entry.core_btf.size()));
        Object full = loadObject(entry.elf, ""), small = loadObject(entry.elf, btf_path);
        ASSERT_TRUE(full) << "loading with the full kernel BTF failed";
        ASSERT_TRUE(small) << "loading with the minimized BTF failed";
        auto a = relocatedInsns(full.get()), b = relocatedInsns(small.get());
        ASSERT_EQ(a.size(), b.size());
        for (const auto &[prog, insns] : a)
            EXPECT_TRUE(sameInsns(insns, b[prog])) << "program " << prog << " relocated differently";
        minimized++;
    }
    EXPECT_GE(minimized, 9) << "too few CO-RE programs in the sample";
}

// A cache hit of a CO-RE probe relocates against the minimized BTF kept in the entry: the
// kernel BTF file is made unreadable garbage between the miss and the hit (same size, inode
// and mtime, so the cache key still matches) and the hit still loads, attaches and counts.
TEST_F(MinCoreBtfLive, CacheHitNeverReadsTheKernelBtf) {
    std::string btf = dir + "/vmlinux.btf";
    fs::copy_file("/sys/kernel/btf/vmlinux", btf);
    InitOptions opts;
    opts.file_name = "core.c";
    opts.cache_dir = cache();
    opts.kernel_btf_path = btf;
    {
        BPF miss;
        ASSERT_TRUE(miss.init(kCoreProbe, {}, opts).ok());
        EXPECT_FALSE(miss.phase_times().cache_hit);
        EXPECT_TRUE(miss.phase_times().core_btf_minimized) << miss.phase_times().core_btf_note;
    }
    struct stat st {};
    ASSERT_EQ(::stat(btf.c_str(), &st), 0);
    {
        std::fstream f(btf, std::ios::in | std::ios::out | std::ios::binary);
        std::string junk(static_cast<std::size_t>(st.st_size), 'x');
        f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    }
    timespec times[2] = {st.st_atim, st.st_mtim};
    ASSERT_EQ(::utimensat(AT_FDCWD, btf.c_str(), times, 0), 0);

    BPF hit;
    Status s = hit.init(kCoreProbe, {}, opts);
    ASSERT_TRUE(s.ok()) << s.msg();
    const PhaseTimes &t = hit.phase_times();
    ASSERT_TRUE(t.cache_hit) << t.cache_note;
    EXPECT_TRUE(t.core_btf_minimized) << t.core_btf_note;
    EXPECT_FALSE(t.frontend_loaded);
    ASSERT_TRUE(hit.attach_all().ok());
    for (int i = 0; i < 5; i++)
        (void)::getppid();
    auto counts = hit.get_hash_table<std::uint32_t, std::uint64_t>("counts");
    std::uint64_t n = 0;
    ASSERT_TRUE(counts.get_value(static_cast<std::uint32_t>(::getppid()), n).ok());
    EXPECT_GE(n, 5u) << "real_parent->tgid must be read at the relocated offsets";
}

// The comparison above is able to fail: a minimized BTF whose task_struct::tgid sits 4 bytes
// later relocates core.c differently.
TEST_F(MinCoreBtfLive, ComparisonSeesAMovedMember) {
    detail::CacheEntry entry = compileToEntry(kCoreProbe, "core.c");
    ASSERT_FALSE(entry.core_btf.empty());
    std::unique_ptr<struct btf, void (*)(struct btf *)> b(
        btf__new(entry.core_btf.data(), static_cast<std::uint32_t>(entry.core_btf.size())),
        btf__free);
    ASSERT_TRUE(b);
    std::int32_t id = btf__find_by_name_kind(b.get(), "task_struct", BTF_KIND_STRUCT);
    ASSERT_GT(id, 0);
    auto *t = const_cast<btf_type *>(btf__type_by_id(b.get(), id));
    for (int i = 0; i < btf_vlen(t); i++)
        if (std::string(btf__name_by_offset(b.get(), btf_members(t)[i].name_off)) == "tgid")
            btf_members(t)[i].offset += 32;
    std::uint32_t size = 0;
    const void *raw = btf__raw_data(b.get(), &size);
    std::string path = dir + "/moved.btf";
    std::ofstream(path, std::ios::binary).write(static_cast<const char *>(raw), size);
    Object full = loadObject(entry.elf, ""), moved = loadObject(entry.elf, path);
    ASSERT_TRUE(full && moved);
    auto a = relocatedInsns(full.get()), m = relocatedInsns(moved.get());
    ASSERT_EQ(a.size(), 1u);
    EXPECT_FALSE(sameInsns(a.begin()->second, m[a.begin()->first]));
}

// The CLI's second run (a cache hit) of a CO-RE probe never opens /sys/kernel/btf/vmlinux, as
// strace sees it (skipped where strace is not installed).
TEST_F(MinCoreBtfLive, CliCacheHitDoesNotOpenTheKernelBtf) {
    if (std::system("command -v strace >/dev/null 2>&1") != 0)
        GTEST_SKIP() << "strace is not installed";
    std::string probe = dir + "/core.c";
    std::ofstream(probe) << kCoreProbe;
    std::string cli = std::string("env JITPROBE_CACHE_DIR=") + cache() + " " + JITPROBE_BINARY_DIR +
                      "/runtime/cli/jitprobe check --time-phases " + probe;
    ASSERT_EQ(std::system((cli + " >/dev/null 2>&1").c_str()), 0) << "the miss";
    std::string trace = dir + "/strace.txt", out = dir + "/out.txt";
    // LeakSanitizer cannot run under ptrace: leaks are the sanitizer phase's other tests' job.
    ASSERT_EQ(std::system(("ASAN_OPTIONS=detect_leaks=0 strace -f -e trace=open,openat -o " + trace +
                           " " + cli + " >" + out +
                           " 2>&1").c_str()),
              0) << readText(out);
    std::string phases = readText(out), opens = readText(trace);
    EXPECT_NE(phases.find("phase cache: hit"), std::string::npos) << phases;
    EXPECT_NE(phases.find("phase kernel_btf: minimized"), std::string::npos) << phases;
    EXPECT_EQ(opens.find("/sys/kernel/btf/vmlinux"), std::string::npos) << opens;
    EXPECT_NE(opens.find("/proc/self/fd/"), std::string::npos) << "libbpf read the minimized BTF";
}
