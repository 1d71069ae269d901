// A small C lexer (comments, literals, identifiers) is enough: macro arguments and the
// tracepoint__ prefix are plain tokens, and BCC finds them the same way.
#include "tracepoint/TracepointUses.h"

#include <cctype>
#include <cstring>
#include <set>

namespace jitprobe::frontend {
namespace {

bool identStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool identChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

class Scanner {
public:
    explicit Scanner(const std::string &s) : s_(s) {}

    std::vector<TracepointUse> run() {
        while (i_ < s_.size()) {
            if (s_.compare(i_, 2, "//") == 0)
                skipUntil("\n", false);
            else if (s_.compare(i_, 2, "/*") == 0)
                advance(2), skipUntil("*/", true);
            else if (s_[i_] == '"' || s_[i_] == '\'')
                skipLiteral(s_[i_]);
            else if (identStart(s_[i_]))
                identifier();
            else
                advance(1);
        }
        return std::move(uses_);
    }

private:
    void advance(std::size_t n) {
        for (; n && i_ < s_.size(); --n, ++i_) {
            if (s_[i_] == '\n')
                ++line_, col_ = 1;
            else
                ++col_;
        }
    }
    void skipUntil(const char *end, bool consume) {
        std::size_t at = s_.find(end, i_);
        std::size_t stop = at == std::string::npos ? s_.size() : at + (consume ? std::strlen(end) : 0);
        advance(stop - i_);
    }
    void skipLiteral(char quote) {
        advance(1);
        while (i_ < s_.size() && s_[i_] != quote && s_[i_] != '\n')
            advance(s_[i_] == '\\' ? 2 : 1);
        advance(1);
    }
    void skipBlanks() {
        while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_])))
            advance(1);
    }
    std::string word() {
        std::size_t b = i_;
        while (i_ < s_.size() && identChar(s_[i_]))
            advance(1);
        return s_.substr(b, i_ - b);
    }
    void identifier() {
        unsigned line = line_, col = col_;
        std::string w = word();
        if (w == "TRACEPOINT_PROBE")
            macroUse(line, col);
        else if (w.starts_with("tracepoint__"))
            prefixedUse(w.substr(12), line, col);
    }
    // TRACEPOINT_PROBE ( cat , ev )
    void macroUse(unsigned line, unsigned col) {
        skipBlanks();
        if (i_ >= s_.size() || s_[i_] != '(')
            return;
        advance(1), skipBlanks();
        std::string cat = word();
        skipBlanks();
        if (cat.empty() || i_ >= s_.size() || s_[i_] != ',')
            return;
        advance(1), skipBlanks();
        std::string ev = word();
        skipBlanks();
        if (!ev.empty() && i_ < s_.size() && s_[i_] == ')')
            add(cat, ev, line, col);
    }
    // CAT__EV: the category ends at the first "__" (categories never contain one).
    void prefixedUse(const std::string &rest, unsigned line, unsigned col) {
        std::size_t sep = rest.find("__");
        if (sep != std::string::npos && sep > 0 && sep + 2 < rest.size())
            add(rest.substr(0, sep), rest.substr(sep + 2), line, col);
    }
    void add(const std::string &cat, const std::string &ev, unsigned line, unsigned col) {
        if (seen_.insert(cat + ":" + ev).second)
            uses_.push_back({cat, ev, line, col});
    }

    const std::string &s_;
    std::size_t i_ = 0;
    unsigned line_ = 1, col_ = 1;
    std::set<std::string> seen_;
    std::vector<TracepointUse> uses_;
};

} // namespace

std::vector<TracepointUse> findTracepointUses(const std::string &source) {
    return Scanner(source).run();
}

} // namespace jitprobe::frontend
