// The CO-RE kernel BTF minimizer (frontend/src/text/MinCoreBtf.h) without BPF privileges: objects come
// from the frontend, the kernel BTF from /sys/kernel/btf/vmlinux. Equivalence of the relocated
// instructions is checked by tests/live/min_core_btf_test.cpp (it needs to load programs).
#include "jitprobe/frontend/Frontend.h"
#include "btf/MinCoreBtf.h"

#include <bpf/btf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

using namespace jitprobe;
using namespace jitprobe::frontend;

namespace {

const char *kKernelBtf = "/sys/kernel/btf/vmlinux";

struct BtfDeleter {
    void operator()(struct btf *b) const { btf__free(b); }
};
using BtfPtr = std::unique_ptr<struct btf, BtfDeleter>;

// The kernel BTF, parsed once for all tests (null when this kernel has none).
const struct btf *kernelBtf() {
    static BtfPtr kernel(::access(kKernelBtf, R_OK) == 0 ? btf__parse(kKernelBtf, nullptr) : nullptr);
    return kernel.get();
}

// A private kernel-type PCH directory for this test process (0700, as the frontend wants),
// removed when the process exits.
struct TempDir {
    std::string path;
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

const std::string &pchDir() {
    static TempDir dir{[] {
        char tmpl[] = "/tmp/jp_unit_mincore.XXXXXX";
        return std::string(::mkdtemp(tmpl));
    }()};
    return dir.path;
}

// SOURCE compiled by the frontend ("" ERROR and an object, or ERROR says why not).
std::vector<std::uint8_t> compile(const std::string &source, std::string &error) {
    frontend::CompileOptions co;
    co.file_name = "probe.c";
    co.cache_dir = pchDir();
    frontend::CompileResult r = frontend::compile(source, co);
    if (!r.ok)
        error = frontend::formatDiagnostics(r.diagnostics);
    return r.object;
}

#define COMPILE_OR_SKIP(var, source)                                                            \
    if (!kernelBtf())                                                                          \
        GTEST_SKIP() << "no kernel BTF at " << kKernelBtf;                                     \
    std::string compile_error;                                                                 \
    std::vector<std::uint8_t> var = compile(source, compile_error);                            \
    if (var.empty())                                                                           \
        GTEST_SKIP() << "cannot compile: " << compile_error;

const char *kParentTgid = R"(BPF_HASH(counts, u32, u64);
int kprobe__do_nanosleep(struct pt_regs *ctx) {
    struct task_struct *t = (struct task_struct *)bpf_get_current_task();
    u32 ppid = t->real_parent->tgid;
    counts.increment(ppid);
    return 0;
}
)";

const btf_type *findStruct(const struct btf *b, const char *name, std::int32_t &id) {
    id = btf__find_by_name_kind(b, name, BTF_KIND_STRUCT);
    return id > 0 ? btf__type_by_id(b, id) : nullptr;
}

std::string memberName(const struct btf *b, const btf_type *t, int i) {
    return btf__name_by_offset(b, btf_members(t)[i].name_off);
}

} // namespace

TEST(MinCoreBtf, KeepsOnlyTheAccessedMembersAtTheirOffsets) {
    COMPILE_OR_SKIP(elf, kParentTgid);
    Result<CoreBtf> core = minimizeCoreBtf(elf, kernelBtf());
    ASSERT_TRUE(core.ok()) << core.status().msg();
    EXPECT_GT(core->relocations, 0u);
    EXPECT_LT(core->types, 40u) << "far more kernel types than two fields need";
    EXPECT_LT(core->btf.size(), 4096u);
    BtfPtr small(btf__new(core->btf.data(), static_cast<std::uint32_t>(core->btf.size())));
    ASSERT_TRUE(small) << "the minimized BTF does not parse";

    std::int32_t small_id = 0, full_id = 0;
    const btf_type *mine = findStruct(small.get(), "task_struct", small_id);
    const btf_type *full = findStruct(kernelBtf(), "task_struct", full_id);
    ASSERT_TRUE(mine && full);
    EXPECT_EQ(mine->size, full->size);
    ASSERT_EQ(btf_vlen(mine), 2) << "only real_parent and tgid";
    EXPECT_EQ(memberName(small.get(), mine, 0), "tgid"); // the kernel's member order
    EXPECT_EQ(memberName(small.get(), mine, 1), "real_parent");
    for (int i = 0; i < btf_vlen(mine); i++) {
        std::string name = memberName(small.get(), mine, i);
        bool found = false;
        for (int j = 0; j < btf_vlen(full); j++)
            if (memberName(kernelBtf(), full, j) == name) {
                EXPECT_EQ(btf_member_bit_offset(mine, i), btf_member_bit_offset(full, j)) << name;
                found = true;
            }
        EXPECT_TRUE(found) << name;
    }
}

// CompileOptions::want_core_btf: compile() itself hands back the same minimized BTF.
TEST(MinCoreBtf, CompileMakesItWhenAsked) {
    if (!kernelBtf())
        GTEST_SKIP() << "no kernel BTF at " << kKernelBtf;
    frontend::CompileOptions co;
    co.file_name = "probe.c";
    co.cache_dir = pchDir();
    co.want_core_btf = true;
    frontend::CompileResult r = frontend::compile(kParentTgid, co);
    ASSERT_TRUE(r.ok) << frontend::formatDiagnostics(r.diagnostics);
    Result<CoreBtf> core = minimizeCoreBtf(r.object, kernelBtf());
    ASSERT_TRUE(core.ok()) << core.status().msg();
    EXPECT_FALSE(r.core_btf.empty()) << r.core_btf_note;
    EXPECT_EQ(r.core_btf, core->btf);
    EXPECT_GT(r.times.core_btf_ms, 0.0);
    co.want_core_btf = false;
    EXPECT_TRUE(frontend::compile(kParentTgid, co).core_btf.empty()) << "only when asked";
}

TEST(MinCoreBtf, ObjectWithoutCoreRelocationsNeedsNoKernelBtf) {
    COMPILE_OR_SKIP(elf, "BPF_HASH(c, u32, u64);\nint kprobe__do_nanosleep(struct pt_regs *ctx) {\n"
                         "    c.increment(bpf_get_current_pid_tgid() >> 32);\n    return 0;\n}\n");
    Result<std::size_t> count = countCoreRelocations(elf);
    ASSERT_TRUE(count.ok()) << count.status().msg();
    EXPECT_EQ(*count, 0u);
    // The path overload must not even parse the (here nonexistent) kernel BTF.
    Result<CoreBtf> core = minimizeCoreBtf(elf, std::string("/nonexistent/vmlinux"));
    ASSERT_TRUE(core.ok()) << core.status().msg();
    EXPECT_EQ(core->relocations, 0u);
    EXPECT_TRUE(core->btf.empty());
}

TEST(MinCoreBtf, IsDeterministic) {
    COMPILE_OR_SKIP(elf, kParentTgid);
    Result<CoreBtf> a = minimizeCoreBtf(elf, kernelBtf()), b = minimizeCoreBtf(elf, kernelBtf());
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->btf, b->btf);
}

TEST(MinCoreBtf, KernelTypeIdRelocationsAreRefused) {
    COMPILE_OR_SKIP(elf, "BPF_HASH(c, u32, u64);\nint kprobe__do_nanosleep(struct pt_regs *ctx) {\n"
                         "    struct task_struct *t = (struct task_struct *)bpf_get_current_task();\n"
                         "    c.increment(__builtin_btf_type_id(*t, 1));\n    return 0;\n}\n");
    Result<CoreBtf> core = minimizeCoreBtf(elf, kernelBtf());
    ASSERT_FALSE(core.ok()) << "a renumbered kernel type id would be wrong";
    EXPECT_NE(core.status().msg().find("type ids"), std::string::npos) << core.status().msg();
}

TEST(MinCoreBtf, TypesMissingFromVmlinuxAreRefused) {
    // libbpf would go on to search kernel module BTFs, which a minimized vmlinux cannot stand for.
    COMPILE_OR_SKIP(elf, "struct jp_not_in_kernel { int a; } __attribute__((preserve_access_index));\n"
                         "BPF_HASH(c, u32, u64);\nint kprobe__do_nanosleep(struct pt_regs *ctx) {\n"
                         "    struct jp_not_in_kernel t;\n"
                         "    c.increment(__builtin_preserve_field_info(t.a, 2));\n    return 0;\n}\n");
    Result<CoreBtf> core = minimizeCoreBtf(elf, kernelBtf());
    ASSERT_FALSE(core.ok());
    EXPECT_NE(core.status().msg().find("no kernel type 'jp_not_in_kernel'"), std::string::npos)
        << core.status().msg();
}

TEST(MinCoreBtf, FlavorsMatchByEssentialName) {
    COMPILE_OR_SKIP(elf, "struct task_struct___old { int tgid; } __attribute__((preserve_access_index));\n"
                         "BPF_HASH(c, u32, u64);\nint kprobe__do_nanosleep(struct pt_regs *ctx) {\n"
                         "    struct task_struct___old t;\n"
                         "    c.increment(__builtin_preserve_field_info(t.tgid, 0));\n    return 0;\n}\n");
    Result<CoreBtf> core = minimizeCoreBtf(elf, kernelBtf());
    ASSERT_TRUE(core.ok()) << core.status().msg();
    BtfPtr small(btf__new(core->btf.data(), static_cast<std::uint32_t>(core->btf.size())));
    ASSERT_TRUE(small);
    std::int32_t id = 0;
    const btf_type *t = findStruct(small.get(), "task_struct", id);
    ASSERT_TRUE(t) << "the kernel's task_struct is the candidate of task_struct___old";
    ASSERT_EQ(btf_vlen(t), 1);
    EXPECT_EQ(memberName(small.get(), t, 0), "tgid");
}

TEST(MinCoreBtf, DamagedObjectsAreRefusedNotTrusted) {
    COMPILE_OR_SKIP(elf, kParentTgid);
    for (std::size_t len = 0; len < elf.size(); len += 1 + len / 16) {
        std::vector<std::uint8_t> cut(elf.begin(), elf.begin() + static_cast<std::ptrdiff_t>(len));
        (void)minimizeCoreBtf(cut, kernelBtf()); // any outcome but a crash
    }
    std::vector<std::uint8_t> junk(elf.size(), 0x5a);
    EXPECT_FALSE(minimizeCoreBtf(junk, kernelBtf()).ok());
}
