// Verifier rejections explained in the user's terms: where, what, and a hint.
#include "bpf/VerifierExplain.h"

#include <gtest/gtest.h>

using namespace jitprobe::detail;

TEST(VerifierExplain, NullDerefPointsAtUserLineWithHint) {
    const char *log = "0: R1=ctx() R10=fp0\n"
                      "; u64 *v = tallies.lookup(&k); @ probe.c:10\n"
                      "7: (85) call bpf_map_lookup_elem#1    ; R0=map_value_or_null(id=1)\n"
                      "; *v += 1; @ probe.c:11\n"
                      "8: (79) r1 = *(u64 *)(r0 +0)\n"
                      "R0 invalid mem access 'map_value_or_null'\n"
                      "processed 8 insns (limit 1000000) max_states_per_insn 0\n";
    auto e = explainVerifierLog(log);
    EXPECT_EQ(e.location, "probe.c:11");
    EXPECT_EQ(e.source, "*v += 1;");
    EXPECT_EQ(e.reason, "R0 invalid mem access 'map_value_or_null'");
    EXPECT_NE(e.hint.find("NULL"), std::string::npos);
    EXPECT_EQ(formatExplanation(e).rfind("probe.c:11: R0 invalid mem access", 0), 0u);
}

TEST(VerifierExplain, TooLargeProgramHintsAtLoopBound) {
    auto e = explainVerifierLog("; for (...) @ loop.c:16\n19: (7b) *(u64 *)(r10 -16) = r2\n"
                                "BPF program is too large. Processed 1000001 insn\n"
                                "processed 1000001 insns (limit 1000000)\n");
    EXPECT_EQ(e.location, "loop.c:16");
    EXPECT_NE(e.hint.find("loop"), std::string::npos);
}

TEST(VerifierExplain, UnknownReasonHasNoHintButKeepsText) {
    auto e = explainVerifierLog("0: (95) exit\nsomething new the kernel says\n");
    EXPECT_EQ(e.reason, "something new the kernel says");
    EXPECT_TRUE(e.hint.empty());
    EXPECT_TRUE(e.location.empty());
}

TEST(VerifierExplain, OverrideReturnUnavailableSaysTheKernelCannot) {
    auto e = explainVerifierLog("; bpf_override_return(ctx, -ENOMEM); @ inject.c:114\n"
                                "31: (85) call bpf_override_return#58\n"
                                "program of this type cannot use helper bpf_override_return#58\n");
    EXPECT_EQ(e.location, "inject.c:114");
    EXPECT_NE(e.hint.find("this kernel cannot load it"), std::string::npos) << e.hint;
}

// Kernels without error injection (Debian 12's 6.1) do not know the helper at all.
TEST(VerifierExplain, OverrideReturnUnknownSaysTheKernelCannot) {
    auto e = explainVerifierLog("; bpf_override_return(ctx, -ENOMEM); @ fail.c:20\n"
                                "33: (85) call bpf_override_return#58\n"
                                "unknown func bpf_override_return#58\n");
    EXPECT_EQ(e.location, "fail.c:20");
    EXPECT_NE(e.hint.find("this kernel cannot load it: bpf_override_return needs"), std::string::npos)
        << e.hint;
    // Other unknown helpers keep the general hint.
    auto other = explainVerifierLog("12: (85) call bpf_loop#181\nunknown func bpf_loop#181\n");
    EXPECT_EQ(other.hint.find("this kernel cannot load it"), std::string::npos) << other.hint;
    EXPECT_NE(other.hint.find("not available"), std::string::npos) << other.hint;
}

// A bound the source has but the verifier lost (6.1: `n != 0` then `n <= 1` is not n == 1):
// the hint says both what to check and that an already-bounded index needs its own bound.
TEST(VerifierExplain, UnboundedIndexHintCoversABoundTheVerifierLost) {
    auto e = explainVerifierLog(
        "12: (15) if r2 == 0x0 goto pc+14      ; R2=scalar()\n"
        "13: (25) if r2 > 0x1 goto pc+13       ; R2=scalar(umax=1,var_off=(0x0; 0x1))\n"
        "; if (s->slot[s->n - 1] == s->cur) @ slots.c:31\n"
        "14: (07) r2 += -1                     ; R2_w=scalar(smin=-1,smax=0)\n"
        "18: (0f) r4 += r3\n"
        "math between map_value pointer and register with unbounded min value is not allowed\n");
    EXPECT_EQ(e.location, "slots.c:31");
    EXPECT_EQ(e.source, "if (s->slot[s->n - 1] == s->cur)");
    EXPECT_NE(e.hint.find("check `idx >= 0`"), std::string::npos) << e.hint;
    EXPECT_NE(e.hint.find("this kernel's verifier lost the bound"), std::string::npos) << e.hint;
}

// A portable object run on a kernel without a field it reads: libbpf rewrites the verifier's
// complaint about the poisoned instruction into the relocation it could not resolve.
TEST(VerifierExplain, UnresolvedCoreRelocationNamesTheKernelTypeAndField) {
    auto e = explainVerifierLog(
        "; u64 cid = t->mm_cid; @ core_missing.c:10\n"
        "5: <invalid CO-RE relocation>\n"
        "failed to resolve CO-RE relocation <byte_off> [20] struct task_struct___jp.mm_cid "
        "(0:0 @ offset 0)\n"
        "processed 6 insns (limit 1000000)\n");
    EXPECT_EQ(e.location, "core_missing.c:10");
    EXPECT_EQ(e.reason, "failed to resolve CO-RE relocation <byte_off> [20] struct "
                        "task_struct.mm_cid (0:0 @ offset 0)");
    EXPECT_NE(e.hint.find("bpf_core_field_exists"), std::string::npos) << e.hint;
}

// The kernel's infinite-loop report ends with the two states it compared: the reason is the
// line above them, and the hint says how to bound the loop.
TEST(VerifierExplain, InfiniteLoopIsTheReasonNotTheStatesAfterIt) {
    auto e = explainVerifierLog("; while (i < n) i++; @ loop.c:3\n"
                                "7: (05) goto pc-4\n"
                                "infinite loop detected at insn 4\n"
                                "cur state: R1=scalar() R10=fp0\n"
                                "old state: R1=scalar() R10=fp0\n");
    EXPECT_EQ(e.reason, "infinite loop detected at insn 4");
    EXPECT_EQ(e.location, "loop.c:3");
    EXPECT_NE(e.hint.find("bound it by a constant"), std::string::npos) << e.hint;
}

TEST(VerifierExplain, TooManyJumpsHintsAtBoundingTheLoop) {
    auto e = explainVerifierLog("; i++; @ loop.c:4\n"
                                "12: (07) r1 += 1                     ; R1_w=3\n"
                                "The sequence of 8193 jumps is too complex.\n");
    EXPECT_EQ(e.reason, "The sequence of 8193 jumps is too complex.");
    EXPECT_NE(e.hint.find("bpf_loop"), std::string::npos) << e.hint;
}

// fentry/fexit/fmod_ret/LSM on a function this kernel lacks (libbpf: ESRCH before any load).
TEST(VerifierExplain, MissingAttachTargetIsNamedFromLibbpfsLog) {
    const std::string log =
        "libbpf: prog 'kmod_ret__new_hook': failed to find kernel BTF type ID of 'new_hook': -3\n"
        "libbpf: prog 'kmod_ret__new_hook': failed to prepare load attributes: -3\n";
    EXPECT_EQ(missingAttachTarget(log, "kmod_ret__new_hook"), "new_hook");
    EXPECT_EQ(missingAttachTarget(log, "kfunc__other"), "");
    EXPECT_EQ(missingAttachTarget("libbpf: prog 'p': failed to load: -13\n", "p"), "");
}
