// PrintkFormat: the record layout both PrintkPass and the runtime derive from a format, and
// the user-space formatting of private bpf_trace_printk records.
#include "jitprobe/common/PrintkFormat.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace jitprobe::common;

namespace {
// A record as a probe writes it: header, then the slots of FORMAT's conversions.
struct RecordBuilder {
    std::vector<std::uint8_t> bytes = std::vector<std::uint8_t>(kPrintkHeaderSize, 0);
    RecordBuilder &num(std::uint64_t v) {
        bytes.resize(bytes.size() + 8);
        std::memcpy(bytes.data() + bytes.size() - 8, &v, 8);
        return *this;
    }
    RecordBuilder &str(const std::string &s) {
        std::size_t at = bytes.size();
        bytes.resize(at + kPrintkStringSize, 0);
        std::memcpy(bytes.data() + at, s.data(), std::min(s.size(), kPrintkStringSize - 1));
        return *this;
    }
};

std::string format(const std::string &fmt, const RecordBuilder &r) {
    PrintkFormat f = parsePrintkFormat(fmt);
    EXPECT_TRUE(f.error.empty()) << f.error;
    std::string out;
    EXPECT_TRUE(formatPrintk(fmt, f, r.bytes.data(), r.bytes.size(), out));
    return out;
}
} // namespace

TEST(PrintkFormat, LayoutIsHeaderThenSlots) {
    PrintkFormat f = parsePrintkFormat("open %s by %d (%llu)\n");
    ASSERT_TRUE(f.error.empty()) << f.error;
    ASSERT_EQ(f.conversions.size(), 3u);
    EXPECT_EQ(f.conversions[0].offset, kPrintkHeaderSize);
    EXPECT_EQ(f.conversions[1].offset, kPrintkHeaderSize + kPrintkStringSize);
    EXPECT_EQ(f.record_size, kPrintkHeaderSize + kPrintkStringSize + 16);
}

TEST(PrintkFormat, FormatsIntegersByTheirCType) {
    RecordBuilder r;
    r.num(static_cast<std::uint64_t>(-5)).num(0xffffffffffULL).num(255).num('A').num(0x1234);
    EXPECT_EQ(format("%d %u %x %c %p\n", r), "-5 4294967295 ff A 0x1234");
    RecordBuilder big;
    big.num(static_cast<std::uint64_t>(-5)).num(0xffffffffffULL);
    EXPECT_EQ(format("%lld %llx", big), "-5 ffffffffff");
    RecordBuilder padded;
    padded.num(42);
    EXPECT_EQ(format("[%-5d] 100%%", padded), "[42   ] 100%");
}

TEST(PrintkFormat, StringsAreBoundedAndKeptWhole) {
    RecordBuilder r;
    r.str("a\nCPU:0 [000] 1.0: bpf_trace_printk: forged");
    EXPECT_EQ(format("open %s\n", r), "open a\nCPU:0 [000] 1.0: bpf_trace_printk: forged")
        << "the message keeps the newline: it is one record, escaped when printed";
    RecordBuilder unterminated;
    unterminated.bytes.resize(kPrintkHeaderSize + kPrintkStringSize, 'x');
    EXPECT_EQ(format("%s", unterminated), std::string(kPrintkStringSize, 'x'));
}

TEST(PrintkFormat, ShortRecordIsRejected) {
    PrintkFormat f = parsePrintkFormat("%d %d");
    std::vector<std::uint8_t> bytes(kPrintkHeaderSize + 8);
    std::string out;
    EXPECT_FALSE(formatPrintk("%d %d", f, bytes.data(), bytes.size(), out));
}

TEST(PrintkFormat, UnsupportedConversionsNameTheirOffset) {
    PrintkFormat star = parsePrintkFormat("x=%*d");
    EXPECT_NE(star.error, "");
    EXPECT_EQ(star.error_at, 2u);
    PrintkFormat ip = parsePrintkFormat("addr %pI4");
    EXPECT_NE(ip.error.find("%pI"), std::string::npos) << ip.error;
    EXPECT_EQ(ip.error_at, 5u);
    EXPECT_NE(parsePrintkFormat("%f").error, "");
    EXPECT_NE(parsePrintkFormat("trailing %").error, "");
    EXPECT_NE(parsePrintkFormat("%d%d%d%d%d%d%d%d%d%d%d%d%d").error, "") << "13 conversions";
    EXPECT_EQ(parsePrintkFormat("%pks %pus %px %pK").error, "");
}

TEST(PrintkFormat, FloatIsRefusedAsTheKernelRefusesIt) {
    auto f = parsePrintkFormat("v=%0.2f\n");
    EXPECT_NE(f.error, "");
    EXPECT_TRUE(f.kernel_rejects);
    EXPECT_EQ(f.error_at, 2u);
    auto p = parsePrintkFormat("ip %pI4");
    EXPECT_NE(p.error, "");
    EXPECT_FALSE(p.kernel_rejects) << "the kernel prints %pI4; only jitprobe's records lack it";
}
