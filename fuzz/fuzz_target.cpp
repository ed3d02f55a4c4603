#include "fuzz/fuzz_target.h"

#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string_view>

#include "core/error.h"
#include "models/model.h"
#include "runtime/context.h"
#include "tokenizer/tokenizer.h"

namespace llmrt::fuzz {
namespace {

// Removed on every exit, so a long fuzzing run does not fill the disk.
class TempDir {
public:
    TempDir() {
        const char *base = getenv("TMPDIR");
        std::string pattern = std::string(base && *base ? base : "/tmp") + "/llmrt-fuzz-XXXXXX";
        if (!mkdtemp(pattern.data())) {
            std::perror("mkdtemp");
            abort();
        }
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::string &path() const { return path_; }

private:
    std::string path_;
};

void write_file(const std::string &path, std::string_view content) {
    std::ofstream out(path, std::ios::binary);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!out) {
        std::fprintf(stderr, "cannot write %s\n", path.c_str());
        abort();
    }
}

}  // namespace

int run_target(const uint8_t *data, size_t size, const std::vector<std::string> &names,
               const std::function<void(const std::string &dir)> &load) {
    const TempDir dir;
    std::string_view rest(reinterpret_cast<const char *>(data), size);
    const std::string_view separator(kFileSeparator);
    for (size_t i = 0; i < names.size(); ++i) {
        const size_t end = i + 1 < names.size() ? rest.find(separator) : std::string_view::npos;
        write_file(dir.path() + "/" + names[i], rest.substr(0, end));
        if (end == std::string_view::npos) break;
        rest.remove_prefix(end + separator.size());
    }
    try {
        load(dir.path());
    } catch (const Error &) {
        // A rejection with a status and a message: what the loaders promise.
    }
    return 0;
}

void use_tokenizer(const Tokenizer &tokenizer) {
    // ASCII, spaces, control-token spellings, multi-byte UTF-8 and an invalid byte.
    const std::string text = "Once upon a time,  <s></s><|im_start|>user\n h\xc3\xa9llo \xe6\x97\xa5\xf0\x9f\x99\x82\t42 \xff.";
    for (const bool add_special : {false, true}) {
        for (const bool parse_special : {false, true}) {
            const std::vector<int32_t> ids = tokenizer.encode(text, add_special, parse_special);
            tokenizer.decode(ids, true);
            tokenizer.decode(ids, false);
        }
    }
    const int32_t n_vocab = tokenizer.n_vocab();
    for (int32_t id = -1; id <= std::min(n_vocab, 4096); ++id) {
        tokenizer.piece(id);
        tokenizer.is_control(id);
    }
    tokenizer.decode({-1, 0, n_vocab - 1, n_vocab, INT32_MAX}, false);
    tokenizer.find_token("<s>");
    tokenizer.end_of_generation_ids();
}

void use_model(const Model &model) {
    use_tokenizer(*model.tokenizer);
    std::vector<int32_t> ids = model.tokenizer->encode("Once upon a time", true);
    if (ids.empty()) ids.push_back(0);
    if (ids.size() > 8) ids.resize(8);
    ContextOptions options;
    options.n_ctx = 16;
    options.n_threads = 1;
    Context context(model, options);
    context.decode(ids.data(), static_cast<int64_t>(ids.size()));
    context.last_logits();
}

}  // namespace llmrt::fuzz
