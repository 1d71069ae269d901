// uprobes as root on binaries someone could swap: the attach must land on the inode whose
// symbols were read, and a binary other users can replace is refused.
#include "LiveSupport.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

using namespace jitprobe;
using namespace jitprobe::testing;
namespace fs = std::filesystem;

namespace {

const char *kCount = R"(
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1);
         __type(key, __u32); __type(value, __u64); } calls SEC(".maps");
SEC("uprobe") int on_add(struct pt_regs *ctx) {
    __u32 k = 0; __u64 *v = bpf_map_lookup_elem(&calls, &k);
    if (v) __sync_fetch_and_add(v, 1);
    return 0;
}
)";

struct TempDir {
    std::string path;
    explicit TempDir(mode_t mode) {
        char tmpl[] = "/tmp/jp-uprobe-trust.XXXXXX";
        path = ::mkdtemp(tmpl) ? tmpl : "";
        ::chmod(path.c_str(), mode);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

int runBinary(const std::string &path, int n) {
    pid_t pid = ::fork();
    if (pid == 0) {
        int devnull = ::open("/dev/null", O_WRONLY);
        ::dup2(devnull, 1);
        std::string arg = std::to_string(n);
        ::execl(path.c_str(), path.c_str(), arg.c_str(), static_cast<char *>(nullptr));
        ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return status;
}

uint64_t calls(BPF &bpf) {
    uint64_t v = ~0ull;
    EXPECT_TRUE(bpf.get_array_table<uint64_t>("calls").get_value(0, v).ok());
    return v;
}

Status initCounter(BPF &bpf) {
    std::string err;
    auto elf = compileBpfC(kCount, {}, err);
    if (elf.empty())
        return Status(-1, "clang failed: " + err);
    return bpf.init_object(std::move(elf), {});
}

} // namespace

// A thread keeps renaming two binaries onto one path: the target (which has jp_target_add) and
// /bin/true (which has not). Before the fix the symbol was read from one and the kernel attached
// to the other, 78 of 300 times. Every attach that succeeds must count calls in the target.
TEST(LiveUprobeTrust, SwappingTheBinaryCannotRedirectTheAttach) {
    JP_REQUIRE_BPF_PRIVILEGES();
    TempDir dir(0700);
    ASSERT_FALSE(dir.path.empty());
    const std::string a = dir.path + "/a", b = dir.path + "/b", path = dir.path + "/target";
    fs::copy_file(UPROBE_TARGET, a);
    fs::copy_file("/bin/true", b);
    ::chmod(a.c_str(), 0755);
    ASSERT_EQ(::link(a.c_str(), path.c_str()), 0);
    std::atomic<bool> stop{false};
    std::thread swapper([&] {
        for (unsigned i = 0; !stop; i++) {
            std::string tmp = dir.path + "/tmp";
            ::unlink(tmp.c_str()); // rename() of two links to one inode leaves TMP in place
            if (::link((i % 2 ? a : b).c_str(), tmp.c_str()) == 0)
                ::rename(tmp.c_str(), path.c_str());
        }
    });
    BPF bpf;
    Status s = initCounter(bpf);
    int attached = 0, wrong = 0;
    std::string last_error;
    // 300 attempts that succeed or fail by the race, plus more (up to 10 s) should a busy machine
    // leave the swapper descheduled with /bin/true in place: at least 20 attaches must land.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    auto more = [&] { return attached < 20 && std::chrono::steady_clock::now() < deadline; };
    for (int i = 0; s.ok() && (i < 300 || more()); i++) {
        if (Status a = bpf.attach_uprobe(path, "jp_target_add", "on_add"); !a.ok()) {
            last_error = a.msg();
            std::this_thread::sleep_for(std::chrono::microseconds(200));
            continue;
        }
        attached++;
        uint64_t before = calls(bpf);
        if (runBinary(a, 3) != 0 || calls(bpf) != before + 3)
            wrong++;
        EXPECT_TRUE(bpf.detach_uprobe(path, "jp_target_add").ok());
    }
    stop = true;
    swapper.join();
    ASSERT_TRUE(s.ok()) << s.msg();
    EXPECT_GE(attached, 20) << last_error;
    EXPECT_EQ(wrong, 0) << wrong << " of " << attached << " attaches missed the resolved binary";
}

TEST(LiveUprobeTrust, BinaryInADirectoryOthersMayWriteIsRefusedAsRoot) {
    JP_REQUIRE_BPF_PRIVILEGES();
    if (::geteuid() != 0)
        GTEST_SKIP() << "the ownership checks apply to root only";
    TempDir dir(0777);
    const std::string binary = dir.path + "/target";
    fs::copy_file(UPROBE_TARGET, binary);
    BPF bpf;
    ASSERT_TRUE(initCounter(bpf).ok());
    Status s = bpf.attach_uprobe(binary, "jp_target_add", "on_add");
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), EPERM);
    EXPECT_NE(s.msg().find(dir.path + " is writable by group or others (mode 0777)"),
              std::string::npos)
        << s.msg();
    EXPECT_NE(s.msg().find("'" + binary + "'"), std::string::npos) << s.msg();

    // The same binary in a private directory but owned by another user: refused too.
    ::chmod(dir.path.c_str(), 0700);
    ASSERT_EQ(::chown(binary.c_str(), 65534, 65534), 0);
    s = bpf.attach_uprobe(binary, "jp_target_add", "on_add");
    EXPECT_EQ(s.code(), EPERM) << s.msg();
    EXPECT_NE(s.msg().find("owned by uid 65534"), std::string::npos) << s.msg();

    ASSERT_EQ(::chown(binary.c_str(), 0, 0), 0);
    s = bpf.attach_uprobe(binary, "jp_target_add", "on_add");
    EXPECT_TRUE(s.ok()) << s.msg();
}
