// `// @metric` directives (see MetricDirectives.h).
#include "MetricDirectives.h"

#include <arpa/inet.h>

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <mutex>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace jitprobe::metrics {
namespace {

const char *kForm = "expected: // @metric MAP [counter|gauge|histogram|ignore] [unit=ns|us|ms|s|none] "
                    "[linear=STEP] [help=\"TEXT\"] [labels=A,B] [decode=LABEL:errno|ipv4|ipv6|comm|hex|syscall|cgroup|kstack|ustack|ksym|usym] "
                    "[value=FIELD]";

struct Cursor {
    const std::string &line;
    std::size_t pos;
    void skipSpace() {
        while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t'))
            ++pos;
    }
    bool done() {
        skipSpace();
        return pos >= line.size();
    }
    // A word up to whitespace; a help="..." value may hold spaces and \" escapes.
    Result<std::string> word() {
        std::string out;
        while (pos < line.size() && line[pos] != ' ' && line[pos] != '\t') {
            if (line[pos] == '"') {
                for (++pos; pos < line.size() && line[pos] != '"'; ++pos) {
                    if (line[pos] == '\\' && pos + 1 < line.size())
                        ++pos;
                    out += line[pos];
                }
                if (pos >= line.size())
                    return Status(EINVAL, "unterminated quote");
            } else {
                out += line[pos];
            }
            ++pos;
        }
        return out;
    }
};

std::vector<std::string> split(const std::string &s, char sep) {
    std::vector<std::string> out;
    std::stringstream in(s);
    for (std::string part; std::getline(in, part, sep);)
        out.push_back(part);
    return out;
}

bool isIdent(const std::string &s) {
    if (s.empty() || (s[0] >= '0' && s[0] <= '9'))
        return false;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_'))
            return false;
    return true;
}

// One option word; an error message (without position) when it is not one.
std::string applyWord(MetricDirective &d, const std::string &w) {
    static const std::map<std::string, double> units = {{"ns", 1e9}, {"us", 1e6}, {"ms", 1e3}, {"s", 1}, {"none", 0}};
    static const char *kinds[] = {"errno", "ipv4", "ipv6", "comm", "hex", "syscall", "cgroup", "kstack", "ustack", "ksym", "usym"};
    if (w == "counter" || w == "gauge" || w == "histogram" || w == "ignore") {
        d.type = w;
        return "";
    }
    std::size_t eq = w.find('=');
    std::string key = w.substr(0, eq), value = eq == std::string::npos ? "" : w.substr(eq + 1);
    if (key == "type" && (value == "counter" || value == "gauge" || value == "histogram")) {
        d.type = value;
    } else if (key == "unit" && units.count(value)) {
        d.divisor = units.at(value);
    } else if (key == "help" && eq != std::string::npos) {
        d.help = value;
    } else if (key == "labels" && !value.empty()) {
        d.labels = split(value, ',');
        for (const std::string &l : d.labels)
            if (!isIdent(l))
                return "bad label name '" + l + "'";
    } else if (key == "linear") {
        std::uint64_t step = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), step);
        if (ec != std::errc() || end != value.data() + value.size() || step == 0 || step > (1ull << 40))
            return "linear=STEP takes a whole number from 1 to 2^40, not '" + value + "'";
        d.linear = step;
    } else if (key == "value" && isIdent(value)) {
        d.value = value;
    } else if (key == "decode") {
        std::size_t colon = value.find(':');
        std::string kind = colon == std::string::npos ? "" : value.substr(colon + 1);
        if (colon == 0 || std::find(std::begin(kinds), std::end(kinds), kind) == std::end(kinds))
            return "bad decode '" + value + "'";
        d.decode.emplace_back(value.substr(0, colon), kind);
    } else {
        return "unknown option '" + w + "'";
    }
    return "";
}

Status lineError(const std::string &file, unsigned line, const std::string &text, std::size_t col,
                 const std::string &why) {
    frontend::Diagnostic diag{frontend::Diagnostic::Severity::Error, {file, line, unsigned(col + 1)},
                              "bad @metric directive: " + why, text, kForm};
    return Status(EINVAL, diag.str());
}

struct SyscallName {
    long nr;
    const char *name;
};
// This architecture's syscall table, generated from <asm/unistd_64.h> at build time.
constexpr SyscallName kSyscalls[] = {
#include "SyscallNames.inc"
    {-1, nullptr}};

std::string syscallName(long nr) {
    for (const SyscallName &s : kSyscalls)
        if (s.nr == nr && s.name)
            return s.name;
    return std::to_string(nr);
}

// cgroup v2 id (the directory's inode, bpf_get_current_cgroup_id) -> its path under
// /sys/fs/cgroup. The tree is walked again at most once a second, and at most 20000 directories.
std::string cgroupPath(std::uint64_t id) {
    static std::mutex mu;
    static std::map<std::uint64_t, std::string> paths;
    static std::chrono::steady_clock::time_point walked;
    std::lock_guard lock(mu);
    auto it = paths.find(id);
    if (it != paths.end())
        return it->second;
    auto now = std::chrono::steady_clock::now();
    if (now - walked < std::chrono::seconds(1))
        return std::to_string(id);
    walked = now;
    paths.clear();
    std::error_code ec;
    const std::filesystem::path root = "/sys/fs/cgroup";
    std::size_t seen = 0;
    if (struct stat st {}; ::stat(root.c_str(), &st) == 0)
        paths[st.st_ino] = "/";
    for (auto i = std::filesystem::recursive_directory_iterator(root, ec);
         !ec && i != std::filesystem::recursive_directory_iterator() && seen < 20000; i.increment(ec)) {
        if (!i->is_directory(ec) || i->is_symlink(ec))
            continue;
        ++seen;
        struct stat st {};
        if (::stat(i->path().c_str(), &st) == 0)
            paths.emplace(st.st_ino, "/" + std::filesystem::relative(i->path(), root, ec).string()); // v1: first wins
    }
    it = paths.find(id);
    return it == paths.end() ? std::to_string(id) : it->second;
}

// Where MetricDirective::cols files the word W: its key, decode= by its label.
std::string optionKey(const std::string &w) {
    if (w == "counter" || w == "gauge" || w == "histogram" || w == "ignore")
        return "type";
    std::string key = w.substr(0, w.find('='));
    if (key == "decode")
        return "decode:" + w.substr(7, w.find(':') - 7);
    return key;
}

} // namespace

Status directive_error(const MetricDirective &d, const std::string &file_name, unsigned col,
                       const std::string &why, const std::string &hint) {
    frontend::Diagnostic diag{frontend::Diagnostic::Severity::Error, {file_name, d.line, col ? col : d.col},
                              "bad @metric directive: " + why, d.source_line, hint};
    return Status(EINVAL, diag.str());
}

Result<MetricDirectives> parse_metric_directives(const std::string &source, const std::string &file_name) {
    MetricDirectives out;
    std::istringstream in(source);
    unsigned lineNo = 0;
    for (std::string line; std::getline(in, line);) {
        ++lineNo;
        std::size_t at = line.find("@metric");
        std::size_t slash = line.find("//");
        if (at == std::string::npos || slash == std::string::npos || slash > at ||
            line.find_first_not_of(" \t/", slash) != at)
            continue;
        Cursor c{line, at + 7};
        if (c.pos < line.size() && line[c.pos] != ' ' && line[c.pos] != '\t')
            continue; // @metrics..., not ours
        MetricDirective d;
        d.line = lineNo;
        d.source_line = line;
        c.skipSpace();
        std::size_t nameCol = c.pos;
        d.col = unsigned(nameCol + 1);
        auto name = c.word();
        if (!name.ok() || !isIdent(*name))
            return lineError(file_name, lineNo, line, nameCol, "expected a map name");
        d.map = *name;
        while (!c.done()) {
            std::size_t col = c.pos;
            auto w = c.word();
            if (!w.ok())
                return lineError(file_name, lineNo, line, col, w.status().msg());
            if (std::string why = applyWord(d, *w); !why.empty())
                return lineError(file_name, lineNo, line, col, why);
            d.cols[optionKey(*w)] = unsigned(col + 1);
        }
        if (out.count(d.map))
            return lineError(file_name, lineNo, line, nameCol, "a second directive for '" + d.map + "'");
        if (d.linear && !d.type.empty() && d.type != "histogram") // linear= makes a histogram
            return lineError(file_name, lineNo, line, d.cols["linear"] - 1, "linear= with type " + d.type);
        if (d.linear)
            d.type = "histogram";
        out.emplace(d.map, std::move(d));
    }
    return out;
}

std::string decode_label(const std::string &kind, const std::string &value) {
    // kstack/ustack/ksym/usym: symbolized on the thread that polls the script (metrics/StackLabels.h).
    char *end = nullptr;
    errno = 0;
    long long n = std::strtoll(value.c_str(), &end, 10);
    bool numeric = !value.empty() && end && *end == '\0' && errno == 0;
    if (kind == "errno" && numeric) {
        const char *name = strerrorname_np(static_cast<int>(n < 0 ? -n : n));
        return name ? name : value;
    }
    if (kind == "ipv4" && numeric) {
        in_addr a{static_cast<in_addr_t>(static_cast<unsigned long long>(n))};
        char buf[INET_ADDRSTRLEN];
        return inet_ntop(AF_INET, &a, buf, sizeof buf) ? buf : value;
    }
    if (kind == "comm" && numeric) {
        std::ifstream f("/proc/" + std::to_string(n) + "/comm");
        std::string comm;
        return std::getline(f, comm) ? comm : value;
    }
    if (kind == "syscall" && numeric)
        return syscallName(static_cast<long>(n));
    if (kind == "cgroup" && numeric)
        return cgroupPath(static_cast<std::uint64_t>(n));
    if (kind == "hex" && numeric) {
        std::ostringstream o;
        o << "0x" << std::hex << static_cast<unsigned long long>(n);
        return o.str();
    }
    if (kind == "ipv6") { // a list of 16 byte values: "[32, 1, ...]"
        std::vector<std::string> parts = split(value.substr(value.empty() ? 0 : 1), ',');
        if (parts.size() != 16)
            return value;
        in6_addr a{};
        for (int i = 0; i < 16; ++i)
            a.s6_addr[i] = static_cast<unsigned char>(std::strtoul(parts[i].c_str(), nullptr, 10));
        char buf[INET6_ADDRSTRLEN];
        return inet_ntop(AF_INET6, &a, buf, sizeof buf) ? buf : value;
    }
    return value;
}

} // namespace jitprobe::metrics
