// UniqueFd closes exactly once: on destruction, on reset, never after release or a move.
#include "jitprobe/common/UniqueFd.h"

#include <gtest/gtest.h>

#include <fcntl.h>

namespace {
bool isOpen(int fd) { return fcntl(fd, F_GETFD) != -1; }
} // namespace

TEST(CommonUniqueFd, ClosesOnDestructionAndReset) {
    int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(raw, 0);
    {
        jitprobe::common::UniqueFd fd(raw);
        EXPECT_TRUE(fd.valid());
        EXPECT_EQ(fd.get(), raw);
    }
    EXPECT_FALSE(isOpen(raw));
    jitprobe::common::UniqueFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    int first = fd.get();
    fd.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    EXPECT_FALSE(isOpen(first) && first != fd.get());
    EXPECT_TRUE(isOpen(fd.get()));
}

TEST(CommonUniqueFd, MoveAndReleaseTransferOwnership) {
    jitprobe::common::UniqueFd a(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    int raw = a.get();
    jitprobe::common::UniqueFd b(std::move(a));
    EXPECT_FALSE(a.valid());
    EXPECT_EQ(b.get(), raw);
    int kept = b.release();
    EXPECT_FALSE(b.valid());
    EXPECT_TRUE(isOpen(kept)); // release does not close
    ::close(kept);
}
