// dlopen()s libjitprobe-symbolizer.so and forwards to its C entry points.
#include "Symbolizer.h"
#include "SymbolizerApi.h"

#include <dlfcn.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <vector>

#ifndef JITPROBE_BUILD_SYMBOLIZER_DIR
#define JITPROBE_BUILD_SYMBOLIZER_DIR ""
#endif
#ifndef JITPROBE_INSTALL_LIBDIR
#define JITPROBE_INSTALL_LIBDIR ""
#endif

namespace jitprobe {

struct StackSymbolizer::Impl {
    void *library = nullptr;
    const jitprobe_symbolizer_ops *api = nullptr;
    void *handle = nullptr;
};

namespace {
constexpr const char *kLibraryName = "libjitprobe-symbolizer.so";

std::vector<std::string> candidatePaths() {
    std::vector<std::string> paths;
    if (const char *env = std::getenv("JITPROBE_SYMBOLIZER"); env && *env)
        paths.emplace_back(env);
    for (const char *dir : {JITPROBE_BUILD_SYMBOLIZER_DIR, JITPROBE_INSTALL_LIBDIR})
        if (*dir)
            paths.push_back(std::string(dir) + "/" + kLibraryName);
    paths.emplace_back(kLibraryName);
    return paths;
}

std::string hexAddr(std::uint64_t addr) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%" PRIx64, addr);
    return buf;
}

template <typename Fn> std::string callInto(Fn &&fn, std::uint64_t addr) {
    char buf[512];
    std::size_t n = fn(buf, sizeof buf);
    if (n == 0)
        return hexAddr(addr);
    if (n < sizeof buf)
        return std::string(buf, n);
    std::string big(n + 1, '\0');
    fn(big.data(), big.size());
    big.resize(n);
    return big;
}
} // namespace

std::unique_ptr<StackSymbolizer> StackSymbolizer::load(Status *why) {
    std::string errors;
    for (const std::string &path : candidatePaths()) {
        void *lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!lib) {
            errors += std::string(errors.empty() ? "" : "; ") + dlerror();
            continue;
        }
        using Entry = const jitprobe_symbolizer_ops *(*)();
        auto entry = reinterpret_cast<Entry>(dlsym(lib, JITPROBE_SYMBOLIZER_ENTRY));
        const jitprobe_symbolizer_ops *api = entry ? entry() : nullptr;
        if (!api || api->abi_version != JITPROBE_SYMBOLIZER_ABI) {
            errors += "; " + path + ": no compatible " JITPROBE_SYMBOLIZER_ENTRY;
            dlclose(lib);
            continue;
        }
        auto impl = std::make_unique<Impl>();
        impl->library = lib;
        impl->api = api;
        impl->handle = api->create();
        return std::unique_ptr<StackSymbolizer>(new StackSymbolizer(std::move(impl)));
    }
    if (why)
        *why = Status(-1, "cannot load the stack symbolizer: " + errors);
    return nullptr;
}

StackSymbolizer::StackSymbolizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

StackSymbolizer::~StackSymbolizer() {
    if (impl_->api)
        impl_->api->destroy(impl_->handle);
    // The library stays mapped: LLVM registers static state that must outlive its handle.
}

std::string StackSymbolizer::kernel(std::uint64_t addr) {
    return callInto([&](char *b, std::size_t n) { return impl_->api->symbolize_kernel(impl_->handle, addr, b, n); }, addr);
}

std::string StackSymbolizer::user(int pid, std::uint64_t addr) {
    return callInto([&](char *b, std::size_t n) { return impl_->api->symbolize_user(impl_->handle, pid, addr, b, n); }, addr);
}

void StackSymbolizer::rememberMaps(int pid, const std::string &maps_text) {
    impl_->api->remember_maps(impl_->handle, pid, maps_text.c_str());
}

} // namespace jitprobe
