// Tracepoint format files: parsing, the args struct text, lookup errors and suggestions.
#include "tracepoint/TracepointCType.h"
#include "tracepoint/TracepointFormat.h"

#include "jitprobe/common/Tracepoints.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sys/mount.h>

using namespace jitprobe::frontend;
using jitprobe::common::parseTracepointFormat;
using jitprobe::common::readTracepointFormat;
namespace fs = std::filesystem;

namespace {

const char *const kSchedSwitchLike = R"(name: sched_switch
ID: 372
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:char prev_comm[16];	offset:8;	size:16;	signed:0;
	field:pid_t prev_pid;	offset:24;	size:4;	signed:1;
	field:int prev_prio;	offset:28;	size:4;	signed:1;
	field:long prev_state;	offset:32;	size:8;	signed:1;
	field:char next_comm[16];	offset:40;	size:16;	signed:0;
	field:pid_t next_pid;	offset:56;	size:4;	signed:1;
	field:int next_prio;	offset:60;	size:4;	signed:1;

print fmt: "prev_comm=%s prev_pid=%d", REC->prev_comm, REC->prev_pid
)";

// The error message of R, "" when R holds a format.
std::string errorOf(const jitprobe::Result<TracepointFormat> &r) { return r.ok() ? "" : r.status().msg(); }

const TracepointField *field(const TracepointFormat &f, const std::string &name) {
    for (const auto &fld : f.fields)
        if (fld.name == name)
            return &fld;
    return nullptr;
}

TracepointField make(std::string type, std::string name, unsigned offset, unsigned size,
                     bool is_signed = false) {
    TracepointField f;
    f.type = std::move(type), f.name = std::move(name), f.offset = offset, f.size = size;
    f.is_signed = is_signed;
    f.data_loc = f.type.rfind("__data_loc", 0) == 0;
    return f;
}

// A throwaway tracefs tree: events/CAT/EV/format.
class FakeTracefs : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/jitprobe-tracefs-XXXXXX";
        root_ = mkdtemp(tmpl);
        add("syscalls", "sys_enter_openat");
        add("syscalls", "sys_enter_open");
        add("syscalls", "sys_exit_openat");
        add("sched", "sched_switch");
    }
    void TearDown() override { fs::remove_all(root_); }
    void add(const std::string &cat, const std::string &ev) {
        fs::create_directories(root_ / "events" / cat / ev);
        std::ofstream(root_ / "events" / cat / ev / "format") << kSchedSwitchLike;
    }
    fs::path root_;
};

} // namespace

TEST(TextTracepointFormat, ParsesSchedSwitchLikeText) {
    auto parsed = parseTracepointFormat(kSchedSwitchLike);
    ASSERT_TRUE(parsed.ok()) << parsed.status().msg();
    TracepointFormat f = *parsed;
    EXPECT_EQ(f.event, "sched_switch");
    ASSERT_EQ(f.fields.size(), 11u);
    const auto *comm = field(f, "prev_comm");
    ASSERT_NE(comm, nullptr);
    EXPECT_EQ(comm->type, "char[16]");
    EXPECT_EQ(comm->offset, 8u);
    EXPECT_EQ(comm->size, 16u);
    const auto *state = field(f, "prev_state");
    ASSERT_NE(state, nullptr);
    EXPECT_EQ(state->type, "long");
    EXPECT_TRUE(state->is_signed);
    EXPECT_EQ(field(f, "common_type")->type, "unsigned short");
}

TEST(TextTracepointFormat, StructDefinitionKeepsTypesAndOffsets) {
    auto parsed = parseTracepointFormat(kSchedSwitchLike);
    ASSERT_TRUE(parsed.ok()) << parsed.status().msg();
    TracepointFormat f = *parsed;
    f.category = "sched";
    std::string def = tracepointStructDefinition(f);
    EXPECT_EQ(def.rfind("struct tracepoint__sched__sched_switch {\n", 0), 0u) << def;
    EXPECT_NE(def.find("\tchar prev_comm[16];\n"), std::string::npos) << def;
    EXPECT_NE(def.find("\tpid_t prev_pid;\n"), std::string::npos) << def;
    EXPECT_NE(def.find("\tlong prev_state;\n"), std::string::npos) << def;
    EXPECT_EQ(def.find("__pad"), std::string::npos) << def;
    EXPECT_EQ(def.substr(def.size() - 3), "};\n");
    EXPECT_EQ(def.find("#include"), std::string::npos);
}

TEST(TextTracepointFormat, GapsArePadded) {
    TracepointFormat f;
    f.category = "syscalls", f.event = "sys_enter_x";
    f.fields = {make("int", "__syscall_nr", 8, 4, true), make("const char *", "filename", 24, 8)};
    std::string def = tracepointStructDefinition(f);
    EXPECT_NE(def.find("\tchar __pad_0[8];\n\tint __syscall_nr;\n\tchar __pad_1[12];\n"
                       "\tconst char *filename;\n"),
              std::string::npos)
        << def;
}

TEST(TextTracepointFormat, MemberMapping) {
    // Declared type narrower than the field (syscall args): BCC widens by size.
    EXPECT_EQ(tracepointMember(make("int", "dfd", 16, 8)).decl, "s64 dfd");
    EXPECT_EQ(tracepointMember(make("umode_t", "mode", 40, 8)).decl, "u64 mode");
    EXPECT_EQ(tracepointMember(make("unsigned long", "count", 0, 8)).decl, "unsigned long count");
    EXPECT_EQ(tracepointMember(make("const char *", "filename", 24, 8)).decl, "const char *filename");
    EXPECT_EQ(tracepointMember(make("struct file *", "file", 0, 8)).decl, "struct file *file");
    EXPECT_EQ(tracepointMember(make("const char *const *", "argv", 0, 8)).decl, "const char *const *argv");
    EXPECT_EQ(tracepointMember(make("char *const", "p", 0, 8)).decl, "char *const p");
    // Unknown to a C compiler (or not in every vmlinux.h): by size.
    EXPECT_EQ(tracepointMember(make("xfs_ino_t", "ino", 0, 8)).decl, "u64 ino");
    EXPECT_EQ(tracepointMember(make("xfs_agnumber_t", "agno", 0, 4, true)).decl, "s32 agno");
    EXPECT_EQ(tracepointMember(make("enum zone_type", "zone", 0, 4)).decl, "u32 zone");
    EXPECT_EQ(tracepointMember(make("void __seg_gs *", "p", 0, 8)).decl, "void *p");
    EXPECT_EQ(tracepointMember(make("sigset_t *", "set", 0, 8)).decl, "void *set");
    EXPECT_EQ(tracepointMember(make("struct foo", "blob", 0, 24)).decl, "char blob[24]");
    EXPECT_EQ(tracepointMember(make("xfs_foo_t[4]", "arr", 0, 16)).decl, "char arr[16]");
    EXPECT_EQ(tracepointMember(make("__u8[16]", "saddr", 0, 16)).decl, "__u8 saddr[16]");
    EXPECT_EQ(tracepointMember(make("u64[2][2]", "m", 0, 32)).decl, "u64 m[2][2]");
    EXPECT_EQ(tracepointMember(make("__data_loc char[]", "name", 8, 4)).decl,
              "union { int name; int data_loc_name; }");
    EXPECT_EQ(tracepointMember(make("__data_loc cpumask_t", "mask", 8, 4)).decl,
              "union { int mask; int data_loc_mask; }");
}

TEST(TextTracepointFormat, MisalignedMemberIsPacked) {
    TracepointFormat f;
    f.category = "c", f.event = "e";
    f.fields = {make("u32", "a", 0, 4), make("u64", "b", 4, 8)};
    std::string def = tracepointStructDefinition(f);
    EXPECT_NE(def.find("\tu64 b __attribute__((packed));\n"), std::string::npos) << def;
}

TEST(TextTracepointFormat, DataLocAndMalformedLines) {
    auto parsed = parseTracepointFormat("name: sched_process_fork\nformat:\n"
                                        "\tfield:__data_loc char[] parent_comm;\toffset:8;\tsize:4;\tsigned:0;\n");
    ASSERT_TRUE(parsed.ok()) << parsed.status().msg();
    const TracepointFormat &f = *parsed;
    ASSERT_EQ(f.fields.size(), 1u);
    EXPECT_TRUE(f.fields[0].data_loc);
    EXPECT_EQ(f.fields[0].name, "parent_comm");
    EXPECT_EQ(f.fields[0].type, "__data_loc char[]");
    EXPECT_NE(errorOf(parseTracepointFormat("format:\n\tfield:int x;\toffset:zz;\n")).find("malformed"),
              std::string::npos);
    EXPECT_FALSE(errorOf(parseTracepointFormat("")).empty());
}

TEST_F(FakeTracefs, ListsAndReads) {
    auto all = jitprobe::common::listTracepoints(root_);
    ASSERT_EQ(all.size(), 4u);
    EXPECT_EQ(all.front(), "sched:sched_switch");
    auto parsed = readTracepointFormat(root_, "syscalls", "sys_enter_open");
    ASSERT_TRUE(parsed.ok()) << parsed.status().msg();
    TracepointFormat f = *parsed;
    EXPECT_EQ(f.category, "syscalls");
    EXPECT_EQ(f.event, "sys_enter_open");
}

TEST_F(FakeTracefs, MissingTracepointNamesItAndSuggests) {
    std::string error = errorOf(readTracepointFormat(root_, "syscalls", "sys_enter_opnat"));
    EXPECT_FALSE(error.empty());
    EXPECT_EQ(error, "tracepoint 'syscalls:sys_enter_opnat' not found in " + (root_ / "events").string() +
                         "; did you mean 'sys_enter_openat'?");
    error = errorOf(readTracepointFormat(root_, "shced", "sched_switch"));
    EXPECT_FALSE(error.empty());
    EXPECT_NE(error.find("did you mean 'sched:sched_switch'?"), std::string::npos) << error;
    error = errorOf(readTracepointFormat(root_, "syscalls", "sys_enter_no_such_call"));
    EXPECT_FALSE(error.empty());
    EXPECT_NE(error.find("'syscalls:sys_enter_no_such_call' not found"), std::string::npos);
    EXPECT_EQ(error.find("did you mean"), std::string::npos) << error;
    error = errorOf(readTracepointFormat(root_, "..", "syscalls"));
    EXPECT_FALSE(error.empty());
}

TEST_F(FakeTracefs, UnmountedTracefs) {
    fs::path empty = root_ / "empty";
    fs::create_directories(empty);
    std::string error = errorOf(readTracepointFormat(empty, "syscalls", "sys_enter_openat"));
    EXPECT_FALSE(error.empty());
    EXPECT_EQ(error.rfind("tracefs is not mounted at " + empty.string(), 0), 0u) << error;
}

TEST(TextTracepointFormat, RealSysEnterOpenat) {
    const char *tracefs = "/sys/kernel/tracing";
    if (!fs::exists(std::string(tracefs) + "/events"))
        mount("nodev", tracefs, "tracefs", 0, nullptr);
    if (!fs::exists(std::string(tracefs) + "/events/syscalls/sys_enter_openat/format"))
        GTEST_SKIP() << "no syscall tracepoints in " << tracefs;
    auto parsed = readTracepointFormat(tracefs, "syscalls", "sys_enter_openat");
    ASSERT_TRUE(parsed.ok()) << parsed.status().msg();
    TracepointFormat f = *parsed;
    const auto *filename = field(f, "filename");
    ASSERT_NE(filename, nullptr);
    EXPECT_EQ(filename->type, "const char *");
    EXPECT_EQ(filename->offset, 24u);
    EXPECT_EQ(filename->size, 8u);
    ASSERT_NE(field(f, "flags"), nullptr);
    EXPECT_EQ(field(f, "flags")->offset, 32u);
    ASSERT_NE(field(f, "mode"), nullptr);
    EXPECT_EQ(field(f, "mode")->offset, 40u);
    std::string def = tracepointStructDefinition(f);
    EXPECT_NE(def.find("struct tracepoint__syscalls__sys_enter_openat {"), std::string::npos);
    EXPECT_NE(def.find("const char *filename;"), std::string::npos) << def;

    std::string error = errorOf(readTracepointFormat(tracefs, "syscalls", "sys_enter_opnat"));
    EXPECT_FALSE(error.empty());
    EXPECT_NE(error.find("tracepoint 'syscalls:sys_enter_opnat' not found in /sys/kernel/tracing/events"),
              std::string::npos) << error;
    EXPECT_NE(error.find("did you mean 'sys_enter_openat'?"), std::string::npos) << error;
}
