// The args struct BCC builds for a tracepoint, from its format file (parsed in common/).
#include "tracepoint/TracepointFormat.h"

#include "tracepoint/TracepointCType.h"

#include <algorithm>

namespace jitprobe::frontend {

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

} // namespace jitprobe::frontend
