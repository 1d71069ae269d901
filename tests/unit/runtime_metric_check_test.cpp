// `// @metric` directives checked against a compiled, opened (not loaded) object: a directive
// the exporter could only ignore is an error at its FILE:LINE:COL before anything is loaded.
#include "jitprobe/BPF.h"
#include "jitprobe/Script.h"
#include "script/MetricDirectives.h"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>

using namespace jitprobe;
using namespace jitprobe::metrics;

namespace {
const char *kMaps = R"(struct key_t { u32 pid; int err; u32 saddr; char comm[16]; };
struct event_t { u32 pid; u64 latency_ns; char comm[16]; };
BPF_HASH(fails, struct key_t, u64);
BPF_HISTOGRAM(lat_ns);
BPF_RINGBUF_OUTPUT(events, 8);
BPF_HASH(by_ip, u64, u64);
TRACEPOINT_PROBE(syscalls, sys_exit_openat) {
    struct key_t k = {};
    k.err = args->ret;
    fails.increment(k);
    by_ip.increment((u64)k.pid);
    lat_ns.increment(bpf_log2l(k.pid));
    struct event_t *e = events.ringbuf_reserve(sizeof(*e));
    if (e) { e->pid = k.pid; events.ringbuf_submit(e, 0); }
    return 0;
}
)";

class MetricCheck : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        bpf_ = std::make_unique<BPF>();
        InitOptions opts;
        opts.file_name = "p.c";
        opts.load_programs = false; // opened only: the check needs the maps' BTF, not the kernel
        status_ = bpf_->init(kMaps, {}, opts);
    }
    static void TearDownTestSuite() { bpf_.reset(); }
    void SetUp() override { ASSERT_TRUE(status_.ok()) << status_.msg(); }
    // The check's message for DIRECTIVE written on line 2 of p.c ("" when it passes).
    static std::string check(const std::string &directive) {
        auto d = parse_metric_directives("int x;\n" + directive + "\n", "p.c");
        if (!d.ok())
            return "parse: " + d.status().msg();
        Status s = check_metric_directives(*d, *bpf_, "p.c");
        return s.ok() ? "" : s.msg();
    }
    static inline std::unique_ptr<BPF> bpf_;
    static inline Status status_;
};
} // namespace

TEST_F(MetricCheck, DirectivesThatFitTheirMapPass) {
    EXPECT_EQ(check("// @metric fails gauge labels=tgid,errno decode=errno:errno decode=saddr:ipv4"), "");
    EXPECT_EQ(check("// @metric fails decode=pid:comm decode=err:hex"), "");
    EXPECT_EQ(check("// @metric lat_ns histogram unit=ns"), "");
    EXPECT_EQ(check("// @metric events histogram value=latency_ns labels=pid,comm decode=pid:comm"), "");
    EXPECT_EQ(check("// @metric events counter"), "");
}

TEST_F(MetricCheck, AnUnknownMapIsAnErrorAtItsNameWithTheClosestOne) {
    std::string m = check("// @metric fail gauge");
    EXPECT_NE(m.find("p.c:2:12: error: bad @metric directive: no map named 'fail' in this source"),
              std::string::npos) << m;
    EXPECT_NE(m.find("hint: did you mean 'fails'?"), std::string::npos) << m;
}

TEST_F(MetricCheck, ADecodeOfALabelTheKeyLacksIsAnErrorAtTheDecode) {
    std::string m = check("// @metric fails labels=tgid decode=pid:comm");
    EXPECT_NE(m.find("p.c:2:30: error: bad @metric directive: decode=pid:comm: 'fails' has no label 'pid' "
                     "(labels: tgid, err, saddr, comm)"),
              std::string::npos) << m;
}

TEST_F(MetricCheck, ADecodeThatDoesNotFitTheLabelsTypeIsAnError) {
    std::string comm = check("// @metric fails decode=comm:errno");
    EXPECT_NE(comm.find("p.c:2:18: error: bad @metric directive: decode=comm:errno: errno decodes an integer; "
                        "'comm' is not one"),
              std::string::npos) << comm;
    std::string v6 = check("// @metric fails decode=saddr:ipv6");
    EXPECT_NE(v6.find("ipv6 decodes a 16-byte address; 'saddr' is 4 bytes"), std::string::npos) << v6;
}

TEST_F(MetricCheck, MoreLabelNamesThanTheKeyHasIsAnError) {
    std::string m = check("// @metric lat_ns labels=x");
    EXPECT_NE(m.find("p.c:2:19: error: bad @metric directive: labels= renames 1 labels, but map 'lat_ns' has 0"),
              std::string::npos) << m;
}

TEST_F(MetricCheck, BufferDirectivesNameFieldsOfTheEvent) {
    std::string label = check("// @metric events labels=pid,method");
    EXPECT_NE(label.find("p.c:2:19: error: bad @metric directive: the events of 'events' (event_t) have "
                         "no field 'method' (fields: pid, latency_ns, comm)"),
              std::string::npos) << label;
    std::string value = check("// @metric events histogram value=comm");
    EXPECT_NE(value.find("value=comm: the events of 'events' have no integer field 'comm'"), std::string::npos)
        << value;
    std::string onHash = check("// @metric fails value=pid");
    EXPECT_NE(onHash.find("value= is for perf and ring buffers; 'fails' is a hash"), std::string::npos) << onHash;
    std::string decode = check("// @metric events labels=pid decode=comm:comm");
    EXPECT_NE(decode.find("'events' has no label 'comm' (labels: pid)"), std::string::npos) << decode;
}

// Script::load (what check, run and serve use) reports it before the programs are loaded:
// no privileges are needed to see it.
TEST_F(MetricCheck, ScriptLoadRejectsABadDirectiveBeforeLoading) {
    Script script;
    ScriptOptions opts;
    opts.file_name = "probe.c";
    Status s = script.load(std::string(kMaps) + "// @metric fails decode=comm:syscall\n", {}, opts);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.msg().find("probe.c:17:18: error: bad @metric directive: decode=comm:syscall"), std::string::npos)
        << s.msg();
    EXPECT_TRUE(script.programs().empty() || script.programs()[0].insns == 0);
}

TEST_F(MetricCheck, HistogramsNeedAHistogramMapOrASlotKeyWithLinear) {
    EXPECT_EQ(check("// @metric lat_ns linear=100"), "");
    std::string hash = check("// @metric fails histogram");
    EXPECT_NE(hash.find("p.c:2:18: error: bad @metric directive: 'fails' is a hash: a histogram is a BPF_HISTOGRAM"),
              std::string::npos) << hash;
    std::string noSlot = check("// @metric fails linear=10");
    EXPECT_NE(noSlot.find("p.c:2:18: error: bad @metric directive: linear=: the key of 'fails' is neither an integer "
                          "slot nor a struct with an integer 'slot' member"),
              std::string::npos) << noSlot;
    std::string buffer = check("// @metric events linear=10 value=latency_ns");
    EXPECT_NE(buffer.find("linear= is for maps"), std::string::npos) << buffer;
}

TEST_F(MetricCheck, StackDecodesNeedAStackTraceMap) {
    std::string m = check("// @metric fails decode=err:kstack");
    EXPECT_NE(m.find("p.c:2:18: error: bad @metric directive: decode=err:kstack: no BPF_STACK_TRACE map in this source"),
              std::string::npos) << m;
}

TEST_F(MetricCheck, AddressDecodesNeedAnIntegerAndUserOnesAProcess) {
    EXPECT_EQ(check("// @metric by_ip decode=key:ksym"), "");
    EXPECT_EQ(check("// @metric fails decode=err:usym"), ""); // the key has a pid member
    std::string m = check("// @metric by_ip decode=key:usym");
    EXPECT_NE(m.find("p.c:2:18: error: bad @metric directive: decode=key:usym: user addresses need their process: "
                     "the key of 'by_ip' has no integer 'pid' or 'tgid' member"),
              std::string::npos) << m;
    std::string comm = check("// @metric fails decode=comm:ksym");
    EXPECT_NE(comm.find("ksym decodes an integer; 'comm' is not one"), std::string::npos) << comm;
}
