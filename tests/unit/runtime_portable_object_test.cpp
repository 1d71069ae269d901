// Portable object files (.jpo), no privileges needed: the format round-trips, and every bad
// file (wrong magic, newer version, truncated at any length, any byte altered, too large, not a
// regular file) is refused with the file and the reason.
#include "cache/PortableObject.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace jitprobe;
using namespace jitprobe::detail;
namespace fs = std::filesystem;

namespace {

frontend::ProgramInfo sampleInfo() {
    frontend::ProgramInfo info;
    frontend::MapSpec map;
    map.name = "counts";
    info.maps.push_back(map);
    frontend::ProgramSpec prog;
    prog.function = "kprobe__do_sys_openat2";
    prog.section = "kprobe/do_sys_openat2";
    prog.prog_type = "kprobe";
    info.programs.push_back(prog);
    return info;
}

const std::vector<std::uint8_t> kElf = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 9, 8, 7};

std::string sample() { return encodePortableObject(kElf, sampleInfo(), "int x;", "probe.c"); }

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/jp_jpo_unit.XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

} // namespace

TEST(PortableObject, RoundTripsEverySection) {
    Result<PortableObject> got = decodePortableObject(sample(), "p.jpo");
    ASSERT_TRUE(got.ok()) << got.status().msg();
    EXPECT_EQ(got->elf, kElf);
    EXPECT_EQ(got->rewritten, "int x;");
    ASSERT_EQ(got->info.programs.size(), 1u);
    EXPECT_EQ(got->info.programs[0].function, "kprobe__do_sys_openat2");
    EXPECT_EQ(got->info.programs[0].prog_type, "kprobe");
    ASSERT_EQ(got->info.maps.size(), 1u);
    EXPECT_EQ(got->info.maps[0].name, "counts");
    EXPECT_NE(got->metadata.find("source=probe.c\n"), std::string::npos) << got->metadata;
    EXPECT_NE(got->metadata.find("built_on_kernel="), std::string::npos) << got->metadata;
}

TEST(PortableObject, NewerFormatVersionIsRefusedNamingBothVersions) {
    std::string bytes = sample();
    bytes[8] = static_cast<char>(kPortableFormatVersion + 1);
    Result<PortableObject> got = decodePortableObject(bytes, "new.jpo");
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), ENOTSUP);
    const std::string &msg = got.status().msg();
    EXPECT_EQ(msg.rfind("new.jpo: portable object format version " +
                            std::to_string(kPortableFormatVersion + 1) + " is newer", 0), 0u) << msg;
    EXPECT_NE(msg.find("up to " + std::to_string(kPortableFormatVersion)), std::string::npos) << msg;
    // Also when the newer file's header is shorter than ours.
    EXPECT_EQ(decodePortableObject(bytes.substr(0, 16), "n.jpo").status().code(), ENOTSUP);
}

TEST(PortableObject, WrongMagicIsNotAPortableObject) {
    std::string bytes = sample();
    bytes[0] = 'X';
    Result<PortableObject> got = decodePortableObject(bytes, "x.jpo");
    ASSERT_FALSE(got.ok());
    EXPECT_NE(got.status().msg().find("x.jpo: not a jitprobe portable object"), std::string::npos);
    EXPECT_FALSE(decodePortableObject("int main() {}", "src.jpo").ok());
}

TEST(PortableObject, EveryTruncationIsRefused) {
    std::string bytes = sample();
    for (std::size_t n = 0; n < bytes.size(); n++) {
        Result<PortableObject> got = decodePortableObject(bytes.substr(0, n), "t.jpo");
        ASSERT_FALSE(got.ok()) << "accepted a file cut at " << n << " of " << bytes.size();
        EXPECT_EQ(got.status().msg().rfind("t.jpo: ", 0), 0u) << got.status().msg();
    }
}

TEST(PortableObject, EveryAlteredByteIsRefused) {
    std::string bytes = sample();
    for (std::size_t i = 0; i < bytes.size(); i++) {
        std::string forged = bytes;
        forged[i] = static_cast<char>(forged[i] ^ 0x01);
        EXPECT_FALSE(decodePortableObject(forged, "f.jpo").ok()) << "accepted a flip at byte " << i;
    }
    // Bytes appended after the last section make the lengths disagree with the size.
    Result<PortableObject> longer = decodePortableObject(bytes + "x", "f.jpo");
    ASSERT_FALSE(longer.ok());
    EXPECT_NE(longer.status().msg().find("section lengths"), std::string::npos);
}

TEST(PortableObject, ReadsFromAFileAndRefusesNonFilesAndHugeOnes) {
    TempDir dir;
    std::string good = dir.path + "/good.jpo";
    std::ofstream(good, std::ios::binary) << sample();
    Result<PortableObject> got = readPortableObject(good);
    ASSERT_TRUE(got.ok()) << got.status().msg();
    EXPECT_EQ(got->elf, kElf);

    Result<PortableObject> missing = readPortableObject(dir.path + "/none.jpo");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.status().code(), ENOENT);
    EXPECT_NE(missing.status().msg().find("none.jpo"), std::string::npos);

    std::string fifo = dir.path + "/fifo.jpo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    Result<PortableObject> pipe = readPortableObject(fifo); // must not block waiting for a writer
    ASSERT_FALSE(pipe.ok());
    EXPECT_NE(pipe.status().msg().find("not a regular file"), std::string::npos);
    EXPECT_FALSE(readPortableObject(dir.path).ok());

    std::string huge = dir.path + "/huge.jpo"; // sparse: refused by its size, never read
    { std::ofstream(huge) << sample(); }
    ASSERT_EQ(::truncate(huge.c_str(), off_t(kMaxPortableObjectSize + 1)), 0);
    Result<PortableObject> big = readPortableObject(huge);
    ASSERT_FALSE(big.ok());
    EXPECT_EQ(big.status().code(), EFBIG);
    EXPECT_NE(big.status().msg().find("huge.jpo"), std::string::npos);
}
