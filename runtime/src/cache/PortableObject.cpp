// Portable object files (see PortableObject.h): encode, decode with every check, read from disk.
#include "PortableObject.h"

#include "jitprobe/common/Errors.h"
#include "jitprobe/common/Sha256.h"
#include "jitprobe/common/UniqueFd.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#ifndef JITPROBE_VERSION
#define JITPROBE_VERSION "unknown"
#endif

namespace jitprobe::detail {
namespace {

constexpr char kMagic[8] = {'J', 'I', 'T', 'P', 'R', 'J', 'P', 'O'};
constexpr std::uint32_t kSections = 4; // elf, info, rewritten, metadata
constexpr std::size_t kHeaderSize = 8 + 4 + 4 + 8 * kSections;
constexpr std::size_t kDigestSize = 32;

void putLe(std::string &out, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; i++)
        out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint64_t getLe(const std::string &in, std::size_t at, int bytes) {
    std::uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = (v << 8) | static_cast<unsigned char>(in[at + i]);
    return v;
}

std::string digestOf(const std::string &bytes) {
    frontend::Sha256 sha;
    sha.update(bytes.data(), kHeaderSize);
    sha.update(bytes.data() + kHeaderSize + kDigestSize, bytes.size() - kHeaderSize - kDigestSize);
    auto d = sha.finish();
    return std::string(d.begin(), d.end());
}

std::string kernelRelease() {
    struct utsname u {};
    return ::uname(&u) == 0 ? u.release : "unknown";
}

Status bad(const std::string &where, const std::string &why) {
    return Status(EINVAL, where + ": " + why);
}

} // namespace

bool looksLikePortableObject(std::string_view bytes) {
    return bytes.size() >= sizeof kMagic && bytes.compare(0, sizeof kMagic, kMagic, sizeof kMagic) == 0;
}

std::string encodePortableObject(const std::vector<std::uint8_t> &elf,
                                 const frontend::ProgramInfo &info, const std::string &rewritten,
                                 const std::string &built_from) {
    std::string info_json = info.toJson();
    std::string meta = "jitprobe_version=" JITPROBE_VERSION "\nbuilt_on_kernel=" +
                       kernelRelease() + "\nsource=" + built_from + "\n";
    std::string out(kMagic, sizeof kMagic);
    putLe(out, kPortableFormatVersion, 4);
    putLe(out, kSections, 4);
    for (std::size_t len : {elf.size(), info_json.size(), rewritten.size(), meta.size()})
        putLe(out, len, 8);
    out.append(kDigestSize, '\0');
    out.append(reinterpret_cast<const char *>(elf.data()), elf.size());
    out += info_json;
    out += rewritten;
    out += meta;
    out.replace(kHeaderSize, kDigestSize, digestOf(out));
    return out;
}

Result<PortableObject> decodePortableObject(const std::string &bytes, const std::string &where) {
    if (!looksLikePortableObject(bytes))
        return bad(where, "not a jitprobe portable object (no JITPRJPO magic; build one with "
                          "`jitprobe build FILE.c -o FILE.jpo`)");
    if (bytes.size() < 12)
        return bad(where, "truncated portable object (" + std::to_string(bytes.size()) + " bytes)");
    // The version first: a newer format may have another header.
    auto version = static_cast<std::uint32_t>(getLe(bytes, 8, 4));
    if (version == 0)
        return bad(where, "invalid portable object format version 0");
    if (version > kPortableFormatVersion)
        return Status(ENOTSUP, where + ": portable object format version " + std::to_string(version) +
                                   " is newer than this jitprobe (" JITPROBE_VERSION ") reads (up to " +
                                   std::to_string(kPortableFormatVersion) +
                                   "): run it with a newer jitprobe, or rebuild it with this one");
    if (bytes.size() < kHeaderSize + kDigestSize)
        return bad(where, "truncated portable object (" + std::to_string(bytes.size()) +
                              " bytes, shorter than its header)");
    if (getLe(bytes, 12, 4) != kSections)
        return bad(where, "portable object has " + std::to_string(getLe(bytes, 12, 4)) +
                              " sections, format version 1 has " + std::to_string(kSections));
    std::array<std::uint64_t, kSections> len{};
    std::uint64_t payload = bytes.size() - kHeaderSize - kDigestSize, sum = 0;
    for (std::uint32_t i = 0; i < kSections; i++) {
        len[i] = getLe(bytes, 16 + 8 * i, 8);
        if (len[i] > payload || (sum += len[i]) > payload)
            break;
    }
    if (sum != payload)
        return bad(where, "section lengths do not match the file size (" + std::to_string(bytes.size()) +
                              " bytes): truncated or altered");
    if (digestOf(bytes) != bytes.substr(kHeaderSize, kDigestSize))
        return bad(where, "SHA-256 mismatch: the file is corrupted or was altered after `jitprobe build`");
    if (len[0] == 0)
        return bad(where, "portable object holds no BPF ELF");
    PortableObject out;
    const char *p = bytes.data() + kHeaderSize + kDigestSize;
    out.elf.assign(p, p + len[0]);
    p += len[0];
    if (!frontend::ProgramInfo::fromJson(std::string(p, len[1]), out.info))
        return bad(where, "its program description (ProgramInfo JSON) is unreadable");
    p += len[1];
    out.rewritten.assign(p, len[2]);
    out.metadata.assign(p + len[2], len[3]);
    return out;
}

Result<PortableObject> readPortableObject(const std::string &path) {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
    common::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!fd)
        return errnoStatus(errno, path + ": cannot open the portable object");
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return errnoStatus(errno, path + ": cannot stat the portable object");
    if (!S_ISREG(st.st_mode))
        return bad(path, "not a regular file; portable objects are read from regular files only");
    if (static_cast<std::uint64_t>(st.st_size) > kMaxPortableObjectSize)
        return Status(EFBIG, path + ": " + std::to_string(st.st_size) + " bytes, larger than the " +
                                 std::to_string(kMaxPortableObjectSize >> 20) +
                                 " MiB a portable object may have");
    std::string bytes;
    char chunk[1 << 16];
    while (bytes.size() <= kMaxPortableObjectSize) { // also caps a file growing after fstat
        ssize_t n = ::read(fd.get(), chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errnoStatus(errno, path + ": cannot read the portable object");
        if (n == 0)
            break;
        bytes.append(chunk, static_cast<std::size_t>(n));
    }
    if (bytes.size() > kMaxPortableObjectSize)
        return Status(EFBIG, path + ": grew past the " + std::to_string(kMaxPortableObjectSize >> 20) +
                                 " MiB cap while being read");
    return decodePortableObject(bytes, path);
}

} // namespace jitprobe::detail
