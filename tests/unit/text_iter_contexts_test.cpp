// BCC-era iterator sources define the kernel's iterator context structs themselves.
#include "btf/IterContexts.h"

#include <gtest/gtest.h>

#include <algorithm>

using jitprobe::frontend::blankIterContextDefinitions;

TEST(IterContexts, BlanksTheDefinitionKeepingLines) {
    std::string src = "struct bpf_iter__task {\n  union { struct bpf_iter_meta *meta; };\n"
                      "  union { struct task_struct *task; };\n};\nint x;\n"
                      "BPF_ITER(task) { struct bpf_iter__task *c = ctx; return 0; }\n";
    std::string out = blankIterContextDefinitions(src);
    ASSERT_EQ(out.size(), src.size());
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), std::count(src.begin(), src.end(), '\n'));
    EXPECT_EQ(out.find("struct bpf_iter__task {"), std::string::npos);
    EXPECT_NE(out.find("int x;"), std::string::npos);
    EXPECT_EQ(out.find("int x;"), src.find("int x;")); // columns kept
    EXPECT_NE(out.find("struct bpf_iter__task *c = ctx;"), std::string::npos); // uses stay
}

TEST(IterContexts, LeavesOtherStructsAndDeclarationsAlone) {
    std::string src = "struct info_t { int tid; };\nstruct bpf_iter__task;\n"
                      "struct bpf_iter__taskx_t *p;\n";
    EXPECT_EQ(blankIterContextDefinitions(src), src);
    std::string unterminated = "struct bpf_iter__task { int a;\n";
    EXPECT_EQ(blankIterContextDefinitions(unterminated), unterminated);
}
