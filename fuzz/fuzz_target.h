// The one shape every fuzz target has: the input is split into the files of a small model
// directory, written to a fresh temporary directory, and handed to the library's real loader.
// A typed llmrt::Error is a correct rejection; anything else that escapes (another exception,
// a sanitizer report, a hang) is a defect, because the C API would turn it into
// Status::Internal or worse instead of a message naming the file and field.
//
// Each fuzz_<name>.cpp defines LLVMFuzzerTestOneInput with run_target(). The same file is linked
// with libFuzzer (LLMRT_FUZZ=ON, clang) to search, and with replay_main.cpp in the normal build
// to replay the seeds and regression inputs under ctest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace llmrt {
struct Model;
class Tokenizer;
}  // namespace llmrt

namespace llmrt::fuzz {

// Separates the files of one input. Multi-file seeds contain it, so mutations mostly keep it.
constexpr const char *kFileSeparator = "\n--llmrt-fuzz-next-file--\n";

// Splits the input at the first (names.size() - 1) separators; file i gets part i. Files past the
// last part are not written (e.g. an input without tokenizer_config.json).
// Calls load(dir) with dir the temporary directory; Error thrown by load is a rejection.
int run_target(const uint8_t *data, size_t size, const std::vector<std::string> &names,
               const std::function<void(const std::string &dir)> &load);

// What a caller does with a loaded model: tokenize, detokenize, every piece, and a short decode,
// so a file that loads is also one the runtime can use.
void use_model(const Model &model);
void use_tokenizer(const Tokenizer &tokenizer);

}  // namespace llmrt::fuzz
