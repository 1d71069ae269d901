// Output records and renderings: log2 slot math, struct-key grouping, array zero-omission, JSON.
#include "jitprobe/Output.h"

#include <gtest/gtest.h>
#include <cstdio>
#include <nlohmann/json.hpp>

using namespace jitprobe;

namespace {
Value u(std::uint64_t v) { return Value::unsigned_integer(v); }
Value commSlot(const char *comm, std::uint64_t slot) {
    return Value::structure({{"comm", Value::string(comm)}, {"slot", u(slot)}});
}
} // namespace

TEST(RuntimeOutput, Log2SlotRanges) {
    EXPECT_EQ(log2_bucket(0, 1).low, 0u);
    EXPECT_EQ(log2_bucket(0, 1).high, 0u);
    EXPECT_EQ(log2_bucket(1, 1).low, 0u);
    EXPECT_EQ(log2_bucket(1, 1).high, 1u);
    EXPECT_EQ(log2_bucket(2, 1).low, 2u);
    EXPECT_EQ(log2_bucket(2, 1).high, 3u);
    // 832 = floor(log2) 9 -> slot 10 -> [512, 1023]
    EXPECT_EQ(log2_bucket(10, 1).low, 512u);
    EXPECT_EQ(log2_bucket(10, 1).high, 1023u);
    EXPECT_EQ(log2_bucket(64, 1).high, UINT64_MAX);
}

TEST(RuntimeOutput, IntegerKeyHistogramSkipsEmptySlots) {
    std::vector<MapEntry> entries = {{u(3), u(5), {}}, {u(1), u(0), {}}, {u(10), u(2), {}}};
    auto hists = build_histograms("lat", entries);
    ASSERT_EQ(hists.size(), 1u);
    EXPECT_FALSE(hists[0].key.has_value());
    ASSERT_EQ(hists[0].buckets.size(), 2u);
    EXPECT_EQ(hists[0].buckets[0].low, 4u);
    EXPECT_EQ(hists[0].buckets[1].count, 2u);
    EXPECT_EQ(render_json_line(hists[0]),
              R"({"type":"hist","name":"lat","buckets":[{"low":4,"high":7,"count":5},{"low":512,"high":1023,"count":2}]})");
}

TEST(RuntimeOutput, StructKeyHistogramGroupsByOtherMembers) {
    std::vector<MapEntry> entries = {
        {commSlot("ls", 4), u(1), {}}, {commSlot("sh", 2), u(3), {}}, {commSlot("ls", 2), u(7), {}}};
    auto hists = build_histograms("write_sizes", entries);
    ASSERT_EQ(hists.size(), 2u);
    ASSERT_TRUE(hists[0].key.has_value());
    EXPECT_EQ(*hists[0].key, Value::structure({{"comm", Value::string("ls")}}));
    ASSERT_EQ(hists[0].buckets.size(), 2u);
    EXPECT_EQ(hists[0].buckets[0].slot, 2u);
    EXPECT_EQ(hists[0].buckets[0].count, 7u);
    auto j = nlohmann::json::parse(render_json_line(hists[1]));
    EXPECT_EQ(j["key"], nlohmann::json({{"comm", "sh"}}));
    EXPECT_FALSE(j["key"].contains("slot"));
}

TEST(RuntimeOutput, EmptyHistogramStillPrinted) {
    auto hists = build_histograms("h", {});
    ASSERT_EQ(hists.size(), 1u);
    EXPECT_TRUE(hists[0].buckets.empty());
}

TEST(RuntimeOutput, ArrayKindsOmitZeroEntries) {
    std::vector<MapEntry> entries = {{u(0), u(4), {}}, {u(1), u(0), {}}, {u(2), u(1), {}}};
    EXPECT_EQ(build_map_record("slots", "array", entries).entries.size(), 2u);
    EXPECT_EQ(build_map_record("slots", "percpu_array", entries).entries.size(), 2u);
    EXPECT_EQ(build_map_record("h", "hash", entries).entries.size(), 3u);
    EXPECT_TRUE(is_non_result_kind("ringbuf"));
    EXPECT_TRUE(is_non_result_kind("queue"));
    EXPECT_FALSE(is_non_result_kind("lru_hash"));
    // Values that are kernel objects (fds) or per-object storage are not results.
    for (const char *kind : {"prog", "sockmap", "sockhash", "devmap", "cpumap", "xskmap",
                             "cgroup_array", "array_of_maps", "hash_of_maps", "sk_storage",
                             "task_storage", "inode_storage"})
        EXPECT_TRUE(is_non_result_kind(kind)) << kind;
}

TEST(RuntimeOutput, MapJsonKeepsFieldOrder) {
    MapRecord m{"next_tasks", "hash",
                {{Value::structure({{"comm", Value::string("sleep")}}),
                  Value::structure({{"switches", u(2)}, {"last_pid", u(9)}, {"a", Value::integer(-1)}}), {}}}};
    EXPECT_EQ(render_json_line(m), R"({"type":"map","name":"next_tasks","kind":"hash","entries":)"
                                 R"([{"key":{"comm":"sleep"},"value":{"switches":2,"last_pid":9,"a":-1}}]})");
}

TEST(RuntimeOutput, OtherRecordsJson) {
    EXPECT_EQ(render_json_line(EventRecord{"ev", Value::structure({{"pid", u(1)}})}),
              R"({"type":"event","map":"ev","data":{"pid":1}})");
    EXPECT_EQ(render_json_line(LostRecord{"ev", 3}), R"({"type":"lost","map":"ev","count":3})");
    EXPECT_EQ(render_json_line(PrintkRecord{"hi \"x\""}), R"({"type":"printk","msg":"hi \"x\""})");
    EXPECT_EQ(render_json_line(ProgramRecord{"f", "tracepoint", 12}),
              R"({"type":"program","name":"f","prog_type":"tracepoint","insns":12})");
    EXPECT_EQ(value_to_json(Value::bytes({0xde, 0xad})), R"("dead")");
    // Invalid UTF-8 from the kernel must not throw.
    EXPECT_NO_THROW(render_json_line(PrintkRecord{std::string("\xff\xfe")}));
}

TEST(RuntimeOutput, TextTableSortedByValueDescending) {
    MapRecord m{"counts", "hash", {{Value::string("a"), u(1), {}}, {Value::string("bb"), u(9), {}}}};
    std::string text = render_text(m);
    EXPECT_LT(text.find("bb"), text.find("  a "));
    EXPECT_NE(text.find("KEY"), std::string::npos);
}

TEST(RuntimeOutput, TextHistogramLikeBcc) {
    std::vector<HistBucket> buckets = {log2_bucket(1, 2), log2_bucket(3, 4)};
    std::string text = render_log2_histogram(buckets);
    EXPECT_NE(text.find("     value               : count     distribution"), std::string::npos);
    EXPECT_NE(text.find("         0 -> 1          : 2        |********************                    |"),
              std::string::npos) << text;
    EXPECT_NE(text.find("         2 -> 3          : 0        |"), std::string::npos);
    EXPECT_NE(text.find("         4 -> 7          : 4        |****************************************|"),
              std::string::npos);
}

namespace {
// The reference: nlohmann's compact dump (what the JSON Lines contract was first written with).
nlohmann::ordered_json reference(const Value &v) {
    switch (v.kind()) {
    case Value::Kind::Null: return nullptr;
    case Value::Kind::Int: return v.as_int();
    case Value::Kind::UInt: return v.as_uint();
    case Value::Kind::Bool: return v.as_bool();
    case Value::Kind::Double: return v.as_double();
    case Value::Kind::String: return v.as_string();
    case Value::Kind::Bytes: {
        std::string hex;
        for (std::uint8_t b : v.as_bytes().data) {
            char two[3];
            std::snprintf(two, sizeof two, "%02x", b);
            hex += two;
        }
        return hex;
    }
    case Value::Kind::List: {
        auto arr = nlohmann::ordered_json::array();
        for (const Value &item : v.as_list())
            arr.push_back(reference(item));
        return arr;
    }
    case Value::Kind::Struct: {
        auto obj = nlohmann::ordered_json::object();
        for (const auto &[name, field] : v.as_struct())
            obj[name] = reference(field);
        return obj;
    }
    }
    return nullptr;
}

std::string referenceDump(const Value &v) {
    return reference(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}
} // namespace

TEST(RuntimeOutput, JsonTextIsByteForByteNlohmannsDump) {
    std::vector<std::string> strings = {"", "plain", "q\"b\\s/", "\b\f\n\r\t\x01\x1f\x7f",
                                        "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80",
                                        "\xff\xfe", "a\xc3", "\xe0\x80\x80", "\xed\xa0\x80",
                                        "\xf4\x90\x80\x80", "ok\xc0\xafok", std::string("n\0ul", 4)};
    // Every byte, alone and after a valid prefix: the replacement of invalid UTF-8 must match.
    for (int b = 0; b < 256; b++) {
        strings.push_back(std::string(1, static_cast<char>(b)));
        strings.push_back("\xc3\xa9" + std::string(1, static_cast<char>(b)) + "z");
    }
    for (const auto &s : strings)
        EXPECT_EQ(value_to_json(Value::string(s)), referenceDump(Value::string(s))) << s;
    ValueList numbers = {Value::integer(INT64_MIN), Value::integer(-1), Value::integer(0),
                         Value::unsigned_integer(UINT64_MAX), Value::boolean(true),
                         Value::boolean(false), Value::real(0.5), Value::real(-1e300),
                         Value::real(1.0 / 3), Value::null(), Value::bytes({0, 0xab, 0xff})};
    Value nested = Value::structure(
        {{"pid", u(42)}, {"comm", Value::string("sh")}, {"list", Value::list(numbers)},
         {"inner", Value::structure({{"x", Value::list({})}, {"y", Value::structure({})}})}});
    EXPECT_EQ(value_to_json(nested), referenceDump(nested));
    EXPECT_EQ(render_json_line(EventRecord{"ev\n", nested}),
              R"({"type":"event","map":"ev\n","data":)" + referenceDump(nested) + "}");
}

// Issue 19: comms, strings read by probes, paths and messages are chosen by others; raw
// escape sequences in them must not reach the terminal.
TEST(RuntimeOutput, TerminalControlsAreEscaped) {
    EXPECT_EQ(escape_terminal_controls("a\x1b]0;pwned\x07z\rb\tc\n"),
              "a\\x1b]0;pwned\\x07z\\x0db\tc\n");
    EXPECT_EQ(escape_terminal_controls("\x7f"), "\\x7f");
    EXPECT_EQ(escape_terminal_controls("caf\xc3\xa9 \xe2\x9c\x93"), "caf\xc3\xa9 \xe2\x9c\x93")
        << "printable UTF-8 passes";
    EXPECT_EQ(escape_terminal_controls("\xc2\x9b"
                                     "2J"),
              "\\xc2\\x9b2J")
        << "UTF-8 encoded C1 CSI";
    EXPECT_EQ(escape_terminal_controls("\x9b"
                                     "2J"),
              "\\x9b2J")
        << "a raw 8-bit CSI";
    EXPECT_EQ(escape_terminal_controls("\xe2\x9c"), "\\xe2\\x9c") << "truncated sequence";
}

TEST(RuntimeOutput, TextRecordsCarryNoRawEscapes) {
    std::string evil = "x\x1b[2J\x1b]52;c;cHduZWQ=\x07";
    MapRecord map = build_map_record(
        "counts", "BPF_HASH",
        {{Value::structure({{"comm", Value::string(evil)}}), Value::unsigned_integer(1), {evil}}});
    for (const Record &r :
         std::vector<Record>{map, EventRecord{"events", Value::string(evil)}, PrintkRecord{evil}}) {
        std::string text = render_text(r);
        EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
        EXPECT_EQ(text.find('\x07'), std::string::npos) << text;
        EXPECT_NE(text.find("x\\x1b[2J\\x1b]52;c;cHduZWQ=\\x07"), std::string::npos) << text;
    }
    EXPECT_EQ(render_json_line(PrintkRecord{evil}).find('\x1b'), std::string::npos)
        << "JSON escapes control characters itself";
}
