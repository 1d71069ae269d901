// Edit distance and "did you mean" candidates.
#include "jitprobe/common/CloseMatches.h"

#include <gtest/gtest.h>

using namespace jitprobe::common;

TEST(CommonCloseMatches, EditDistance) {
    EXPECT_EQ(editDistance("", ""), 0u);
    EXPECT_EQ(editDistance("abc", ""), 3u);
    EXPECT_EQ(editDistance("kitten", "sitting"), 3u);
    EXPECT_EQ(editDistance("sys_enter_opnat", "sys_enter_openat"), 1u);
    EXPECT_EQ(editDistance("shced", "sched"), 1u); // adjacent swap counts once
    EXPECT_EQ(editDistance("ca", "abc"), 3u);      // optimal string alignment, not full Damerau
}

TEST(CommonCloseMatches, BestFirstAndOnlyPlausible) {
    std::vector<std::string> names = {"sys_enter_open", "sys_enter_openat", "sys_exit_openat",
                                      "sys_enter_close", "sched_switch"};
    auto m = closeMatches("sys_enter_opnat", names);
    ASSERT_FALSE(m.empty());
    EXPECT_EQ(m.front(), "sys_enter_openat");
    EXPECT_LE(m.size(), 3u);
    EXPECT_TRUE(closeMatches("sys_enter_no_such_call", names).empty());
    EXPECT_TRUE(closeMatches("zzz", names).empty());
    EXPECT_EQ(closeMatches("sys_enter_opnat", names, 1).size(), 1u);
    EXPECT_TRUE(closeMatches("sched_switch", {"sched_switch"}).empty()); // exact is no suggestion
    EXPECT_EQ(closeMatches("uprob", {"uprobe", "uretprobe", "kprobe"}).front(), "uprobe");
}

TEST(CommonCloseMatches, TiesSortByName) {
    auto m = closeMatches("abcd", {"abce", "abcf", "abcd"});
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[0], "abce");
    EXPECT_EQ(m[1], "abcf");
}

TEST(CommonCloseMatches, DidYouMeanListsEveryMatch) {
    EXPECT_EQ(didYouMean({"a", "b", "c"}), " (did you mean 'a', 'b' or 'c'?)");
    EXPECT_EQ(didYouMean({"a"}), " (did you mean 'a'?)");
    EXPECT_EQ(didYouMean({}), "");
    auto m = closeMatches("syscalls:sys_enter_opnat",
                          {"syscalls:sys_enter_openat", "sched:sched_switch", "totally:different"});
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0], "syscalls:sys_enter_openat");
}
