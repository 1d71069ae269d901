// Reads tracefs format files ("field:TYPE NAME;\toffset:N;\tsize:N;\tsigned:N;") and prints the
// args struct BCC would build from them.
#include "tracepoint/TracepointFormat.h"

#include "jitprobe/common/CloseMatches.h"
#include "jitprobe/common/Tracepoints.h"
#include "tracepoint/TracepointCType.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace jitprobe::frontend {
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

bool parseFieldLine(const std::string &line, TracepointField &f, std::string &error) {
    std::size_t start = line.find("field:") + 6, semi = line.find(';', start);
    unsigned is_signed = 0;
    if (semi == std::string::npos || !splitDeclaration(line.substr(start, semi - start), f.type, f.name) ||
        !numberAfter(line, "offset", f.offset) || !numberAfter(line, "size", f.size)) {
        error = "malformed field line in tracepoint format: '" + trim(line) + "'";
        return false;
    }
    numberAfter(line, "signed", is_signed); // absent on old kernels
    f.is_signed = is_signed != 0;
    f.data_loc = f.type.starts_with("__data_loc");
    return true;
}

} // namespace

bool parseTracepointFormat(const std::string &text, TracepointFormat &out, std::string &error) {
    std::istringstream in(text);
    std::string line;
    std::vector<TracepointField> fields;
    while (std::getline(in, line)) {
        std::string t = trim(line);
        if (t.starts_with("name:")) {
            out.event = trim(t.substr(5));
        } else if (t.starts_with("field:")) {
            TracepointField f;
            if (!parseFieldLine(t, f, error))
                return false;
            fields.push_back(std::move(f));
        }
    }
    if (fields.empty()) {
        error = "tracepoint format has no fields";
        return false;
    }
    out.fields = std::move(fields);
    return true;
}

std::string tracepointStructDefinition(const TracepointFormat &format) {
    std::vector<TracepointField> fields = format.fields;
    std::stable_sort(fields.begin(), fields.end(),
                     [](const auto &a, const auto &b) { return a.offset < b.offset; });
    std::string s = "struct tracepoint__" + format.category + "__" + format.event + " {\n";
    unsigned pos = 0, pads = 0;
    for (const auto &f : fields) {
        if (f.offset < pos)
            continue; // overlaps the previous field (never seen in practice)
        if (f.offset > pos)
            s += "\tchar __pad_" + std::to_string(pads++) + "[" + std::to_string(f.offset - pos) + "];\n";
        CMember m = tracepointMember(f);
        // A member the compiler would align past its offset is packed onto it instead.
        s += "\t" + m.decl + (f.offset % m.align ? " __attribute__((packed))" : "") + ";\n";
        pos = f.offset + f.size;
    }
    return s + "};\n";
}

std::vector<std::string> suggestTracepoints(const std::string &tracefs, const std::string &cat,
                                            const std::string &ev) {
    std::vector<std::string> all = common::listTracepoints(tracefs), same_cat;
    for (const auto &tp : all)
        if (tp.compare(0, cat.size() + 1, cat + ":") == 0)
            same_cat.push_back(tp.substr(cat.size() + 1));
    if (!same_cat.empty())
        return common::closeMatches(ev, same_cat);
    return common::closeMatches(cat + ":" + ev, all);
}

bool readTracepointFormat(const std::string &tracefs, const std::string &cat,
                          const std::string &ev, TracepointFormat &out, std::string &error) {
    std::error_code ec;
    fs::path events = fs::path(tracefs) / "events";
    if (!fs::is_directory(events, ec)) {
        error = "tracefs is not mounted at " + tracefs +
                " (mount -t tracefs nodev " + tracefs + ")";
        return false;
    }
    // Names come from C identifiers; anything path-like cannot be a tracepoint.
    bool plain = !cat.empty() && !ev.empty() && cat.find('/') == std::string::npos &&
                 ev.find('/') == std::string::npos && cat != ".." && ev != "..";
    errno = 0;
    std::ifstream in(events / cat / ev / "format");
    int open_errno = errno;
    if (plain && !in && fs::exists(events / cat / ev / "format", ec)) {
        error = "cannot read the format of tracepoint '" + cat + ":" + ev + "' in " +
                events.string() + ": " + std::strerror(open_errno);
        return false;
    }
    if (!plain || !in) {
        error = "tracepoint '" + cat + ":" + ev + "' not found in " + events.string();
        auto near = suggestTracepoints(tracefs, cat, ev);
        if (!near.empty())
            error += "; did you mean '" + near.front() + "'?";
        return false;
    }
    std::stringstream text;
    text << in.rdbuf();
    TracepointFormat parsed;
    if (!parseTracepointFormat(text.str(), parsed, error)) {
        error = "tracepoint '" + cat + ":" + ev + "': " + error;
        return false;
    }
    parsed.category = cat;
    parsed.event = ev;
    out = std::move(parsed);
    return true;
}

} // namespace jitprobe::frontend
