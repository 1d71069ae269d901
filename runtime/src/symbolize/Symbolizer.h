// The runtime's handle on libjitprobe-symbolizer.so, dlopen'ed on first use.
#pragma once
#include "jitprobe/Status.h"

#include <cstdint>
#include <memory>
#include <string>

namespace jitprobe {

class StackSymbolizer {
  public:
    // Loads the library from $JITPROBE_SYMBOLIZER, the build tree, the install libdir, then
    // the loader's search path. Null (and *why set) when none loads.
    static std::unique_ptr<StackSymbolizer> load(Status *why = nullptr);
    ~StackSymbolizer();
    StackSymbolizer(const StackSymbolizer &) = delete;
    StackSymbolizer &operator=(const StackSymbolizer &) = delete;

    // "function+0xOFF [module]", or the address in hex when unknown.
    std::string kernel(std::uint64_t addr);
    std::string user(int pid, std::uint64_t addr);
    void rememberMaps(int pid, const std::string &maps_text);

  private:
    struct Impl;
    explicit StackSymbolizer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

} // namespace jitprobe
