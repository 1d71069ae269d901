// The Prometheus exposition writer and records -> metrics (runtime/src/metrics/) against the
// text format 0.0.4 / OpenMetrics rules. `promtool check metrics` checks pages in the live tests.
#include "metrics/Exposition.h"
#include "script/MetricDirectives.h"
#include "metrics/RecordMetrics.h"
#include "metrics/StackLabels.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cmath>
#include <limits>
#include <string>

using namespace jitprobe;
using namespace jitprobe::metrics;

namespace {
std::string page(const std::vector<Family> &families, Format format = Format::Text004) {
    std::string out;
    render(out, families, format);
    return out;
}

std::vector<Family> convert(const Record &r, std::size_t max_series = 10000) {
    FamilySet set(ConvertOptions{"jitprobe", max_series});
    set.add_record(r);
    return set.take();
}
} // namespace

TEST(MetricsExposition, NamesAreSanitized) {
    EXPECT_EQ(sanitize_metric_name("tcp.conn-count"), "tcp_conn_count");
    EXPECT_EQ(sanitize_metric_name("9lives"), "_9lives");
    EXPECT_EQ(sanitize_metric_name("a:b"), "a:b");
    EXPECT_EQ(sanitize_metric_name(""), "_");
    EXPECT_EQ(sanitize_label_name("a:b"), "a_b");
    EXPECT_EQ(sanitize_label_name("__name"), "_name"); // "__" is reserved
    EXPECT_EQ(sanitize_label_name("1st"), "_1st");
}

TEST(MetricsExposition, LabelValuesAreEscapedAndValidUtf8) {
    EXPECT_EQ(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    EXPECT_EQ(escape_label_value("caf\xc3\xa9"), "caf\xc3\xa9");           // valid UTF-8 kept
    EXPECT_EQ(escape_label_value("x\xff" "y"), "x\\\\xffy");               // invalid byte as text
    EXPECT_EQ(escape_label_value("\xc0\xaf"), "\\\\xc0\\\\xaf");           // overlong '/'
    EXPECT_EQ(escape_label_value("\xed\xa0\x80"), "\\\\xed\\\\xa0\\\\x80"); // surrogate
    EXPECT_EQ(escape_label_value("\xe2\x82"), "\\\\xe2\\\\x82");           // truncated
}

TEST(MetricsExposition, HelpEscapingDependsOnFormat) {
    EXPECT_EQ(escape_help("a \"b\"\n\\", Format::Text004), "a \"b\"\\n\\\\");
    EXPECT_EQ(escape_help("a \"b\"", Format::OpenMetrics), "a \\\"b\\\"");
}

TEST(MetricsExposition, ValuesFormat) {
    EXPECT_EQ(format_value(0), "0");
    EXPECT_EQ(format_value(42), "42");
    EXPECT_EQ(format_value(-3), "-3");
    EXPECT_EQ(format_value(1.5e-05), "1.5e-05");
    EXPECT_EQ(format_value(0.25), "0.25");
    EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
    EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
    EXPECT_EQ(format_value(std::nan("")), "NaN");
    EXPECT_EQ(std::stod(format_value(18446744073709551615.0)), 18446744073709551615.0);
}

TEST(MetricsExposition, CounterFamilyNamingPerFormat) {
    std::vector<Family> f{{"jp_calls", "calls \"made\"", MetricType::Counter,
                           {{"_total", {{"fn", "open"}}, 3}}}};
    EXPECT_EQ(page(f), "# HELP jp_calls_total calls \"made\"\n# TYPE jp_calls_total counter\n"
                       "jp_calls_total{fn=\"open\"} 3\n");
    EXPECT_EQ(page(f, Format::OpenMetrics),
              "# HELP jp_calls calls \\\"made\\\"\n# TYPE jp_calls counter\n"
              "jp_calls_total{fn=\"open\"} 3\n# EOF\n");
}

TEST(MetricsExposition, NegotiatesOpenMetricsOnlyWhenAsked) {
    EXPECT_EQ(negotiate(""), Format::Text004);
    EXPECT_EQ(negotiate("text/plain;version=0.0.4;q=0.5,*/*;q=0.1"), Format::Text004);
    EXPECT_EQ(negotiate("application/openmetrics-text;version=1.0.0,text/plain;q=0.5"), Format::OpenMetrics);
    EXPECT_NE(content_type(Format::Text004).find("version=0.0.4"), std::string_view::npos);
    EXPECT_NE(content_type(Format::OpenMetrics).find("openmetrics-text"), std::string_view::npos);
}

TEST(MetricsConvert, CountingMapIsACounterLabelledByKeyMembers) {
    MapRecord m{"syscalls", "hash", {}};
    m.entries.push_back({Value::structure({{"nr", Value::unsigned_integer(0)}, {"name", Value::string("read")}}),
                         Value::unsigned_integer(7), {}});
    auto fams = convert(m);
    ASSERT_EQ(fams.size(), 1u);
    EXPECT_EQ(page(fams), "# HELP jitprobe_syscalls_total BPF map 'syscalls' (hash)\n"
                          "# TYPE jitprobe_syscalls_total counter\n"
                          "jitprobe_syscalls_total{nr=\"0\",name=\"read\"} 7\n");
}

TEST(MetricsConvert, StructValueGivesOneMetricPerIntegerField) {
    MapRecord m{"io", "hash", {}};
    m.entries.push_back({Value::string("sda"),
                         Value::structure({{"bytes", Value::unsigned_integer(4096)},
                                           {"wait_ns", Value::unsigned_integer(2500000000)},
                                           {"name", Value::string("x")}}),
                         {}});
    std::string p = page(convert(m));
    EXPECT_NE(p.find("jitprobe_io_bytes_total{key=\"sda\"} 4096\n"), std::string::npos) << p;
    EXPECT_NE(p.find("jitprobe_io_wait_seconds_total{key=\"sda\"} 2.5\n"), std::string::npos) << p;
    EXPECT_EQ(p.find("name"), std::string::npos) << p; // a string field is no metric
}

TEST(MetricsConvert, Log2HistogramBucketsAreCumulativeWithInfEqualCount) {
    // slot s holds [2^(s-1), 2^s - 1] us: le = (2^s - 1) us in seconds; empty slots in between
    // are still listed, so histogram_quantile interpolates within the right range.
    HistRecord h{"lat_us", std::nullopt, {log2_bucket(1, 2), log2_bucket(4, 3)}};
    std::string p = page(convert(h));
    EXPECT_EQ(p, "# HELP jitprobe_lat_seconds BPF log2 histogram 'lat_us' in seconds\n"
                 "# TYPE jitprobe_lat_seconds histogram\n"
                 "jitprobe_lat_seconds_bucket{le=\"0\"} 0\n"
                 "jitprobe_lat_seconds_bucket{le=\"1e-06\"} 2\n"
                 "jitprobe_lat_seconds_bucket{le=\"3e-06\"} 2\n"
                 "jitprobe_lat_seconds_bucket{le=\"7e-06\"} 2\n"
                 "jitprobe_lat_seconds_bucket{le=\"1.5e-05\"} 5\n"
                 "jitprobe_lat_seconds_bucket{le=\"+Inf\"} 5\n"
                 "jitprobe_lat_seconds_count 5\n");
}

TEST(MetricsConvert, HistogramGroupsBecomeLabels) {
    HistRecord h{"dist", Value::structure({{"disk", Value::string("sda")}}), {log2_bucket(0, 1)}};
    std::string p = page(convert(h));
    EXPECT_NE(p.find("jitprobe_dist_bucket{disk=\"sda\",le=\"0\"} 1\n"), std::string::npos) << p;
    EXPECT_NE(p.find("jitprobe_dist_count{disk=\"sda\"} 1\n"), std::string::npos) << p;
}

TEST(MetricsConvert, SeriesCapDropsAndCounts) {
    MapRecord m{"by_pid", "hash", {}};
    for (unsigned i = 0; i < 5; ++i)
        m.entries.push_back({Value::unsigned_integer(i), Value::unsigned_integer(1), {}});
    FamilySet set(ConvertOptions{"jitprobe", 3});
    set.add_record(m);
    EXPECT_EQ(set.dropped(), 2u);
    auto fams = set.take();
    ASSERT_EQ(fams.size(), 1u);
    EXPECT_EQ(fams[0].samples.size(), 3u);
}

TEST(MetricsConvert, InvalidUtf8KeyStringsStayEscaped) {
    MapRecord m{"by_comm", "hash", {{Value::structure({{"comm", Value::string("a\xff\"")}}), Value::unsigned_integer(1), {}}}};
    std::string p = page(convert(m));
    EXPECT_NE(p.find("{comm=\"a\\\\xff\\\"\"} 1\n"), std::string::npos) << p;
}

TEST(MetricDirectives, ParsesEveryOption) {
    auto d = parse_metric_directives("BPF_HASH(errs, struct k, u64);\n"
                                     "// @metric errs gauge unit=us help=\"failed \\\"calls\\\" by errno\" "
                                     "labels=err,addr decode=err:errno decode=addr:ipv4\n",
                                     "p.c");
    ASSERT_TRUE(d.ok()) << d.status().msg();
    ASSERT_EQ(d->count("errs"), 1u);
    const MetricDirective &m = d->at("errs");
    EXPECT_EQ(m.type, "gauge");
    EXPECT_EQ(m.divisor, 1e6);
    EXPECT_EQ(m.help, "failed \"calls\" by errno");
    EXPECT_EQ(m.labels, (std::vector<std::string>{"err", "addr"}));
    ASSERT_EQ(m.decode.size(), 2u);
    EXPECT_EQ(m.line, 2u);
}

TEST(MetricDirectives, BadDirectiveIsRejectedAtItsLineAndColumn) {
    auto d = parse_metric_directives("int x;\n  // @metric lat_ns histogram unit=parsecs\n", "probe.c");
    ASSERT_FALSE(d.ok());
    EXPECT_NE(d.status().msg().find("probe.c:2:31: error: bad @metric directive: unknown option 'unit=parsecs'"),
              std::string::npos) << d.status().msg();
    auto noName = parse_metric_directives("// @metric 9x\n", "probe.c");
    ASSERT_FALSE(noName.ok());
    EXPECT_NE(noName.status().msg().find("probe.c:1:12:"), std::string::npos) << noName.status().msg();
    auto dup = parse_metric_directives("// @metric a\n// @metric a gauge\n", "probe.c");
    EXPECT_FALSE(dup.ok());
    EXPECT_TRUE(parse_metric_directives("/* @metric in a block comment is not one */\n", "p.c").ok());
}

TEST(MetricDirectives, DecodersTurnNumbersIntoNames) {
    EXPECT_EQ(decode_label("errno", "-2"), "ENOENT");
    EXPECT_EQ(decode_label("errno", "13"), "EACCES");
    EXPECT_EQ(decode_label("ipv4", "16777343"), "127.0.0.1"); // __be32 127.0.0.1 read as a host u32
    EXPECT_EQ(decode_label("hex", "255"), "0xff");
    EXPECT_EQ(decode_label("comm", "1").empty(), false);
    EXPECT_EQ(decode_label("ipv6", "[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]"), "::1");
    EXPECT_EQ(decode_label("errno", "not a number"), "not a number");
    EXPECT_EQ(decode_label("syscall", "0"), "read");
    EXPECT_EQ(decode_label("syscall", "110"), "getppid");
    EXPECT_EQ(decode_label("syscall", "99999"), "99999");
}

TEST(MetricDirectives, CgroupIdsDecodeToTheirPath) {
    struct stat st {};
    if (::stat("/sys/fs/cgroup", &st) != 0)
        GTEST_SKIP() << "no /sys/fs/cgroup";
    EXPECT_EQ(decode_label("cgroup", std::to_string(st.st_ino)), "/");
}

TEST(MetricDirectives, OverrideTypeUnitLabelsAndDecode) {
    auto d = parse_metric_directives("// @metric fails gauge unit=ms help=\"open failures\" labels=err "
                                     "decode=err:errno\n// @metric start counter\n// @metric noisy ignore\n",
                                     "p.c");
    ASSERT_TRUE(d.ok()) << d.status().msg();
    FamilySet set(ConvertOptions{"jp", 100});
    set.add_record(MapRecord{"fails", "hash", {{Value::integer(-2), Value::unsigned_integer(1500), {}}}}, {}, &*d);
    set.add_record(MapRecord{"start", "hash", {{Value::integer(1), Value::unsigned_integer(3), {}}}}, {}, &*d);
    set.add_record(MapRecord{"noisy", "hash", {{Value::integer(1), Value::unsigned_integer(3), {}}}}, {}, &*d);
    std::string p = page(set.take());
    EXPECT_NE(p.find("# HELP jp_fails_seconds open failures\n# TYPE jp_fails_seconds gauge\n"
                     "jp_fails_seconds{err=\"ENOENT\"} 1.5\n"),
              std::string::npos) << p;
    EXPECT_NE(p.find("jp_start_total{key=\"1\"} 3\n"), std::string::npos) << p; // exported when asked
    EXPECT_EQ(p.find("noisy"), std::string::npos) << p;
}

TEST(MetricsConvert, AggregatedEventsBecomeAHistogramWithAnExactSum) {
    auto d = parse_metric_directives("// @metric events histogram value=latency_ns labels=method\n", "p.c");
    ASSERT_TRUE(d.ok()) << d.status().msg();
    EventAggregate agg;
    EventSeries &get = agg.series[{{"method", "GET"}}];
    get.slots[11] = 2; // two events of 1024..2047 ns
    get.slots[21] = 1; // one of 1..2 ms
    get.count = 3;
    get.sum = 1500 + 1600 + 1500000;
    FamilySet set(ConvertOptions{"jp", 100});
    set.add_events("events", d->at("events"), agg, {});
    std::string p = page(set.take());
    EXPECT_NE(p.find("# TYPE jp_events_latency_seconds histogram\n"), std::string::npos) << p;
    EXPECT_NE(p.find("jp_events_latency_seconds_bucket{method=\"GET\",le=\"2.047e-06\"} 2\n"), std::string::npos) << p;
    EXPECT_NE(p.find("jp_events_latency_seconds_bucket{method=\"GET\",le=\"0.002097151\"} 3\n"), std::string::npos) << p;
    EXPECT_NE(p.find("jp_events_latency_seconds_bucket{method=\"GET\",le=\"+Inf\"} 3\n"), std::string::npos) << p;
    EXPECT_NE(p.find("jp_events_latency_seconds_sum{method=\"GET\"} 0.0015031\n"), std::string::npos) << p;
    EXPECT_NE(p.find("jp_events_latency_seconds_count{method=\"GET\"} 3\n"), std::string::npos) << p;
}

// linear=STEP: slot k holds [k*STEP, (k+1)*STEP - 1], so le = (k+1)*STEP - 1 (the log2 rule's
// "highest value the slot holds"), cumulative; a slot's lower neighbour is written when empty so
// histogram_quantile interpolates within the slot itself.
TEST(MetricsConvert, LinearHistogramBucketsAreUpperValuesOfEachSlot) {
    auto d = parse_metric_directives("// @metric queue_ms linear=5 help=\"run queue wait\"\n", "p.c");
    ASSERT_TRUE(d.ok()) << d.status().msg();
    EXPECT_EQ(d->at("queue_ms").type, "histogram");
    HistRecord h{"queue_ms", std::nullopt, {log2_bucket(0, 3), log2_bucket(1, 2), log2_bucket(4, 1), log2_bucket(64, 7)}};
    FamilySet set(ConvertOptions{"jp", 100});
    set.add_record(h, {}, &*d);
    std::string p = page(set.take());
    EXPECT_NE(p.find("# HELP jp_queue_seconds run queue wait\n# TYPE jp_queue_seconds histogram\n"
                     "jp_queue_seconds_bucket{le=\"0.004\"} 3\n"
                     "jp_queue_seconds_bucket{le=\"0.009\"} 5\n"
                     "jp_queue_seconds_bucket{le=\"0.019\"} 5\n"
                     "jp_queue_seconds_bucket{le=\"0.024\"} 6\n"
                     "jp_queue_seconds_bucket{le=\"+Inf\"} 13\n"
                     "jp_queue_seconds_count 13\n"),
              std::string::npos) << p; // slot 64 (64 and up, merged by build_histograms): +Inf only
    EXPECT_EQ(p.find("_sum"), std::string::npos) << p; // not known from slots
}

TEST(MetricsConvert, LinearHistogramOfAHashKeyedBySlotGroupsByTheOtherMembers) {
    auto d = parse_metric_directives("// @metric qlen histogram linear=1 unit=none labels=cpu\n", "p.c");
    ASSERT_TRUE(d.ok()) << d.status().msg();
    auto key = [](int cpu, int slot) {
        return Value::structure({{"c", Value::integer(cpu)}, {"slot", Value::integer(slot)}});
    };
    MapRecord m{"qlen", "hash", {{key(0, 0), Value::unsigned_integer(4), {}},
                                 {key(0, 2), Value::unsigned_integer(1), {}},
                                 {key(1, 100), Value::unsigned_integer(2), {}}}};
    FamilySet set(ConvertOptions{"jp", 100});
    set.add_record(m, {}, &*d);
    std::string p = page(set.take());
    EXPECT_NE(p.find("jp_qlen_bucket{cpu=\"0\",le=\"0\"} 4\njp_qlen_bucket{cpu=\"0\",le=\"1\"} 4\n"
                     "jp_qlen_bucket{cpu=\"0\",le=\"2\"} 5\njp_qlen_bucket{cpu=\"0\",le=\"+Inf\"} 5\n"
                     "jp_qlen_count{cpu=\"0\"} 5\n"),
              std::string::npos) << p;
    EXPECT_NE(p.find("jp_qlen_bucket{cpu=\"1\",le=\"99\"} 0\njp_qlen_bucket{cpu=\"1\",le=\"100\"} 2\n"),
              std::string::npos) << p;
    EXPECT_FALSE(parse_metric_directives("// @metric q gauge linear=2\n", "p.c").ok());
    EXPECT_FALSE(parse_metric_directives("// @metric q linear=0\n", "p.c").ok());
    EXPECT_FALSE(parse_metric_directives("// @metric q linear=1.5\n", "p.c").ok());
}

TEST(MetricsStacks, FramesFoldOuterFirstWithinABoundedLength) {
    EXPECT_EQ(fold_frames({"perf_syscall_enter", "do_syscall_64", "entry_SYSCALL_64"}, false),
              "entry_SYSCALL_64;do_syscall_64;perf_syscall_enter");
    EXPECT_EQ(fold_frames({"inner", "outer"}, true), "...;outer;inner");
    std::vector<std::string> deep(500, "a_rather_long_function_name");
    deep[0] = "innermost";
    std::string folded = fold_frames(deep, false);
    EXPECT_EQ(folded.size(), kMaxStackLabelBytes);
    EXPECT_TRUE(folded.starts_with("...")) << folded.substr(0, 40);
    EXPECT_TRUE(folded.ends_with(";innermost"));
}
