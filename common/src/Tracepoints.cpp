// Tracefs tracepoints: the list (a std::filesystem walk of TRACEFS/events; errors such as a
// category removed mid-walk skip that entry) and format files ("field:TYPE NAME;\toffset:N;
// \tsize:N;\tsigned:N;").
#include "jitprobe/common/Tracepoints.h"

#include "jitprobe/common/CloseMatches.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace jitprobe::common {
namespace fs = std::filesystem;
namespace {

std::string trim(const std::string &s) {
    std::size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

bool isIdent(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// "offset:8;\tsize:4;" -> value of key, or false when absent/garbled.
bool numberAfter(const std::string &line, const std::string &key, unsigned &value) {
    std::size_t at = line.find("\t" + key + ":");
    at = at == std::string::npos ? line.find(" " + key + ":") : at;
    at = at == std::string::npos ? line.find(";" + key + ":") : at;
    if (at == std::string::npos)
        return false;
    std::size_t p = at + key.size() + 2;
    if (p >= line.size() || !std::isdigit(static_cast<unsigned char>(line[p])))
        return false;
    value = unsigned(std::stoul(line.substr(p)));
    return true;
}

// "const char * filename" -> type "const char *", name "filename"; "char comm[16]" -> "char[16]".
bool splitDeclaration(const std::string &decl, std::string &type, std::string &name) {
    std::string d = trim(decl), dims;
    while (!d.empty() && d.back() == ']') {
        std::size_t open = d.rfind('[');
        if (open == std::string::npos)
            return false;
        dims = d.substr(open) + dims;
        d = trim(d.substr(0, open));
    }
    std::size_t end = d.size(), begin = end;
    while (begin > 0 && isIdent(d[begin - 1]))
        --begin;
    if (begin == end || begin == 0 || std::isdigit(static_cast<unsigned char>(d[begin])))
        return false;
    name = d.substr(begin);
    type = trim(d.substr(0, begin)) + dims;
    return true;
}

Status parseFieldLine(const std::string &line, TracepointField &f) {
    std::size_t start = line.find("field:") + 6, semi = line.find(';', start);
    unsigned is_signed = 0;
    if (semi == std::string::npos || !splitDeclaration(line.substr(start, semi - start), f.type, f.name) ||
        !numberAfter(line, "offset", f.offset) || !numberAfter(line, "size", f.size)) {
        return Status(EINVAL, "malformed field line in tracepoint format: '" + trim(line) + "'");
    }
    numberAfter(line, "signed", is_signed); // absent on old kernels
    f.is_signed = is_signed != 0;
    f.data_loc = f.type.starts_with("__data_loc");
    return Status::OK();
}

} // namespace

std::vector<std::string> listTracepoints(const std::string &tracefs) {
    namespace fs = std::filesystem;
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto &cat : fs::directory_iterator(fs::path(tracefs) / "events", ec)) {
        std::error_code ec2;
        if (!cat.is_directory(ec2))
            continue;
        for (const auto &ev : fs::directory_iterator(cat.path(), ec2))
            if (fs::exists(ev.path() / "format", ec2))
                out.push_back(cat.path().filename().string() + ":" + ev.path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}


Result<TracepointFormat> parseTracepointFormat(const std::string &text) {
    std::istringstream in(text);
    std::string line;
    TracepointFormat out;
    while (std::getline(in, line)) {
        std::string t = trim(line);
        if (t.starts_with("name:")) {
            out.event = trim(t.substr(5));
        } else if (t.starts_with("field:")) {
            TracepointField f;
            if (Status s = parseFieldLine(t, f); !s.ok())
                return s;
            out.fields.push_back(std::move(f));
        }
    }
    if (out.fields.empty())
        return Status(EINVAL, "tracepoint format has no fields");
    return out;
}

std::vector<std::string> suggestTracepoints(const std::string &tracefs, const std::string &cat,
                                            const std::string &ev) {
    std::vector<std::string> all = listTracepoints(tracefs), same_cat;
    for (const auto &tp : all)
        if (tp.compare(0, cat.size() + 1, cat + ":") == 0)
            same_cat.push_back(tp.substr(cat.size() + 1));
    if (!same_cat.empty())
        return closeMatches(ev, same_cat);
    return closeMatches(cat + ":" + ev, all);
}

Result<TracepointFormat> readTracepointFormat(const std::string &tracefs, const std::string &cat,
                                              const std::string &ev) {
    std::error_code ec;
    fs::path events = fs::path(tracefs) / "events";
    if (!fs::is_directory(events, ec))
        return Status(ENOENT, "tracefs is not mounted at " + tracefs + " (mount -t tracefs nodev " + tracefs + ")");
    // Names come from C identifiers; anything path-like cannot be a tracepoint.
    bool plain = !cat.empty() && !ev.empty() && cat.find('/') == std::string::npos &&
                 ev.find('/') == std::string::npos && cat != ".." && ev != "..";
    errno = 0;
    std::ifstream in(events / cat / ev / "format");
    int open_errno = errno;
    if (plain && !in && fs::exists(events / cat / ev / "format", ec))
        return Status(open_errno ? open_errno : EIO, "cannot read the format of tracepoint '" + cat + ":" + ev +
                                                         "' in " + events.string() + ": " + std::strerror(open_errno));
    if (!plain || !in) {
        std::string error = "tracepoint '" + cat + ":" + ev + "' not found in " + events.string();
        auto near = suggestTracepoints(tracefs, cat, ev);
        if (!near.empty())
            error += "; did you mean '" + near.front() + "'?";
        return Status(ENOENT, error);
    }
    std::stringstream text;
    text << in.rdbuf();
    Result<TracepointFormat> parsed = parseTracepointFormat(text.str());
    if (!parsed.ok())
        return Status(parsed.status().code(), "tracepoint '" + cat + ":" + ev + "': " + parsed.status().msg());
    parsed->category = cat;
    parsed->event = ev;
    return parsed;
}

} // namespace jitprobe::common
