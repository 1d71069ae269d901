# One warning policy for every target of the project: -Wall -Wextra, and -Werror when
# JITPROBE_WERROR=ON (.ci/run turns it on). LLVM's, Clang's and libbpf's headers are included as
# system headers, so only our own code is held to it.
option(JITPROBE_WERROR "Treat compiler warnings as errors" OFF)
add_compile_options(-Wall -Wextra $<$<BOOL:${JITPROBE_WERROR}>:-Werror>)
