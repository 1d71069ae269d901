#include "jitprobe/frontend/ProcessPipe.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <unistd.h>

namespace jitprobe::frontend {

bool writeAll(int fd, const std::string &data) {
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        done += static_cast<size_t>(n);
    }
    return true;
}

std::string readAll(int fd) {
    std::string data;
    char buffer[65536];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof(buffer));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return data;
        data.append(buffer, static_cast<size_t>(n));
    }
}

std::string diagnosticsToJson(const std::vector<Diagnostic> &diags) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto &d : diags)
        list.push_back({{"severity", static_cast<int>(d.severity)},
                        {"file", d.loc.file},
                        {"line", d.loc.line},
                        {"column", d.loc.column},
                        {"message", d.message},
                        {"source_line", d.source_line},
                        {"hint", d.hint}});
    return list.dump();
}

bool diagnosticsFromJson(const std::string &text, std::vector<Diagnostic> &out) {
    auto list = nlohmann::json::parse(text, nullptr, false);
    if (list.is_discarded() || !list.is_array())
        return false;
    std::vector<Diagnostic> parsed;
    try {
        for (const auto &d : list)
            parsed.push_back({static_cast<Diagnostic::Severity>(d.at("severity").get<int>()),
                              {d.at("file"), d.at("line"), d.at("column")},
                              d.at("message"),
                              d.at("source_line"),
                              d.at("hint")});
    } catch (const nlohmann::json::exception &) {
        return false;
    }
    out.insert(out.end(), parsed.begin(), parsed.end());
    return true;
}

std::string encodeCompileRequest(const std::string &source, const CompileOptions &o) {
    nlohmann::json head{{"file_name", o.file_name},
                        {"cflags", o.cflags},
                        {"kernel_btf_path", o.kernel_btf_path},
                        {"tracefs_path", o.tracefs_path},
                        {"cache_dir", o.cache_dir},
                        {"want_ir", o.want_ir},
                        {"want_asm", o.want_asm},
                        {"stop_after_rewrite", o.stop_after_rewrite},
                        {"want_core_btf", o.want_core_btf},
                        {"require_programs", o.require_programs},
                        {"source_size", source.size()}};
    return head.dump() + "\n" + source;
}

bool decodeCompileRequest(const std::string &bytes, std::string &source, CompileOptions &o) {
    size_t newline = bytes.find('\n');
    if (newline == std::string::npos)
        return false;
    auto head = nlohmann::json::parse(bytes.substr(0, newline), nullptr, false);
    if (head.is_discarded() || !head.is_object())
        return false;
    try {
        if (head.at("source_size").get<size_t>() != bytes.size() - newline - 1)
            return false;
        o.file_name = head.at("file_name");
        o.cflags = head.at("cflags").get<std::vector<std::string>>();
        o.kernel_btf_path = head.at("kernel_btf_path");
        o.tracefs_path = head.at("tracefs_path");
        o.cache_dir = head.at("cache_dir");
        o.want_ir = head.at("want_ir");
        o.want_asm = head.at("want_asm");
        o.stop_after_rewrite = head.at("stop_after_rewrite");
        o.want_core_btf = head.at("want_core_btf");
        o.require_programs = head.at("require_programs");
    } catch (const nlohmann::json::exception &) {
        return false;
    }
    source = bytes.substr(newline + 1);
    return true;
}

std::string encodeCompileResult(const CompileResult &r) {
    const CompileTimes &t = r.times;
    nlohmann::json head{
        {"ok", r.ok},
        {"diags", diagnosticsToJson(r.diagnostics)},
        {"info", r.info.toJson()},
        {"times", {t.kernel_types_ms, t.parse_ms, t.rewrite_ms, t.codegen_ms, t.core_btf_ms}},
        {"core_btf_note", r.core_btf_note},
        {"disk_files", r.disk_files},
        {"sizes",
         {r.object.size(), r.rewritten.size(), r.ir.size(), r.asm_text.size(), r.core_btf.size()}}};
    std::string out = head.dump() + "\n";
    out.append(r.object.begin(), r.object.end());
    out += r.rewritten + r.ir + r.asm_text;
    out.append(r.core_btf.begin(), r.core_btf.end());
    return out;
}

namespace {

bool decodeHead(const nlohmann::json &head, CompileResult &r) {
    auto times = head.at("times").get<std::vector<double>>();
    if (times.size() != 5)
        return false;
    r.ok = head.at("ok").get<bool>();
    if (!diagnosticsFromJson(head.at("diags").get<std::string>(), r.diagnostics))
        return false;
    if (!ProgramInfo::fromJson(head.at("info").get<std::string>(), r.info))
        return false;
    r.times = {times[0], times[1], times[2], times[3], times[4]};
    r.core_btf_note = head.at("core_btf_note");
    r.disk_files = head.at("disk_files").get<std::vector<std::string>>();
    return true;
}

} // namespace

namespace {

constexpr const char *kPartNames[] = {"object", "rewritten", "ir", "asm", "core_btf"};

std::string mib(size_t bytes) {
    return std::to_string(bytes >> 20) + " MiB";
}

// The five part sizes of HEAD; false if absent or malformed.
bool partSizes(const nlohmann::json &head, std::vector<size_t> &sizes) {
    auto it = head.find("sizes");
    if (it == head.end() || !it->is_array() || it->size() != 5)
        return false;
    sizes.clear();
    for (const auto &s : *it) {
        if (!s.is_number_unsigned())
            return false;
        sizes.push_back(s.get<size_t>());
    }
    return true;
}

// Checked: wrapped sums once matched a short body and then copied 2^63 bytes.
bool checkedSum(const std::vector<size_t> &sizes, size_t &total) {
    total = 0;
    for (size_t n : sizes)
        if (__builtin_add_overflow(total, n, &total))
            return false;
    return true;
}

} // namespace

Result<size_t> replyBodySize(const std::string &header, const ReplyLimits &limits) {
    auto head = nlohmann::json::parse(header, nullptr, false);
    if (head.is_discarded() || !head.is_object() || !head.contains("sizes"))
        return size_t(0); // a failure record, or garbage that decoding rejects
    std::vector<size_t> sizes;
    if (!partSizes(head, sizes))
        return Status(EPROTO, "reply header has malformed part sizes");
    for (size_t i = 0; i < sizes.size(); i++)
        if (sizes[i] > limits.max_part)
            return Status(EFBIG, "reply part '" + std::string(kPartNames[i]) + "' of " + std::to_string(sizes[i]) +
                                     " bytes exceeds the " + mib(limits.max_part) + " cap");
    size_t body = 0;
    if (!checkedSum(sizes, body))
        return Status(EOVERFLOW, "reply part sizes overflow when added");
    if (body > limits.max_total)
        return Status(EFBIG, "reply of " + std::to_string(body) + " bytes exceeds the " + mib(limits.max_total) + " cap");
    return body;
}

bool decodeCompileResult(const std::string &bytes, CompileResult &r) {
    size_t newline = bytes.find('\n');
    if (newline == std::string::npos)
        return false;
    auto head = nlohmann::json::parse(bytes.substr(0, newline), nullptr, false);
    std::vector<size_t> sizes;
    size_t total = 0;
    if (head.is_discarded() || !head.is_object() || !partSizes(head, sizes) ||
        !checkedSum(sizes, total) || bytes.size() - newline - 1 != total)
        return false;
    try {
        if (!decodeHead(head, r))
            return false;
        const char *p = bytes.data() + newline + 1;
        r.object.assign(p, p + sizes[0]);
        p += sizes[0];
        r.rewritten.assign(p, sizes[1]);
        p += sizes[1];
        r.ir.assign(p, sizes[2]);
        p += sizes[2];
        r.asm_text.assign(p, sizes[3]);
        p += sizes[3];
        r.core_btf.assign(p, p + sizes[4]);
    } catch (const nlohmann::json::exception &) {
        return false;
    }
    return true;
}

std::string encodeCompileFailure(int code, const std::string &message) {
    return nlohmann::json{{"error_code", code}, {"error", message}}.dump() + "\n";
}

bool decodeCompileFailure(const std::string &bytes, int &code, std::string &message) {
    auto head = nlohmann::json::parse(bytes.substr(0, bytes.find('\n')), nullptr, false);
    if (head.is_discarded() || !head.is_object() || !head.contains("error"))
        return false;
    code = head.value("error_code", -1);
    message = head.value("error", std::string());
    return true;
}

} // namespace jitprobe::frontend
