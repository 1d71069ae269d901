# Debian packages (CPack DEB), one per install component; scripts/package.sh builds them.
#   runtime  -> jitprobe-runtime: the CLI and libjitprobe.so.0; no LLVM/Clang (runs cached probes
#               and portable objects)
#   compiler -> jitprobe: jitprobe-compiler (LLVM/Clang linked in), the LLVM symbolizer plugin and
#               libjitprobe-frontend (the only files that map LLVM)
#   dev      -> libjitprobe-dev: headers, find_package(jitprobe), jitprobe.pc
# Versions come from project(VERSION) only.
set(JITPROBE_PACKAGE_MAINTAINER
  "jitprobe maintainers <maintainers@users.noreply.r-seed-90451cf3.example>"
  CACHE STRING "Maintainer field of the Debian packages and their changelog")

# pkg-config file and the per-package documentation Debian policy asks for.
configure_file(${PROJECT_SOURCE_DIR}/packaging/jitprobe.pc.in ${PROJECT_BINARY_DIR}/jitprobe.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/jitprobe.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
  COMPONENT dev)
string(TIMESTAMP JITPROBE_CHANGELOG_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC) # honours SOURCE_DATE_EPOCH
configure_file(${PROJECT_SOURCE_DIR}/packaging/changelog.in ${PROJECT_BINARY_DIR}/packaging/changelog @ONLY)
add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/packaging/changelog.gz
  COMMAND ${GZIP_EXECUTABLE} -9nkf ${PROJECT_BINARY_DIR}/packaging/changelog
  DEPENDS ${PROJECT_BINARY_DIR}/packaging/changelog)
add_custom_target(jitprobe_package_docs ALL DEPENDS ${PROJECT_BINARY_DIR}/packaging/changelog.gz)
foreach(comp_pkg runtime:jitprobe-runtime compiler:jitprobe dev:libjitprobe-dev)
  string(REPLACE ":" ";" comp_pkg ${comp_pkg})
  list(GET comp_pkg 0 comp)
  list(GET comp_pkg 1 pkg)
  install(FILES ${PROJECT_SOURCE_DIR}/packaging/copyright ${PROJECT_BINARY_DIR}/packaging/changelog.gz
    DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${pkg} COMPONENT ${comp})
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME jitprobe)
set(CPACK_PACKAGE_VENDOR jitprobe)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT ${JITPROBE_PACKAGE_MAINTAINER})
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL runtime compiler dev)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${JITPROBE_PACKAGE_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# shlibs files for libjitprobe.so.0 and libjitprobe-frontend.so.0, and an ldconfig trigger.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/packaging/triggers)
set(CPACK_DEBIAN_COMPILER_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/packaging/triggers)
# Sibling packages' libraries (libjitprobe.so.0) resolve to the sibling, not to dpkg's database.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${PROJECT_BINARY_DIR}/runtime ${PROJECT_BINARY_DIR}/frontend)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_COMPONENT_COMPILER_DEPENDS runtime)
set(CPACK_COMPONENT_DEV_DEPENDS runtime)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME jitprobe-runtime)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION "BCC-style eBPF probes: runtime without a compiler
jitprobe loads and attaches BCC-style eBPF probes through libbpf and prints
their maps. This package holds the jitprobe command and libjitprobe.so only:
it runs portable objects and cached probes, and needs no LLVM or Clang.
Install the jitprobe package to compile probe sources.")

set(CPACK_DEBIAN_COMPILER_PACKAGE_NAME jitprobe)
set(CPACK_DEBIAN_COMPILER_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_COMPILER_DESCRIPTION "BCC-style eBPF probes compiled with an embedded Clang
jitprobe compiles BCC-style restricted-C probe sources with an embedded
Clang/LLVM (the jitprobe-compiler helper), loads and attaches them through
libbpf and prints their maps. This package adds the compiler, the LLVM stack
symbolizer plugin and libjitprobe-frontend to jitprobe-runtime.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libjitprobe-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_DESCRIPTION "BCC-style eBPF probes from C++: development files
Headers of the jitprobe C++ API (BCC-named: jitprobe::BPF, tables, perf and
ring buffers), the CMake package for find_package(jitprobe) and the
pkg-config file jitprobe.pc.")
include(CPack)
