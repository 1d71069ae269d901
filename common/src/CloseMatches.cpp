// Small edit-distance matcher; candidate lists are a few thousand names at most.
#include "jitprobe/common/CloseMatches.h"

#include <algorithm>
#include <utility>

namespace jitprobe::common {

std::size_t editDistance(const std::string &a, const std::string &b) {
    const std::size_t n = a.size(), m = b.size();
    // Three rolling rows: the transposition step looks two rows back.
    std::vector<std::size_t> prev2(m + 1), prev(m + 1), cur(m + 1);
    for (std::size_t j = 0; j <= m; ++j)
        prev[j] = j;
    for (std::size_t i = 1; i <= n; ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= m; ++j) {
            std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                cur[j] = std::min(cur[j], prev2[j - 2] + 1);
        }
        std::swap(prev2, prev);
        std::swap(prev, cur);
    }
    return prev[m];
}

std::vector<std::string> closeMatches(const std::string &wanted,
                                      const std::vector<std::string> &candidates,
                                      std::size_t max) {
    const std::size_t limit = std::max<std::size_t>(1, (wanted.size() + 1) / 4);
    std::vector<std::pair<std::size_t, std::string>> scored;
    for (const auto &c : candidates) {
        // Cheap reject before the quadratic distance.
        std::size_t len_gap = c.size() > wanted.size() ? c.size() - wanted.size()
                                                       : wanted.size() - c.size();
        if (c == wanted || len_gap > limit)
            continue;
        if (std::size_t d = editDistance(wanted, c); d <= limit)
            scored.emplace_back(d, c);
    }
    std::sort(scored.begin(), scored.end());
    scored.erase(std::unique(scored.begin(), scored.end()), scored.end());
    std::vector<std::string> out;
    for (std::size_t i = 0; i < scored.size() && out.size() < max; ++i)
        out.push_back(scored[i].second);
    return out;
}

std::string didYouMean(const std::vector<std::string> &matches) {
    if (matches.empty())
        return "";
    std::string text = " (did you mean ";
    for (std::size_t i = 0; i < matches.size(); i++)
        text += (i == 0 ? "" : i + 1 == matches.size() ? " or " : ", ") + ("'" + matches[i] + "'");
    return text + "?)";
}

} // namespace jitprobe::common
