// What linking Debian's static LLVM/Clang 16 libraries needs besides the libraries themselves.
// Debian builds LLVM with Polly linked into its tools, so clangCodeGen's pass-plugin table
// (llvm/Support/Extension.def) names getPollyPluginInfo, but no static Polly library ships.
// Probes never ask for Polly: register nothing under its name.
#include <llvm/Config/llvm-config.h>
#include <llvm/Passes/PassPlugin.h>

llvm::PassPluginLibraryInfo getPollyPluginInfo() {
    return {LLVM_PLUGIN_API_VERSION, "polly-not-linked", LLVM_VERSION_STRING,
            [](llvm::PassBuilder &) {}};
}
