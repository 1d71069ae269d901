// decode_btf on hand-built BTF: ints, chars, structs, bitfields, enums, arrays, per-CPU sums.
#include "jitprobe/Value.h"

#include <bpf/btf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <memory>

using jitprobe::Value;

namespace {
struct BtfDeleter {
    void operator()(struct btf *b) const { btf__free(b); }
};
using BtfPtr = std::unique_ptr<struct btf, BtfDeleter>;

struct Fixture {
    BtfPtr btf{btf__new_empty()};
    int u8 = btf__add_int(btf.get(), "unsigned char", 1, 0);
    int chr = btf__add_int(btf.get(), "char", 1, BTF_INT_SIGNED);
    int s32 = btf__add_int(btf.get(), "int", 4, BTF_INT_SIGNED);
    int u32 = btf__add_int(btf.get(), "unsigned int", 4, 0);
    int u64 = btf__add_int(btf.get(), "long long unsigned int", 8, 0);
    int u64_t = btf__add_typedef(btf.get(), "u64", u64);
};
} // namespace

TEST(RuntimeDecode, SignedAndUnsignedInts) {
    Fixture f;
    std::int32_t neg = -5;
    EXPECT_EQ(jitprobe::decode_btf(f.btf.get(), f.s32, &neg, 4), Value::integer(-5));
    std::uint64_t big = 0xfffffffffffffff0ull;
    EXPECT_EQ(jitprobe::decode_btf(f.btf.get(), f.u64_t, &big, 8), Value::unsigned_integer(big));
    int cst = btf__add_const(f.btf.get(), f.u64_t);
    EXPECT_EQ(jitprobe::decode_btf(f.btf.get(), cst, &big, 8).as_uint(), big);
}

TEST(RuntimeDecode, CharArrayIsStringUpToNul) {
    Fixture f;
    int arr = btf__add_array(f.btf.get(), f.u32, f.chr, 16);
    char comm[16] = "cat";
    std::memcpy(comm + 5, "junk", 4);
    EXPECT_EQ(jitprobe::decode_btf(f.btf.get(), arr, comm, 16), Value::string("cat"));
    int bytes = btf__add_array(f.btf.get(), f.u32, f.u8, 4);
    std::uint8_t addr[4] = {10, 1, 0, 0};
    Value list = jitprobe::decode_btf(f.btf.get(), bytes, addr, 4);
    ASSERT_EQ(list.kind(), Value::Kind::List);
    EXPECT_EQ(list.as_list().size(), 4u);
    EXPECT_EQ(list.as_list()[1].as_uint(), 1u);
}

TEST(RuntimeDecode, StructFieldsInOrderWithNestedAndPadding) {
    Fixture f;
    int comm = btf__add_array(f.btf.get(), f.u32, f.chr, 16);
    int span = btf__add_struct(f.btf.get(), "span", 16);
    btf__add_field(f.btf.get(), "first_ns", f.u64_t, 0, 0);
    btf__add_field(f.btf.get(), "last_ns", f.u64_t, 64, 0);
    int st = btf__add_struct(f.btf.get(), "stat", 48);
    btf__add_field(f.btf.get(), "pid", f.u32, 0, 0);
    btf__add_field(f.btf.get(), "", f.u32, 32, 0); // anonymous padding: skipped
    btf__add_field(f.btf.get(), "comm", comm, 64, 0);
    btf__add_field(f.btf.get(), "span", span, 192, 0);
    struct {
        std::uint32_t pid, pad;
        char comm[16];
        std::uint64_t first, last;
    } raw{42, 7, "ls", 1, 2};
    Value v = jitprobe::decode_btf(f.btf.get(), st, &raw, sizeof raw);
    ASSERT_EQ(v.kind(), Value::Kind::Struct);
    ASSERT_EQ(v.as_struct().size(), 3u);
    EXPECT_EQ(v.as_struct()[0].first, "pid");
    EXPECT_EQ(v.field("pid")->as_uint(), 42u);
    EXPECT_EQ(v.field("comm")->as_string(), "ls");
    EXPECT_EQ(v.field("span")->field("last_ns")->as_uint(), 2u);
}

TEST(RuntimeDecode, AnonymousUnionIsFlattened) {
    Fixture f;
    int un = btf__add_union(f.btf.get(), nullptr, 4);
    btf__add_field(f.btf.get(), "as_int", f.s32, 0, 0);
    btf__add_field(f.btf.get(), "as_uint", f.u32, 0, 0);
    int st = btf__add_struct(f.btf.get(), "outer", 8);
    btf__add_field(f.btf.get(), "tag", f.u32, 0, 0);
    btf__add_field(f.btf.get(), nullptr, un, 32, 0);
    std::int32_t raw[2] = {1, -1};
    Value v = jitprobe::decode_btf(f.btf.get(), st, raw, sizeof raw);
    ASSERT_EQ(v.as_struct().size(), 3u);
    EXPECT_EQ(v.field("as_int")->as_int(), -1);
    EXPECT_EQ(v.field("as_uint")->as_uint(), 0xffffffffu);
}

TEST(RuntimeDecode, Bitfields) {
    Fixture f;
    int st = btf__add_struct(f.btf.get(), "flags", 4);
    btf__add_field(f.btf.get(), "low", f.u32, 0, 3);
    btf__add_field(f.btf.get(), "mid", f.s32, 3, 5);
    btf__add_field(f.btf.get(), "high", f.u32, 8, 24);
    std::uint32_t raw = 0x5u | (0x1fu << 3) | (0xabcdefu << 8); // mid = -1 (5 bits all set)
    Value v = jitprobe::decode_btf(f.btf.get(), st, &raw, 4);
    EXPECT_EQ(v.field("low")->as_uint(), 5u);
    EXPECT_EQ(v.field("mid")->as_int(), -1);
    EXPECT_EQ(v.field("high")->as_uint(), 0xabcdefu);
}

TEST(RuntimeDecode, EnumByNameOrNumber) {
    Fixture f;
    int en = btf__add_enum(f.btf.get(), "state", 4);
    btf__add_enum_value(f.btf.get(), "RUNNING", 0);
    btf__add_enum_value(f.btf.get(), "SLEEPING", 1);
    std::uint32_t one = 1, nine = 9;
    EXPECT_EQ(jitprobe::decode_btf(f.btf.get(), en, &one, 4), Value::string("SLEEPING"));
    EXPECT_EQ(jitprobe::decode_btf(f.btf.get(), en, &nine, 4).as_uint(), 9u);
}

TEST(RuntimeDecode, PointerIsUnsignedAndTruncationIsNull) {
    Fixture f;
    int ptr = btf__add_ptr(f.btf.get(), f.chr);
    std::uint64_t addr = 0xffff888012345678ull;
    EXPECT_EQ(jitprobe::decode_btf(f.btf.get(), ptr, &addr, 8).as_uint(), addr);
    EXPECT_TRUE(jitprobe::decode_btf(f.btf.get(), f.u64, &addr, 4).is_null());
}

TEST(RuntimeDecode, PerCpuSumFieldWise) {
    Fixture f;
    int st = btf__add_struct(f.btf.get(), "pair", 12);
    btf__add_field(f.btf.get(), "calls", f.u64_t, 0, 0);
    btf__add_field(f.btf.get(), "errors", f.u32, 64, 0);
    // Value size 12 -> per-CPU stride 16.
    std::uint8_t raw[48] = {};
    for (int cpu = 0; cpu < 3; ++cpu) {
        std::uint64_t calls = 10 * (cpu + 1);
        std::uint32_t errors = cpu;
        std::memcpy(raw + cpu * 16, &calls, 8);
        std::memcpy(raw + cpu * 16 + 8, &errors, 4);
    }
    Value v = jitprobe::decode_btf_percpu_sum(f.btf.get(), st, raw, 12, 3);
    EXPECT_EQ(v.field("calls")->as_uint(), 60u);
    EXPECT_EQ(v.field("errors")->as_uint(), 3u);
}

TEST(RuntimeDecode, ZeroAndCompare) {
    EXPECT_TRUE(Value::structure({{"a", Value::unsigned_integer(0)}, {"s", Value::string("")}}).is_zero());
    EXPECT_FALSE(Value::list({Value::integer(0), Value::integer(2)}).is_zero());
    EXPECT_LT(Value::compare(Value::integer(-1), Value::unsigned_integer(0)), 0);
    EXPECT_GT(Value::compare(Value::unsigned_integer(10), Value::integer(3)), 0);
}
