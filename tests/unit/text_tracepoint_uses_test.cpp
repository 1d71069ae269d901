// Tracepoint references in probe sources, outside comments and literals.
#include "tracepoint/TracepointUses.h"

#include <gtest/gtest.h>

using namespace jitprobe::frontend;

TEST(TextTracepointUses, MacroAndNamedFunctionAndStruct) {
    const std::string src = "BPF_ARRAY(hits, u64, 1);\n"
                            "\n"
                            "TRACEPOINT_PROBE(syscalls, sys_enter_openat)\n"
                            "{ return 0; }\n"
                            "int tracepoint__sched__sched_process_fork(struct tracepoint__sched__sched_process_fork *args)\n"
                            "{ return 0; }\n"
                            "  TRACEPOINT_PROBE ( sched , sched_switch ) { return 0; }\n";
    auto uses = findTracepointUses(src);
    ASSERT_EQ(uses.size(), 3u);
    EXPECT_EQ(uses[0].category, "syscalls");
    EXPECT_EQ(uses[0].event, "sys_enter_openat");
    EXPECT_EQ(uses[0].line, 3u);
    EXPECT_EQ(uses[0].column, 1u);
    EXPECT_EQ(uses[1].category, "sched");
    EXPECT_EQ(uses[1].event, "sched_process_fork");
    EXPECT_EQ(uses[1].line, 5u);
    EXPECT_EQ(uses[1].column, 5u);
    EXPECT_EQ(uses[2].event, "sched_switch");
    EXPECT_EQ(uses[2].line, 7u);
    EXPECT_EQ(uses[2].column, 3u);
}

TEST(TextTracepointUses, StructPointerOnly) {
    auto uses = findTracepointUses("int f(struct tracepoint__raw_syscalls__sys_enter *a) { return 0; }");
    ASSERT_EQ(uses.size(), 1u);
    EXPECT_EQ(uses[0].category, "raw_syscalls");
    EXPECT_EQ(uses[0].event, "sys_enter");
    EXPECT_EQ(uses[0].column, 14u);
}

TEST(TextTracepointUses, SkipsCommentsAndLiterals) {
    const std::string src = "// TRACEPOINT_PROBE(a, b)\n"
                            "/* tracepoint__c__d\n TRACEPOINT_PROBE(e, f) */\n"
                            "char *s = \"tracepoint__g__h \\\" TRACEPOINT_PROBE(i, j)\";\n"
                            "char c = '\"'; int tracepoint__k__l;\n";
    auto uses = findTracepointUses(src);
    ASSERT_EQ(uses.size(), 1u);
    EXPECT_EQ(uses[0].category, "k");
    EXPECT_EQ(uses[0].event, "l");
    EXPECT_EQ(uses[0].line, 5u);
    EXPECT_EQ(uses[0].column, 19u);
}

TEST(TextTracepointUses, DeduplicatesKeepingFirst) {
    const std::string src = "TRACEPOINT_PROBE(sched, sched_switch) {}\n"
                            "struct tracepoint__sched__sched_switch *p;\n";
    auto uses = findTracepointUses(src);
    ASSERT_EQ(uses.size(), 1u);
    EXPECT_EQ(uses[0].line, 1u);
}

TEST(TextTracepointUses, IgnoresNonUses) {
    EXPECT_TRUE(findTracepointUses("int tracepoint__x; int tracepoint__; int my_tracepoint__a__b;"
                                   " TRACEPOINT_PROBE; TRACEPOINT_PROBE(a)")
                    .empty());
    EXPECT_TRUE(findTracepointUses("int raw_tracepoint__sched_process_exit(struct bpf_raw_tracepoint_args *c);").empty());
    EXPECT_TRUE(findTracepointUses("").empty());
    EXPECT_TRUE(findTracepointUses("/* unterminated tracepoint__a__b").empty());
}
