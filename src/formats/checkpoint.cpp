#include "formats/checkpoint.h"

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "formats/llmrt_file.h"

namespace llmrt {

const TensorView *Checkpoint::find(const std::string &name) const {
    auto it = tensors.find(name);
    return it == tensors.end() ? nullptr : &it->second;
}

const TensorView &Checkpoint::get(const std::string &name) const {
    const TensorView *t = find(name);
    if (!t) fail(Status::Format, path + ": has no tensor '" + name + "'");
    return *t;
}

namespace {

// Up to the first 8 bytes of the file: enough for every magic we know.
std::string read_magic(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(Status::Io, path + ": cannot open for reading");
    char magic[8] = {};
    in.read(magic, sizeof magic);
    return std::string(magic, static_cast<size_t>(in.gcount()));
}

bool starts_with(const std::string &s, const std::string &prefix) {
    return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

Checkpoint read_checkpoint(const std::string &path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (!fs::exists(status)) fail(Status::Io, path + ": " + (ec ? ec.message() : "does not exist"));
    if (fs::is_directory(status)) return read_hf_checkpoint(path);
    if (!fs::is_regular_file(status)) fail(Status::Io, path + ": not a regular file or directory");
    const std::string magic = read_magic(path);
    if (starts_with(magic, "GGUF")) return read_gguf_checkpoint(path);
    if (starts_with(magic, std::string(kLlmrtFileMagic, kLlmrtFileMagicSize))) return read_llmrt_file(path);
    fail(Status::Format,
         path +
             ": unknown checkpoint format; expected a GGUF file, an llmrt file or a "
             "Hugging Face directory (config.json with model.safetensors or its sharded index)");
}

}  // namespace llmrt
