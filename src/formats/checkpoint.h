// A checkpoint as read from disk, before any architecture interprets it: configuration, tensors
// (pointing into memory-mapped files it owns) and where the tokenizer lives.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/mapped_file.h"
#include "formats/metadata.h"
#include "formats/tensor.h"

namespace llmrt {

struct Checkpoint {
    enum class Source { HuggingFace, Gguf };
    Source source = Source::HuggingFace;
    std::string path;  // the directory (HF) or file (GGUF) the user gave

    // HF: config.json merged with generation_config.json's bos/eos ("bos_token_id",
    // "eos_token_id" only when config.json lacks them). Empty object for GGUF.
    nlohmann::json hf_config = nlohmann::json::object();
    // GGUF: all key/value pairs (including tokenizer.ggml.*). Empty for HF.
    Metadata gguf_metadata;

    std::map<std::string, TensorView> tensors;
    std::vector<std::shared_ptr<MappedFile>> files;  // keep the tensors' memory alive

    // Architecture name as the file states it: HF config "architectures"[0] (e.g.
    // "LlamaForCausalLM") or GGUF "general.architecture" (e.g. "llama").
    std::string architecture;

    const TensorView *find(const std::string &name) const;
    // Throws Error(LLMRT_ERR_FORMAT) naming the checkpoint path and tensor when absent.
    const TensorView &get(const std::string &name) const;
};

// Reads a directory holding config.json and model.safetensors or model.safetensors.index.json.
// Validates every header, offset, dtype and shape against the files. Throws Error.
Checkpoint read_hf_checkpoint(const std::string &dir);

// Reads a GGUF v2/v3 file. Validates magic, version, counts, string lengths, types, tensor
// offsets, alignment and sizes against the file. Throws Error.
Checkpoint read_gguf_checkpoint(const std::string &path);

// Picks the reader from what the path is (directory -> HF, file starting with "GGUF" -> GGUF).
Checkpoint read_checkpoint(const std::string &path);

}  // namespace llmrt
