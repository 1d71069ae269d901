// vmlinux.h from BTF through libbpf's btf_dump (the same path bpftool takes), into memory.
#include "btf/KernelTypes.h"

#include "jitprobe/common/Sha256.h"

#include <bpf/btf.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#include <fstream>
#include <string_view>

namespace jitprobe::frontend {
namespace {

constexpr const char *kPrologue =
    "#ifndef __VMLINUX_H__\n"
    "#define __VMLINUX_H__\n\n"
    "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n"
    "#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n"
    "#endif\n\n";

constexpr const char *kEpilogue =
    "\n#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n"
    "#pragma clang attribute pop\n"
    "#endif\n\n"
    "#endif /* __VMLINUX_H__ */\n";

// btf_dump emits millions of small fragments: format straight into the string's spare tail.
void appendPrintf(void *ctx, const char *fmt, va_list args) {
    auto &out = *static_cast<std::string *>(ctx);
    constexpr std::size_t kSlack = 256;
    std::size_t old = out.size();
    out.resize(old + kSlack);
    va_list copy;
    va_copy(copy, args);
    int n = std::vsnprintf(out.data() + old, kSlack, fmt, copy);
    va_end(copy);
    if (n < 0) {
        out.resize(old);
        return;
    }
    if (static_cast<std::size_t>(n) >= kSlack) {
        out.resize(old + n + 1);
        std::vsnprintf(out.data() + old, n + 1, fmt, args);
    }
    out.resize(old + n);
}

} // namespace

Result<std::string> generateVmlinuxHeader(const std::string &btf_path) {
    std::unique_ptr<struct btf, void (*)(struct btf *)> btf(btf__parse(btf_path.c_str(), nullptr), btf__free);
    if (!btf)
        return Status(errno, "cannot read kernel BTF from " + btf_path + ": " + std::strerror(errno));
    std::string text;
    text.reserve(8u << 20);
    text += kPrologue;
    std::unique_ptr<struct btf_dump, void (*)(struct btf_dump *)> dump(
        btf_dump__new(btf.get(), appendPrintf, &text, nullptr), btf_dump__free);
    if (!dump)
        return Status(errno, "cannot dump BTF from " + btf_path + ": " + std::strerror(errno));
    __u32 count = btf__type_cnt(btf.get());
    for (__u32 id = 1; id < count; ++id)
        if (int err = btf_dump__dump_type(dump.get(), id); err)
            return Status(-err, "cannot dump BTF type " + std::to_string(id) + " from " + btf_path + ": " +
                                    std::strerror(-err));
    text += kEpilogue;
    return text;
}

std::string vmlinuxPartName(std::size_t index) {
    char name[32];
    std::snprintf(name, sizeof name, "part-%03zu.h", index);
    return name;
}

SplitHeader splitVmlinuxHeader(const std::string &header, std::size_t part_bytes) {
    std::string_view prologue(kPrologue), epilogue(kEpilogue), text(header);
    if (!text.starts_with(prologue) || !text.ends_with(epilogue) || part_bytes == 0)
        return {header, {}};
    std::string_view body = text.substr(prologue.size(), text.size() - prologue.size() - epilogue.size());
    SplitHeader split;
    std::size_t start = 0, depth = 0;
    for (std::size_t i = 0; i < body.size(); ++i) {
        char c = body[i];
        depth += c == '{';
        depth -= c == '}' && depth > 0;
        bool blank_line = c == '\n' && i + 1 < body.size() && body[i + 1] == '\n';
        if (blank_line && depth == 0 && i + 2 - start >= part_bytes) {
            split.parts.emplace_back(body.substr(start, i + 2 - start));
            start = i + 2;
        }
    }
    if (start < body.size())
        split.parts.emplace_back(body.substr(start));
    split.top = prologue;
    for (std::size_t i = 0; i < split.parts.size(); ++i)
        split.top += "#include \"" + vmlinuxPartName(i) + "\"\n";
    split.top += epilogue;
    return split;
}

std::string fileDigest(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return {};
    Sha256 sha;
    char buf[1 << 16];
    while (in.read(buf, sizeof buf) || in.gcount() > 0)
        sha.update(buf, static_cast<std::size_t>(in.gcount()));
    if (in.bad())
        return {};
    return sha.finishHex();
}

} // namespace jitprobe::frontend
