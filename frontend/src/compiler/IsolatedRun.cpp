#include "compiler/IsolatedRun.h"

#include "jitprobe/common/UniqueFd.h"

#include "jitprobe/frontend/ProcessPipe.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <fcntl.h>
#include <csignal>
#include <cstring>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace jitprobe::frontend {
namespace {

using nlohmann::json;

// Child -> parent message: {"ok":bool,"diags":[...]} '\n' then the raw output bytes.
std::string encode(bool ok, const std::vector<std::uint8_t> &out, const std::vector<Diagnostic> &diags) {
    std::string head = json{{"ok", ok}, {"diags", diagnosticsToJson(diags)}}.dump() + "\n";
    return head + std::string(out.begin(), out.end());
}

bool decode(const std::string &data, std::vector<std::uint8_t> &out, std::vector<Diagnostic> &diags) {
    size_t newline = data.find('\n');
    json head = json::parse(data.substr(0, newline), nullptr, false);
    if (newline == std::string::npos || head.is_discarded() || !head.contains("diags") ||
        !diagnosticsFromJson(head["diags"].get<std::string>(), diags))
        return false;
    out.assign(data.begin() + static_cast<long>(newline) + 1, data.end());
    return head["ok"].get<bool>();
}

Diagnostic internalError(std::string message) {
    return {Diagnostic::Severity::Error, {}, "internal compiler error: " + std::move(message), "",
            "please report this with the probe source"};
}

} // namespace

bool runIsolated(const std::function<bool(std::vector<std::uint8_t> &, std::vector<Diagnostic> &)> &work,
                 std::vector<std::uint8_t> &out, std::vector<Diagnostic> &diags) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        diags.push_back(internalError(std::string("pipe: ") + std::strerror(errno)));
        return false;
    }
    common::UniqueFd read_end(fds[0]), write_end(fds[1]);
    pid_t child = ::fork();
    if (child < 0) {
        diags.push_back(internalError(std::string("fork: ") + std::strerror(errno)));
        return false;
    }
    if (child == 0) {
        read_end.reset();
        std::vector<std::uint8_t> bytes;
        std::vector<Diagnostic> child_diags;
        bool ok = work(bytes, child_diags);
        bool sent = writeAll(write_end.get(), encode(ok, bytes, child_diags));
        ::_exit(sent ? 0 : 1); // no atexit handlers or static destructors of the parent
    }
    write_end.reset(); // EOF once the child's copy goes
    std::string data = readAll(read_end.get());
    read_end.reset();
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(status)) {
        diags.push_back(internalError(std::string("code generation crashed (") +
                                      strsignal(WTERMSIG(status)) + ")"));
        return false;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || data.empty()) {
        diags.push_back(internalError("code generation process failed"));
        return false;
    }
    return decode(data, out, diags);
}

} // namespace jitprobe::frontend
