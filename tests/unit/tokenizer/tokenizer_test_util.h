// Helpers shared by the tokenizer tests: paths to the shared models and references, JSON and
// byte files, id formatting, a temporary directory and error-status assertions.
#pragma once

#include <optional>

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/error.h"
#include "formats/checkpoint.h"
#include "tokenizer/loaders.h"
#include "tokenizer/tokenizer.h"

namespace llmrt::test {

inline std::string shared_dir() { return LLMRT_SHARED_DIR; }
inline std::string reference_path(const std::string &name) { return shared_dir() + "/reference/" + name; }
inline std::string model_path(const std::string &name) { return shared_dir() + "/models/" + name; }
inline std::string tokenizer_dir(const std::string &name) { return model_path("tokenizers/" + name); }

inline std::string read_text(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline nlohmann::json read_json(const std::string &path) { return nlohmann::json::parse(read_text(path)); }

inline std::vector<int32_t> ids_of(const nlohmann::json &array) { return array.get<std::vector<int32_t>>(); }

inline std::string show(const std::vector<int32_t> &ids) {
    std::ostringstream out;
    out << "[";
    for (size_t i = 0; i < ids.size(); ++i) out << (i ? " " : "") << ids[i];
    out << "]";
    return out.str();
}

// A checkpoint that only says where an HF directory is (what load_tokenizer needs).
inline Checkpoint hf_directory_checkpoint(const std::string &dir, nlohmann::json config = nlohmann::json::object()) {
    Checkpoint c;
    c.source = Checkpoint::Source::HuggingFace;
    c.path = dir;
    c.hf_config = std::move(config);
    return c;
}

// A fresh directory under /tmp, removed with everything in it when the object goes away.
class TempDir {
public:
    TempDir() {
        char pattern[] = "/tmp/llmrt-tokenizer-XXXXXX";
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

    std::string file(const std::string &name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

inline void write_text(const std::string &path, const std::string &text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + path);
}

// The status of the llmrt::Error that f throws; kNoError if it returns normally. Any other
// exception fails the test.
inline const std::optional<Status> kNoError = std::nullopt;
template <typename F>
std::optional<Status> status_of(F &&f) {
    try {
        f();
    } catch (const Error &e) {
        return e.status();
    }
    return kNoError;
}

}  // namespace llmrt::test
