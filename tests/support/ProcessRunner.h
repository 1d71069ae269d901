// Runs a child process (usually the jitprobe CLI) with a deadline, capturing stdout + stderr,
// optionally signalling it once its output shows it is ready. Also: BPF program census.
#pragma once
#include <functional>
#include <string>
#include <vector>

namespace jitprobe::testing {

struct ProcessResult {
    int exit_code = -1;     // when the child exited
    int signal = 0;         // when a signal ended it
    bool timed_out = false; // killed at the deadline
    double seconds = 0;
    std::string output; // stdout + stderr, interleaved
    bool exited() const { return signal == 0 && !timed_out; }
};

struct ProcessOptions {
    double timeout_s = 120;
    // When non-empty: once the output contains READY_TEXT, send SEND_SIGNAL to the child.
    std::string ready_text;
    int send_signal = 0;
    std::function<void()> on_ready;    // runs in the parent just before the signal is sent
    std::function<void()> child_setup; // runs in the child before exec (e.g. drop capabilities)
};

ProcessResult runProcess(const std::vector<std::string> &argv, const ProcessOptions &options = {});

// The CLI in this build tree.
std::string cliPath();

// stdout + stderr of COMMAND run by /bin/sh (popen); its wait status in *STATUS when given.
std::string shellOutput(const std::string &command, int *status = nullptr);

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
int freeLoopbackPort();

// Names of every BPF program loaded on the system (bpf_prog_get_next_id walk).
std::vector<std::string> loadedProgramNames();
// How many loaded programs are called NAME (BPF_OBJ_NAME_LEN-truncated names compare as such).
int countLoadedPrograms(const std::string &name);

} // namespace jitprobe::testing
