// SHA-256 against FIPS 180-4 / NIST test vectors, incremental updates, and fileDigest.
#include "btf/KernelTypes.h"
#include "jitprobe/common/Sha256.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>

using namespace jitprobe::frontend;

TEST(TextSha256, NistVectors) {
    EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    EXPECT_EQ(sha256Hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjk"
                        "lmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
              "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    EXPECT_EQ(sha256Hex(std::string(1000000, 'a')),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(TextSha256, PaddingBoundaries) {
    // Lengths around the 55/56/64-byte padding edges (values from Python hashlib).
    EXPECT_EQ(sha256Hex(std::string(55, 'a')),
              "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
    EXPECT_EQ(sha256Hex(std::string(56, 'a')),
              "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
    EXPECT_EQ(sha256Hex(std::string(64, 'a')),
              "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TEST(TextSha256, IncrementalEqualsOneShot) {
    std::string data;
    for (int i = 0; i < 300; ++i)
        data += char('a' + i % 26);
    const std::string expected = sha256Hex(data);
    for (std::size_t split = 0; split <= data.size(); split += 7) {
        Sha256 s;
        s.update(std::string_view(data).substr(0, split));
        s.update(std::string_view(data).substr(split));
        EXPECT_EQ(s.finishHex(), expected) << "split at " << split;
    }
    Sha256 bytes;
    for (char c : data)
        bytes.update(&c, 1);
    EXPECT_EQ(bytes.finishHex(), expected);
}

TEST(TextSha256, FileDigest) {
    char path[] = "/tmp/jitprobe-sha-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    std::string content(200000, '\0');
    for (std::size_t i = 0; i < content.size(); ++i)
        content[i] = char(i * 131 % 251);
    std::ofstream(path, std::ios::binary) << content;
    EXPECT_EQ(fileDigest(path), sha256Hex(content));
    std::remove(path);
    EXPECT_EQ(fileDigest(path), "");
}
