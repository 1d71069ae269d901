// jitprobe/Kernel.h: the one tracepoint rule (a format file under events/CAT/EVENT) and the
// function list, as `jitprobe list` prints them.
#include "LiveSupport.h"
#include "jitprobe/Kernel.h"

#include <gtest/gtest.h>

#include <algorithm>

TEST(KernelLists, TracepointsAreSortedAndFilteredByGlob) {
    JP_REQUIRE_BPF_PRIVILEGES();
    auto all = jitprobe::list_tracepoints();
    ASSERT_TRUE(all.ok()) << all.status().msg();
    EXPECT_TRUE(std::is_sorted(all->begin(), all->end()));
    EXPECT_TRUE(std::binary_search(all->begin(), all->end(), "sched:sched_switch"));
    auto sched = jitprobe::list_tracepoints("sched:sched_sw*");
    ASSERT_TRUE(sched.ok());
    EXPECT_NE(std::find(sched->begin(), sched->end(), "sched:sched_switch"), sched->end());
    for (const auto &n : sched.value())
        EXPECT_EQ(n.rfind("sched:sched_sw", 0), 0u) << n;
    EXPECT_TRUE(jitprobe::list_tracepoints("no_such_category:*")->empty());
}

TEST(KernelLists, KernelFunctionsIncludeTheSyscallPaths) {
    JP_REQUIRE_BPF_PRIVILEGES();
    auto fns = jitprobe::list_kernel_functions("do_sys_open*");
    ASSERT_TRUE(fns.ok()) << fns.status().msg();
    EXPECT_NE(std::find(fns->begin(), fns->end(), "do_sys_openat2"), fns->end());
    EXPECT_TRUE(std::is_sorted(fns->begin(), fns->end()));
}
