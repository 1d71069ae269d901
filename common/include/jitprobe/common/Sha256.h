// SHA-256 (FIPS 180-4) for cache keys: the frontend digests kernel BTF, the runtime digests
// sources and objects. Standard library only, so any component can link it without libbpf.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace jitprobe::frontend {

class Sha256 {
public:
    Sha256();
    void update(const void *data, std::size_t len);
    void update(std::string_view s) { update(s.data(), s.size()); }
    std::array<std::uint8_t, 32> finish(); // the object must not be updated afterwards
    std::string finishHex();

private:
    void block(const std::uint8_t *p);
    std::array<std::uint32_t, 8> h_;
    std::array<std::uint8_t, 64> buf_{};
    std::size_t buf_len_ = 0;
    std::uint64_t total_ = 0;
};

// Lowercase hex digest of `data`.
std::string sha256Hex(std::string_view data);

} // namespace jitprobe::frontend
