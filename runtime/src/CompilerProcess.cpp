#include "CompilerProcess.h"

#include "Errors.h"
#include "FrontendLoader.h"
#include "jitprobe/frontend/ProcessPipe.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace jitprobe::detail {
namespace {

using nlohmann::json;

// What the child sends when it could not compile at all (the frontend did not load).
std::string encodeFailure(const Status &status) {
    return json{{"error_code", status.code()}, {"error", status.msg()}}.dump() + "\n";
}

// The child: load the frontend, compile, write the result; never returns.
[[noreturn]] void childMain(int fd, const std::string &source, const frontend::CompileOptions &options) {
    std::string message;
    auto api = FrontendLoader::api();
    if (!api.ok()) {
        message = encodeFailure(api.status());
    } else {
        try {
            message = encodeCompileResult((*api)->compile(source, options));
        } catch (const std::exception &e) {
            message = encodeFailure(Status(-1, std::string("the probe compiler failed: ") + e.what()));
        }
    }
    bool sent = frontend::writeAll(fd, message);
    ::_exit(sent ? 0 : 1); // no atexit handlers or static destructors of the parent
}

Status childStatus(int status, const std::string &file) {
    if (WIFSIGNALED(status))
        return Status(-1, file + ": the probe compiler crashed (" + strsignal(WTERMSIG(status)) +
                              "); please report this with the probe source");
    return Status(-1, file + ": the probe compiler process failed (exit status " +
                          std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
}

} // namespace

std::string encodeCompileResult(const frontend::CompileResult &r) {
    json head{{"ok", r.ok},
              {"diags", frontend::diagnosticsToJson(r.diagnostics)},
              {"info", r.info.toJson()},
              {"times", {r.times.kernel_types_ms, r.times.parse_ms, r.times.rewrite_ms, r.times.codegen_ms}},
              {"sizes", {r.object.size(), r.rewritten.size(), r.ir.size(), r.asm_text.size()}}};
    std::string out = head.dump() + "\n";
    out.append(r.object.begin(), r.object.end());
    return out + r.rewritten + r.ir + r.asm_text;
}

bool decodeCompileResult(const std::string &bytes, frontend::CompileResult &r) {
    size_t newline = bytes.find('\n');
    if (newline == std::string::npos)
        return false;
    json head = json::parse(bytes.substr(0, newline), nullptr, false);
    if (head.is_discarded() || !head.contains("sizes"))
        return false;
    try {
        auto sizes = head.at("sizes").get<std::vector<size_t>>();
        auto times = head.at("times").get<std::vector<double>>();
        size_t total = 0;
        for (size_t s : sizes)
            total += s;
        if (sizes.size() != 4 || times.size() != 4 || bytes.size() - newline - 1 != total)
            return false;
        r.ok = head.at("ok").get<bool>();
        if (!frontend::diagnosticsFromJson(head.at("diags").get<std::string>(), r.diagnostics))
            return false;
        if (!frontend::ProgramInfo::fromJson(head.at("info").get<std::string>(), r.info))
            return false;
        r.times = {times[0], times[1], times[2], times[3]};
        const char *p = bytes.data() + newline + 1;
        r.object.assign(p, p + sizes[0]);
        p += sizes[0];
        r.rewritten.assign(p, sizes[1]);
        r.ir.assign(p + sizes[1], sizes[2]);
        r.asm_text.assign(p + sizes[1] + sizes[2], sizes[3]);
    } catch (const json::exception &) {
        return false;
    }
    return true;
}

Status compileInChildProcess(const std::string &source, const frontend::CompileOptions &options,
                             frontend::CompileResult &result) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        return Status(errno, options.file_name + ": cannot start the probe compiler: pipe: " +
                                 errnoText(errno));
    pid_t child = ::fork();
    if (child < 0) {
        int err = errno;
        ::close(fds[0]);
        ::close(fds[1]);
        return Status(err, options.file_name + ": cannot start the probe compiler: fork: " +
                               errnoText(err));
    }
    if (child == 0) {
        ::close(fds[0]);
        childMain(fds[1], source, options);
    }
    ::close(fds[1]);
    std::string data = frontend::readAll(fds[0]);
    ::close(fds[0]);
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return childStatus(status, options.file_name);
    json failure = json::parse(data.substr(0, data.find('\n')), nullptr, false);
    if (!failure.is_discarded() && failure.contains("error"))
        return Status(failure.value("error_code", -1), failure.value("error", std::string()));
    if (!decodeCompileResult(data, result))
        return Status(-1, options.file_name + ": the probe compiler sent an unreadable result");
    return Status::OK();
}

} // namespace jitprobe::detail
