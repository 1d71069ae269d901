// -c COMMAND: plain words are exec'd directly (no shell in between), anything else goes through
// /bin/sh -c, and a word the system cannot exec (a shell builtin) is left to the shell.
#include "script/ScriptParts.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

using jitprobe::BlockedCommand;
using jitprobe::plainWords;
using Words = std::vector<std::string>;

TEST(PlainWords, SplitsPlainCommandsOnly) {
    EXPECT_EQ(plainWords("benchgen mark /tmp/x.1"), (Words{"benchgen", "mark", "/tmp/x.1"}));
    EXPECT_EQ(plainWords("  dd if=/dev/zero of=/tmp/f bs=1M\tcount=1 "),
              (Words{"dd", "if=/dev/zero", "of=/tmp/f", "bs=1M", "count=1"}));
    EXPECT_EQ(plainWords("sleep 0.5"), (Words{"sleep", "0.5"}));
    for (const char *shell :
         {"ls / >/dev/null", "a; b", "a && b", "a | b", "echo $HOME", "echo 'x y'", "echo \"x\"",
          "ls *.c", "FOO=1 cmd", "echo ~", "(sub)", "a &", "echo `id`", "x\\ y", ""})
        EXPECT_TRUE(plainWords(shell).empty()) << shell;
}

namespace {
// COMMAND started blocked, released, waited for: its exit code; COMM_SEEN what /proc said the
// command's own process was running shortly after release.
int runBlocked(const std::string &command, std::string *comm_seen = nullptr) {
    BlockedCommand cmd;
    EXPECT_TRUE(cmd.start(command).ok());
    EXPECT_TRUE(cmd.release().ok());
    if (comm_seen) {
        ::usleep(100 * 1000);
        std::ifstream(("/proc/" + std::to_string(cmd.pid()) + "/comm").c_str()) >> *comm_seen;
    }
    while (!cmd.poll_exited())
        ::usleep(2000);
    return cmd.exit_code();
}
} // namespace

TEST(BlockedCommand, PlainCommandRunsWithoutAShell) {
    std::string comm;
    EXPECT_EQ(runBlocked("sleep 0.3", &comm), 0);
    EXPECT_EQ(comm, "sleep") << "the command is the child itself, not a shell's child";
    EXPECT_EQ(runBlocked("false"), 1);
}

TEST(BlockedCommand, ShellSyntaxAndBuiltinsGoThroughTheShell) {
    EXPECT_EQ(runBlocked("exit 7"), 7) << "a builtin: exec fails, the shell runs it";
    EXPECT_EQ(runBlocked("test -d / && exit 5"), 5);
    EXPECT_EQ(runBlocked("no-such-command-jitprobe"), 127);
}
