#include "LiveSupport.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <dirent.h>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace jitprobe::testing {

const char *kPreamble = R"(
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
char LICENSE[] SEC("license") = "GPL";
#define BUMP(map, key) do { __u32 k_ = (key); __u64 one_ = 1; \
    __u64 *v_ = bpf_map_lookup_elem(&map, &k_); \
    if (v_) __sync_fetch_and_add(v_, 1); else bpf_map_update_elem(&map, &k_, &one_, BPF_NOEXIST); \
  } while (0)
)";

std::string missingBpfPrivileges() {
    if (::geteuid() == 0)
        return "";
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (::syscall(SYS_capget, &header, data) != 0)
        return "capget failed; assuming no BPF privileges";
    auto has = [&](int cap) { return (data[cap / 32].effective >> (cap % 32)) & 1; };
    if (has(39 /* CAP_BPF */) || has(CAP_SYS_ADMIN))
        return "";
    return "needs root or CAP_BPF/CAP_SYS_ADMIN to load BPF programs (euid " +
           std::to_string(::geteuid()) + ")";
}

std::vector<uint8_t> compileBpfC(const std::string &source, const std::vector<std::string> &defines,
                                 std::string &error) {
    char dir_template[] = "/tmp/jp-live-XXXXXX";
    const char *dir = ::mkdtemp(dir_template);
    if (!dir) {
        error = "mkdtemp failed";
        return {};
    }
    std::string d = dir;
    std::ofstream(d + "/prog.c") << kPreamble << source;
    std::string cmd = "clang-16 -O2 -g -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 "
                      "-I/usr/include/x86_64-linux-gnu";
    for (const auto &def : defines)
        cmd += " '-D" + def + "'";
    cmd += " -c " + d + "/prog.c -o " + d + "/prog.o > " + d + "/err.txt 2>&1";
    int rc = std::system(cmd.c_str());
    std::vector<uint8_t> elf;
    if (rc == 0) {
        std::ifstream in(d + "/prog.o", std::ios::binary);
        elf.assign(std::istreambuf_iterator<char>(in), {});
    } else {
        error = readWholeFile(d + "/err.txt");
    }
    std::filesystem::remove_all(d);
    return elf;
}

frontend::ProgramSpec programSpec(const std::string &function, const std::string &kind,
                                  const std::string &target) {
    frontend::ProgramSpec spec;
    spec.function = function;
    spec.attach.push_back({kind, target, 0});
    return spec;
}

void openFileTimes(const std::string &path, int times) {
    for (int i = 0; i < times; i++) {
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd >= 0)
            ::close(fd);
    }
}

int countOpenFds() {
    int n = 0;
    DIR *d = ::opendir("/proc/self/fd");
    if (!d)
        return -1;
    while (struct dirent *e = ::readdir(d))
        if (e->d_name[0] != '.')
            n++;
    ::closedir(d);
    return n - 1; // the directory's own fd
}

std::string readWholeFile(const std::string &path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

int runUprobeTarget(int n) {
    pid_t pid = ::fork();
    if (pid == 0) {
        int devnull = ::open("/dev/null", O_WRONLY);
        ::dup2(devnull, 1);
        std::string arg = std::to_string(n);
        ::execl(UPROBE_TARGET, UPROBE_TARGET, arg.c_str(), static_cast<char *>(nullptr));
        ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return status;
}

std::string goServer(std::string &why) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::exists(GO_SERVER_BIN, ec) &&
        fs::last_write_time(GO_SERVER_BIN, ec) >= fs::last_write_time(GO_SERVER_SRC, ec))
        return GO_SERVER_BIN;
    if (::access("/usr/bin/go", X_OK) != 0) {
        why = "Debian's golang-go is not installed (scripts/common.sh PACKAGES)";
        return "";
    }
    const std::string bin = GO_SERVER_BIN, cache = bin + ".cache";
    fs::create_directories(fs::path(bin).parent_path(), ec);
    std::string cmd = "timeout 300 env GOCACHE='" + cache + "' GOPATH='" + cache +
                      "/gopath' GO111MODULE=off CGO_ENABLED=0 go build -o '" + bin + "' '" +
                      GO_SERVER_SRC + "' >&2";
    if (int st = std::system(cmd.c_str()); st != 0) {
        why = "go build " GO_SERVER_SRC " failed (status " + std::to_string(st) + ")";
        return "";
    }
    return bin;
}

std::string cgroup2Mount() {
    std::ifstream mounts("/proc/mounts");
    std::string dev, dir, type, rest;
    while (mounts >> dev >> dir >> type && std::getline(mounts, rest))
        if (type == "cgroup2")
            return dir;
    return "";
}

} // namespace jitprobe::testing
