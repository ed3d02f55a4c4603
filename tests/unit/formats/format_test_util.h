// Helpers shared by the formats tests: a temporary directory, byte files, little-endian patching
// and an assertion that a call throws llmrt::Error with a given status and message fragment.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/error.h"

namespace llmrt::test {

inline std::string shared_dir() { return LLMRT_SHARED_DIR; }
inline std::string stories_gguf() { return shared_dir() + "/models/stories260K/stories260K.gguf"; }
inline std::string stories_hf() { return shared_dir() + "/models/stories260K-hf"; }
inline std::string synthetic_llama() { return shared_dir() + "/models/synthetic/llama"; }

// A fresh directory under /tmp, removed with everything in it when the object goes away.
class TempDir {
public:
    TempDir() {
        char pattern[] = "/tmp/llmrt-formats-XXXXXX";
        const char *p = mkdtemp(pattern);
        if (!p) throw std::runtime_error("mkdtemp failed");
        path_ = p;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;

    const std::string &path() const { return path_; }
    std::string file(const std::string &name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

using Bytes = std::vector<uint8_t>;

inline void write_bytes(const std::string &path, const Bytes &bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char *>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + path);
}

inline void write_text(const std::string &path, const std::string &text) {
    write_bytes(path, Bytes(text.begin(), text.end()));
}

inline Bytes read_bytes(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void put_le(Bytes &bytes, size_t offset, uint64_t value, size_t n) {
    for (size_t i = 0; i < n; ++i) bytes.at(offset + i) = static_cast<uint8_t>(value >> (8 * i));
}

inline void append_le(Bytes &bytes, uint64_t value, size_t n) {
    for (size_t i = 0; i < n; ++i) bytes.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

inline uint64_t get_le(const Bytes &bytes, size_t offset, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(bytes.at(offset + i)) << (8 * i);
    return v;
}

// Offset of the first byte after the first occurrence of `text` in bytes (e.g. a tensor name,
// to patch the fields that follow it).
inline size_t offset_after(const Bytes &bytes, const std::string &text) {
    auto it = std::search(bytes.begin(), bytes.end(), text.begin(), text.end());
    if (it == bytes.end()) throw std::runtime_error("'" + text + "' not found");
    return static_cast<size_t>(it - bytes.begin()) + text.size();
}

// 8-byte header length, the header text, then the data area.
inline Bytes make_safetensors(const std::string &header, const Bytes &data) {
    Bytes bytes;
    append_le(bytes, header.size(), 8);
    bytes.insert(bytes.end(), header.begin(), header.end());
    bytes.insert(bytes.end(), data.begin(), data.end());
    return bytes;
}

inline ::testing::AssertionResult throws_error(const std::function<void()> &fn, Status status,
                                               const std::string &fragment) {
    try {
        fn();
    } catch (const Error &e) {
        const std::string message = e.what();
        if (e.status() != status) {
            return ::testing::AssertionFailure()
                   << "status " << static_cast<int>(e.status()) << " instead of " << static_cast<int>(status) << ": " << message;
        }
        if (message.find(fragment) == std::string::npos) {
            return ::testing::AssertionFailure() << "message lacks '" << fragment << "': " << message;
        }
        return ::testing::AssertionSuccess() << message;
    } catch (const std::exception &e) {
        return ::testing::AssertionFailure() << "threw a non-llmrt exception: " << e.what();
    }
    return ::testing::AssertionFailure() << "did not throw";
}

}  // namespace llmrt::test
