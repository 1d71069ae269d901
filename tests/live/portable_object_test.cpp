// Portable objects end to end: `jitprobe build` then `run`/`check`/`dump` of the .jpo with no
// compiler reachable and no LLVM mapped; the C++ API's write_object_file + init_file reading
// task_struct fields through CO-RE (exact values); bad files refused with the file and reason.
#include "LiveSupport.h"
#include "ProcessRunner.h"
#include "jitprobe/BPF.h"

#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

using namespace jitprobe;
using jitprobe::testing::readWholeFile;
namespace fs = std::filesystem;

namespace {

const std::string kCli = jitprobe::testing::cliPath();

// STEP comes from -D at build time: the .jpo carries what the build was given.
const char *kProbe = R"(BPF_HASH(counts, u32, u64);
BPF_HASH(parents, u32, u32);
TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {
    struct task_struct *t = (struct task_struct *)bpf_get_current_task();
    u32 pid = t->tgid;
    u32 ppid = t->real_parent->tgid;
    counts.increment(pid, STEP);
    parents.update(&pid, &ppid);
    return 0;
}
)";

struct PortableFixture : ::testing::Test {
    std::string dir, probe, jpo;
    void SetUp() override {
        JP_REQUIRE_BPF_PRIVILEGES();
        char tmpl[] = "/tmp/jp_live_jpo.XXXXXX";
        dir = ::mkdtemp(tmpl);
        probe = dir + "/probe.c";
        jpo = dir + "/probe.jpo";
        std::ofstream(probe) << kProbe;
    }
    void TearDown() override {
        std::error_code ec;
        if (!dir.empty())
            fs::remove_all(dir, ec);
    }
    // stdout + stderr of the CLI with its cache in our temp dir; ENV: extra VAR=VALUE words.
    std::string cli(const std::string &args, const std::string &env = "", int *status = nullptr) {
        return jitprobe::testing::shellOutput("env JITPROBE_CACHE_DIR=" + dir + "/cache" + " " +
                                                  env + " " + kCli + " " + args,
                                              status);
    }
};

bool has(const std::string &text, const std::string &what) {
    return text.find(what) != std::string::npos;
}

void callGetppid(int n) {
    for (int i = 0; i < n; i++)
        ::syscall(SYS_getppid);
}

} // namespace

TEST_F(PortableFixture, CliRunsAndChecksAJpoWithoutTheCompiler) {
    int rc = -1;
    std::string built = cli("build " + probe + " -D STEP=1", "", &rc);
    ASSERT_EQ(rc, 0) << built;
    EXPECT_TRUE(has(built, "wrote " + jpo)) << built; // default name: probe.c -> probe.jpo
    ASSERT_TRUE(fs::is_regular_file(jpo));
    fs::remove_all(dir + "/cache"); // nothing cached may help the run below
    // No compiler to find, and the loader's log of every library mapped: none of LLVM's.
    const std::string no_compiler =
        "JITPROBE_COMPILER=/nonexistent/jitprobe-compiler LD_DEBUG=files";
    std::string ran =
        cli("run --time-phases --format json " + jpo + " -c /bin/true", no_compiler, &rc);
    ASSERT_EQ(rc, 0) << ran;
    EXPECT_TRUE(has(ran, "attached tracepoint syscalls:sys_enter_getppid")) << ran;
    EXPECT_TRUE(has(ran, "\"name\":\"counts\"")) << ran;
    EXPECT_TRUE(has(ran, "\"frontend_loaded\":false")) << ran;
    for (const char *lib : {"libjitprobe-frontend", "libLLVM", "libclang", "jitprobe-compiler"})
        EXPECT_FALSE(has(ran, lib)) << lib << " was mapped or started:\n" << ran;
    EXPECT_FALSE(fs::exists(dir + "/cache/objects") && !fs::is_empty(dir + "/cache/objects"))
        << "running a .jpo stored a cache entry";

    std::string checked = cli("check " + jpo, no_compiler, &rc);
    EXPECT_EQ(rc, 0) << checked;
    EXPECT_TRUE(has(checked, "tracepoint__syscalls__sys_enter_getppid: tracepoint")) << checked;
    EXPECT_TRUE(has(checked, "verified")) << checked;
    std::string dumped = cli("dump --rewritten " + jpo, no_compiler, &rc);
    EXPECT_EQ(rc, 0) << dumped;
    EXPECT_TRUE(has(dumped, "SEC(\"tracepoint/syscalls/sys_enter_getppid\")")) << dumped;
    EXPECT_EQ((cli("dump --asm " + jpo, no_compiler, &rc), rc >> 8), 2);
    // Compile options are compiled in: given at run time they are an error, not ignored.
    std::string late = cli("run " + jpo + " -D STEP=2", no_compiler, &rc);
    EXPECT_EQ(rc >> 8, 1);
    EXPECT_TRUE(has(late, "give -D/-I/-p (TARGET_PID) to `jitprobe build`")) << late;
}

TEST_F(PortableFixture, CliRefusesBadFilesNamingFileAndReason) {
    int rc = -1;
    ASSERT_EQ((cli("build " + probe + " -D STEP=1 -o " + jpo, "", &rc), rc), 0);
    std::string bytes = readWholeFile(jpo);
    std::string forged = dir + "/forged.jpo", cut = dir + "/cut.jpo";
    std::string flipped = bytes;
    flipped[bytes.size() / 2] ^= 0x20;
    std::ofstream(forged, std::ios::binary) << flipped;
    std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() - 7);
    std::string out = cli("run " + forged, "", &rc);
    EXPECT_EQ(rc >> 8, 1);
    EXPECT_TRUE(has(out, forged + ": SHA-256 mismatch")) << out;
    out = cli("check " + cut, "", &rc);
    EXPECT_EQ(rc >> 8, 1);
    EXPECT_TRUE(has(out, cut + ": section lengths do not match")) << out;
    std::string renamed = dir + "/probe.bin"; // the loader is chosen by the .jpo suffix
    fs::copy_file(jpo, renamed);
    out = cli("check " + renamed, "", &rc);
    EXPECT_EQ(rc >> 8, 1);
    EXPECT_TRUE(has(out, renamed + ": a jitprobe portable object, not C source")) << out;
    out = cli("run " + probe + ".jpo", "", &rc); // missing
    EXPECT_EQ(rc >> 8, 1);
    EXPECT_TRUE(has(out, probe + ".jpo: cannot open the portable object")) << out;
}

TEST_F(PortableFixture, CppApiWritesAndLoadsReadingTaskFieldsThroughCore) {
    {
        BPF builder;
        InitOptions opts;
        opts.cache_dir = dir + "/cache";
        opts.load_programs = false;
        Status s = builder.init(kProbe, {"-DSTEP=3"}, opts);
        ASSERT_TRUE(s.ok()) << s.msg();
        ASSERT_TRUE(builder.write_object_file(jpo).ok());
    }
    BPF bpf;
    Status s = bpf.init_file(jpo);
    ASSERT_TRUE(s.ok()) << s.msg();
    EXPECT_FALSE(bpf.phase_times().frontend_loaded);
    EXPECT_EQ(bpf.init_file(jpo).code(), EBUSY);
    ASSERT_TRUE(bpf.attach_all().ok());
    callGetppid(4);
    ASSERT_TRUE(bpf.detach_all().ok());
    auto counts = bpf.get_hash_table<uint32_t, uint64_t>("counts");
    auto parents = bpf.get_hash_table<uint32_t, uint32_t>("parents");
    EXPECT_EQ(counts[uint32_t(::getpid())], 12u); // 4 calls x STEP=3, fixed at build time
    EXPECT_EQ(parents[uint32_t(::getpid())], uint32_t(::getppid()));
    // Written again from a loaded portable object, it loads again.
    std::string again = dir + "/again.jpo";
    ASSERT_TRUE(bpf.write_object_file(again).ok());
    BPF third;
    Status t = third.init_file(again);
    EXPECT_TRUE(t.ok()) << t.msg();
}

// The kprobe-form example (run in the VM by scripts/vmtest.sh; this kernel has no kprobes):
// built into a .jpo, both programs pass this kernel's verifier from it.
TEST_F(PortableFixture, KprobeExampleBuildsAndVerifiesFromItsJpo) {
    int rc = -1;
    std::string built =
        cli("build " JITPROBE_SOURCE_DIR "/examples/opensnoop_kprobe.c -o " + jpo, "", &rc);
    ASSERT_EQ(rc, 0) << built;
    std::string checked = cli("check --format json " + jpo, "JITPROBE_COMPILER=/nonexistent", &rc);
    EXPECT_EQ(rc, 0) << checked;
    for (const char *prog : {"kprobe__do_sys_openat2", "kretprobe__do_sys_openat2"})
        EXPECT_TRUE(has(checked, std::string("{\"type\":\"program\",\"name\":\"") + prog +
                                     "\",\"prog_type\":\"kprobe\""))
            << checked;
}
