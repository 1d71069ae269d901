// EventPlan (the JSON fast path of event records) against the Value path it replaces on the hot
// path: for every field kind, every truncation of the record and several byte patterns, the
// plan's JSON must be byte for byte value_to_json(decode_btf(...)), and its Value the same.
#include "jitprobe/Output.h"
#include "jitprobe/Value.h"
#include "output/EventPlan.h"

#include <bpf/btf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>
#include <vector>

using jitprobe::EventPlan;
using jitprobe::Value;

namespace {
struct BtfDeleter {
    void operator()(struct btf *b) const { btf__free(b); }
};
using BtfPtr = std::unique_ptr<struct btf, BtfDeleter>;

// struct ev: one member of each kind decode_btf knows, at known offsets (bytes).
struct EveryKind {
    BtfPtr btf{btf__new_empty()};
    int id = 0;
    std::size_t size = 0;

    EveryKind() {
        struct btf *b = btf.get();
        int u8 = btf__add_int(b, "unsigned char", 1, 0);
        int chr = btf__add_int(b, "char", 1, BTF_INT_SIGNED | BTF_INT_CHAR);
        int s8 = btf__add_int(b, "signed char", 1, BTF_INT_SIGNED);
        int s32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
        int u32 = btf__add_int(b, "unsigned int", 4, 0);
        int s64 = btf__add_int(b, "long long int", 8, BTF_INT_SIGNED);
        int u64 = btf__add_int(b, "long long unsigned int", 8, 0);
        int boolean = btf__add_int(b, "_Bool", 1, BTF_INT_BOOL);
        int u128 = btf__add_int(b, "unsigned __int128", 16, 0);
        int s128 = btf__add_int(b, "__int128", 16, BTF_INT_SIGNED);
        int u64_t = btf__add_typedef(b, "u64", u64);
        int cu64 = btf__add_const(b, u64_t);
        int flt = btf__add_float(b, "float", 4);
        int dbl = btf__add_float(b, "double", 8);
        int ldbl = btf__add_float(b, "long double", 16);
        int en = btf__add_enum(b, "state", 4);
        btf__add_enum_value(b, "RUNNING", 0);
        btf__add_enum_value(b, "SLEEPING", 1);
        btf__add_enum_value(b, "DEAD", 0xff);
        int sen = btf__add_enum(b, "sign", 4);
        btf__add_enum_value(b, "MINUS", -1);
        btf__add_enum_value(b, "ZERO", 0);
        int en64 = btf__add_enum64(b, "wide", 8, false);
        btf__add_enum64_value(b, "BIG", 0x100000000ull);
        int ptr = btf__add_ptr(b, chr);
        int comm = btf__add_array(b, u32, chr, 16);
        int bytes = btf__add_array(b, u32, u8, 3);
        int pair = btf__add_struct(b, "pair", 8);
        btf__add_field(b, "a", s32, 0, 0);
        btf__add_field(b, "b", u32, 32, 0);
        int pairs = btf__add_array(b, u32, pair, 2);
        int un = btf__add_union(b, nullptr, 4);
        btf__add_field(b, "as_int", s32, 0, 0);
        btf__add_field(b, "as_uint", u32, 0, 0);
        int anon = btf__add_struct(b, nullptr, 4);
        btf__add_field(b, "tail_lo", u32, 0, 12);
        btf__add_field(b, "tail_hi", en, 12, 4);
        int fn = btf__add_func_proto(b, 0);
        size = 176;
        id = btf__add_struct(b, "ev", static_cast<std::uint32_t>(size));
        auto field = [&](const char *name, int type, std::uint32_t byte, std::uint32_t bitfield = 0,
                         std::uint32_t bit = 0) { btf__add_field(b, name, type, byte * 8 + bit, bitfield); };
        field("u8", u8, 0);
        field("s8", s8, 1);
        field("flag", boolean, 2);
        field("lo", u32, 3, 3, 0);  // bitfields inside byte 3..
        field("mid", s32, 3, 5, 3); // signed, 5 bits
        field("state_bits", en, 4, 8);
        field("s32", s32, 8);
        field("u32", u32, 12);
        field("s64", s64, 16);
        field("u64", cu64, 24);
        field("u128", u128, 32);
        field("s128", s128, 48);
        field("f", flt, 64);
        field("d", dbl, 72);
        field("ld", ldbl, 80);
        field("state", en, 96);
        field("sign", sen, 100);
        field("wide", en64, 104);
        field("ptr", ptr, 112);
        field("comm", comm, 120);
        field("bytes", bytes, 136);
        field("pairs", pairs, 140);
        field(nullptr, un, 156);
        field(nullptr, s32, 160); // anonymous scalar: padding, not printed
        field("fn", fn, 164);
        field(nullptr, anon, 172);
    }
};

std::string slowJson(const EveryKind &k, const std::vector<std::uint8_t> &data, std::size_t size) {
    return jitprobe::value_to_json(
        jitprobe::decode_btf(k.btf.get(), k.id, data.data(), std::min(size, k.size)));
}

std::vector<std::vector<std::uint8_t>> patterns(std::size_t size) {
    std::vector<std::vector<std::uint8_t>> out{std::vector<std::uint8_t>(size, 0),
                                               std::vector<std::uint8_t>(size, 0xff)};
    std::mt19937 random(18);
    for (int i = 0; i < 6; ++i) {
        std::vector<std::uint8_t> d(size);
        for (auto &byte : d)
            byte = static_cast<std::uint8_t>(random());
        out.push_back(d);
    }
    std::vector<std::uint8_t> text(size, 0);
    std::uint32_t one = 1, minus = 0xffffffffu;
    std::memcpy(text.data() + 96, &one, 4);
    std::memcpy(text.data() + 100, &minus, 4);
    const char comm[] = "a\"b\\c\n\x01\xc3\xa9\xff"; // escapes, UTF-8 and an invalid byte
    std::memcpy(text.data() + 120, comm, sizeof comm);
    double d = 0.1;
    std::memcpy(text.data() + 72, &d, 8);
    out.push_back(text);
    return out;
}
} // namespace

TEST(RuntimeEventPlan, JsonIsTheValuePathsForEveryKindAndTruncation) {
    EveryKind k;
    ASSERT_GT(k.id, 0);
    EventPlan plan = EventPlan::compile(k.btf.get(), "struct ev");
    ASSERT_TRUE(plan.planned());
    int compared = 0;
    for (const auto &data : patterns(k.size + 8)) { // longer than the type: cut to it
        for (std::size_t size = 0; size <= data.size(); ++size) {
            std::string fast = "prefix";
            plan.append_json(fast, data.data(), size);
            ASSERT_EQ(fast, "prefix" + slowJson(k, data, size)) << "size " << size;
            // Text output (and Value users) go through decode(): same text (NaN != NaN as Values).
            Value slow = jitprobe::decode_btf(k.btf.get(), k.id, data.data(), std::min(size, k.size));
            ASSERT_EQ(jitprobe::render_text(jitprobe::EventRecord{"ev", plan.decode(data.data(), size)}),
                      jitprobe::render_text(jitprobe::EventRecord{"ev", slow}));
            ++compared;
        }
    }
    EXPECT_EQ(compared, 9 * static_cast<int>(k.size + 9));
    // The member kinds really are in the output (not all null): a full record prints them.
    std::string full;
    plan.append_json(full, patterns(k.size).back().data(), k.size);
    for (const char *expect : {"\"state\":\"SLEEPING\"", "\"sign\":\"MINUS\"", "\"d\":0.1",
                               "\"comm\":\"a\\\"b\\\\c\\n\\u0001", "\"as_int\":0", "\"tail_hi\":\"RUNNING\""})
        EXPECT_NE(full.find(expect), std::string::npos) << expect << " in " << full;
}

TEST(RuntimeEventPlan, TypeNamesAndFallback) {
    EveryKind k;
    std::vector<std::uint8_t> data(k.size, 7);
    EventPlan by_name = EventPlan::compile(k.btf.get(), "ev");
    std::string json;
    by_name.append_json(json, data.data(), data.size());
    EXPECT_EQ(json, slowJson(k, data, data.size()));
    // No such type, or no BTF: {"size","bytes"}, as decodeEventRecord always gave.
    for (EventPlan plan : {EventPlan::compile(k.btf.get(), "struct missing"), EventPlan::compile(nullptr, "ev")}) {
        EXPECT_FALSE(plan.planned());
        std::string out;
        plan.append_json(out, data.data(), 3);
        EXPECT_EQ(out, "{\"size\":3,\"bytes\":\"070707\"}");
        EXPECT_EQ(jitprobe::value_to_json(plan.decode(data.data(), 3)), out);
    }
}
