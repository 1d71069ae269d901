// The BTF-derived vmlinux.h, and everything the frontend puts next to it (compat macros, tracepoint
// args structs), must compile for the BPF target with the system clang-16.
#include "btf/KernelIncludes.h"
#include "btf/KernelTypes.h"
#include "tracepoint/TracepointFormat.h"

#include "jitprobe/common/Tracepoints.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sys/mount.h>

using namespace jitprobe::frontend;
namespace fs = std::filesystem;

namespace {

const char *const kBtf = "/sys/kernel/btf/vmlinux";
const char *const kTracefs = "/sys/kernel/tracing";

class KernelTypes : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!fs::exists(kBtf))
            return;
        char tmpl[] = "/tmp/jitprobe-text-XXXXXX";
        dir_ = mkdtemp(tmpl);
        auto start = std::chrono::steady_clock::now();
        auto header = generateVmlinuxHeader(kBtf);
        ok_ = header.ok();
        *(ok_ ? header_ : error_) = ok_ ? *header : header.status().msg();
        ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        std::ofstream(dir_ / "vmlinux.h") << *header_;
    }
    static void TearDownTestSuite() {
        if (!dir_.empty())
            fs::remove_all(dir_);
    }
    void SetUp() override {
        if (!fs::exists(kBtf))
            GTEST_SKIP() << "no kernel BTF at " << kBtf;
        ASSERT_TRUE(ok_) << *error_;
    }

    // Writes `body` to NAME.c in the temp dir and runs clang-16 -target bpf -fsyntax-only on it.
    static bool compiles(const std::string &name, const std::string &body) {
        fs::path file = dir_ / (name + ".c");
        std::ofstream(file) << body;
        std::string cmd = "clang-16 -target bpf -fsyntax-only -Werror=macro-redefined -I" +
                          dir_.string() + " " + file.string() + " 2> " + (dir_ / (name + ".err")).string();
        return std::system(cmd.c_str()) == 0;
    }
    static std::string errors(const std::string &name) {
        std::ifstream in(dir_ / (name + ".err"));
        return std::string(std::istreambuf_iterator<char>(in), {}).substr(0, 4000);
    }

    static inline fs::path dir_;
    static inline bool ok_ = false;
    static inline double ms_ = 0;
    static inline std::string *header_ = new std::string, *error_ = new std::string;
};

} // namespace

TEST_F(KernelTypes, HeaderHasKernelTypesAndGuards) {
    const std::string &h = *header_;
    EXPECT_EQ(h.rfind("#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n", 0), 0u);
    EXPECT_NE(h.find("#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)"),
              std::string::npos);
    EXPECT_NE(h.find("#pragma clang attribute pop"), std::string::npos);
    EXPECT_NE(h.find("#ifndef BPF_NO_PRESERVE_ACCESS_INDEX"), std::string::npos);
    EXPECT_NE(h.find("struct task_struct {"), std::string::npos);
    EXPECT_NE(h.find("struct trace_event_raw_sched_switch"), std::string::npos);
    EXPECT_GT(h.size(), 1000000u);
    RecordProperty("generate_ms", std::to_string(ms_));
    EXPECT_LT(ms_, 2000) << "target is < 400 ms on an idle machine";
}

TEST_F(KernelTypes, HeaderCompilesForBpf) {
    EXPECT_TRUE(compiles("plain", "#include \"vmlinux.h\"\n"
                                  "int f(struct task_struct *t) { return t->pid; }\n"))
        << errors("plain");
    EXPECT_FALSE(compiles("broken", "#include \"vmlinux.h\"\nstruct task_struct t = ;\n"));
}

// The split header is the same C: top + parts, written out, compile exactly like the whole.
TEST_F(KernelTypes, SplitHeaderCompilesLikeTheWhole) {
    SplitHeader split = splitVmlinuxHeader(*header_, 32 * 1024);
    ASSERT_GT(split.parts.size(), 20u) << "a 2.8 MB header in 32 KB parts";
    fs::path split_dir = dir_ / "split";
    fs::create_directories(split_dir);
    std::ofstream(split_dir / "vmlinux.h") << split.top;
    std::string joined;
    for (std::size_t i = 0; i < split.parts.size(); ++i) {
        EXPECT_GE(split.parts[i].size() + 1, i + 1 < split.parts.size() ? 32u * 1024 : 1u);
        EXPECT_LT(split.parts[i].size(), 256u * 1024) << "cut near the size asked for";
        std::ofstream(split_dir / vmlinuxPartName(i)) << split.parts[i];
        joined += split.parts[i];
    }
    // Prologue + parts + epilogue is the whole header, byte for byte.
    std::size_t at = header_->find(split.parts[0]);
    ASSERT_NE(at, std::string::npos);
    EXPECT_EQ(header_->compare(at, joined.size(), joined), 0) << "parts are the body, in order";
    EXPECT_TRUE(split.top.starts_with(header_->substr(0, at)));
    EXPECT_TRUE(split.top.ends_with(header_->substr(at + joined.size())));
    EXPECT_NE(split.top.find("#include \"part-000.h\""), std::string::npos) << split.top;
    EXPECT_NE(split.top.find("#pragma clang attribute pop"), std::string::npos);
    EXPECT_TRUE(compiles("split", "#include \"split/vmlinux.h\"\n"
                                  "int f(struct task_struct *t) { return t->pid; }\n"
                                  "int g(struct sock *s) { return s->__sk_common.skc_family; }\n"))
        << errors("split");
}

// Cuts come only at blank lines outside braces, whatever the part size asked for; a header not
// in generate's shape is returned whole.
TEST_F(KernelTypes, SplitCutsOnlyAtBlankLinesOutsideBraces) {
    std::size_t first = header_->find("typedef ");
    std::size_t last = header_->rfind("\n#ifndef BPF_NO_PRESERVE_ACCESS_INDEX");
    ASSERT_NE(first, std::string::npos);
    ASSERT_NE(last, std::string::npos);
    std::string body = "struct s {\n\n\tint x;\n};\n\ntypedef int a;\n\nenum e { E = 1 };\n";
    std::string header = header_->substr(0, first) + body + header_->substr(last);
    SplitHeader split = splitVmlinuxHeader(header, 1);
    EXPECT_EQ(split.parts, (std::vector<std::string>{"struct s {\n\n\tint x;\n};\n\n",
                                                     "typedef int a;\n\n", "enum e { E = 1 };\n"}));
    EXPECT_EQ(split.top, header_->substr(0, first) +
                             "#include \"part-000.h\"\n#include \"part-001.h\"\n"
                             "#include \"part-002.h\"\n" + header_->substr(last));
    SplitHeader none = splitVmlinuxHeader("struct x {};\n", 4);
    EXPECT_EQ(none.top, "struct x {};\n");
    EXPECT_TRUE(none.parts.empty());
}

TEST_F(KernelTypes, SplitPartsEndBetweenDeclarations) {
    SplitHeader split = splitVmlinuxHeader(*header_, 4096);
    ASSERT_GT(split.parts.size(), 100u);
    for (const auto &part : split.parts) {
        long depth = 0;
        for (char c : part)
            depth += (c == '{') - (c == '}');
        EXPECT_EQ(depth, 0) << "a part cut inside a declaration:\n" << part.substr(part.size() - 200);
    }
}

TEST_F(KernelTypes, MissingBtfIsAnError) {
    auto header = generateVmlinuxHeader("/nonexistent/vmlinux");
    ASSERT_FALSE(header.ok());
    EXPECT_NE(header.status().msg().find("/nonexistent/vmlinux"), std::string::npos) << header.status().msg();
}

TEST_F(KernelTypes, DigestOfBtfIsStable) {
    std::string a = fileDigest(kBtf);
    EXPECT_EQ(a.size(), 64u);
    EXPECT_EQ(a, fileDigest(kBtf));
}

TEST_F(KernelTypes, CompatMacrosCompileAfterAndBeforeVmlinux) {
    const std::string use = "int use(void) { return TASK_RUNNING + PAGE_SIZE + AF_INET6 + O_CREAT"
                            " + MKDEV(8, 1) + ETH_P_IP + NSEC_PER_SEC + TASK_COMM_LEN"
                            " + TCP_ESTABLISHED + IPPROTO_TCP; }\n"
                            "int sk(struct sock *s) { return s->sk_family + s->sk_dport; }\n";
    std::string after = "#include \"vmlinux.h\"\n" + kernelCompatMacros(*header_) + use;
    EXPECT_TRUE(compiles("macros_after", after)) << errors("macros_after");
    std::string before = std::string(kernelCompatMacros()) + "#include \"vmlinux.h\"\n" +
                         "int use(void) { return TASK_RUNNING + PAGE_SIZE + O_CREAT; }\n";
    EXPECT_TRUE(compiles("macros_before", before)) << errors("macros_before");
}

TEST_F(KernelTypes, MaybeEnumMacrosAreLeftToBtfWhenEnumerators) {
    std::string text = kernelCompatMacros(*header_);
    // On this kernel these are enumerators in BTF: defining them would shadow the enum.
    if (header_->find("\tTASK_COMM_LEN = ") != std::string::npos) {
        EXPECT_EQ(text.find("TASK_COMM_LEN"), std::string::npos);
    }
    if (header_->find("\tTCP_ESTABLISHED = ") != std::string::npos) {
        EXPECT_EQ(text.find("TCP_ESTABLISHED"), std::string::npos);
    }
    EXPECT_NE(kernelCompatMacros("").find("#define TASK_COMM_LEN 16"), std::string::npos);
}

// Every tracepoint of this kernel: its args struct compiles after vmlinux.h and each member sits
// at the format's offset with the format's size.
TEST_F(KernelTypes, AllTracepointStructsCompileWithExactOffsets) {
    if (!fs::exists(std::string(kTracefs) + "/events"))
        mount("nodev", kTracefs, "tracefs", 0, nullptr);
    auto all = jitprobe::common::listTracepoints(kTracefs);
    if (all.empty())
        GTEST_SKIP() << "tracefs not available";
    std::string src = "#include \"vmlinux.h\"\n" + kernelCompatMacros(*header_);
    for (const auto &tp : all) {
        auto colon = tp.find(':');
        auto parsed = jitprobe::common::readTracepointFormat(kTracefs, tp.substr(0, colon), tp.substr(colon + 1));
        ASSERT_TRUE(parsed.ok()) << parsed.status().msg();
        const TracepointFormat &f = *parsed;
        src += tracepointStructDefinition(f);
        std::string tag = "struct tracepoint__" + f.category + "__" + f.event;
        for (const auto &fld : f.fields)
            src += "_Static_assert(__builtin_offsetof(" + tag + ", " + fld.name + ") == " +
                   std::to_string(fld.offset) + ", \"" + tp + " " + fld.name + "\");\n" +
                   "_Static_assert(sizeof(((" + tag + " *)0)->" + fld.name + ") == " +
                   std::to_string(fld.size) + ", \"size of " + tp + " " + fld.name + "\");\n";
    }
    EXPECT_TRUE(compiles("tracepoints", src)) << errors("tracepoints");
}
