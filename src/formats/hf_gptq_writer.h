// Writes a Hugging Face GPTQ checkpoint directory (AutoGPTQ's / optimum's "gptq" v1 layout):
// config.json with its quantization_config, model.safetensors with P.qweight / P.qzeros /
// P.scales / P.g_idx for each quantized Linear P and the other tensors in float32, and whatever
// other files (tokenizer) the caller adds. It is the inverse of read_hf_quantized_linear
// (formats/hf_quantized.h documents the bit layout): a Linear decoded from the written file gives
// back the codes, scales and zero points it was given.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "formats/hf_quantized.h"

namespace llmrt {

class HfGptqWriter {
public:
    // bits 4 or 8; group_size > 0 or -1 (one group per row); sym as quantization_config states it.
    HfGptqWriter(int bits, int64_t group_size, bool sym);

    // config.json without quantization_config (the writer adds it).
    void set_config(const nlohmann::json &config) { config_ = config; }
    // Also list "lm_head" as quantized (GPTQModel's "lm_head": true).
    void set_lm_head_quantized(bool quantized) { lm_head_ = quantized; }

    // A quantized Linear "<prefix>" in HfQuantLinear's form (codes [rows, cols], scales and
    // effective zeros [rows, n_groups], groups of consecutive inputs). Scales go out as float16
    // when f16_scales (the format's usual type) and as float32 otherwise (read_hf_quantized_linear
    // takes both). Throws Status::Unsupported naming the Linear when the format cannot hold it:
    // bits or group size other than the writer's, or a zero point v1 cannot store (0: v1 stores
    // zero - 1 in `bits` bits).
    void add_linear(const std::string &prefix, const HfQuantLinear &linear);
    // A float32 tensor, copied; shape outermost first.
    void add_f32(const std::string &name, const std::vector<int64_t> &shape, const float *data);
    // A file of the directory (tokenizer.model, ...), by name.
    void add_file(const std::string &name, std::string content) { files_[name] = std::move(content); }

    // Writes everything into a fresh "<dir>.tmp-XXXXXX" and renames it to dir, so dir is never
    // a partial checkpoint. An existing non-empty dir is not replaced (Status::Io naming it);
    // an empty one is. Throws Status::Io naming the path on failure, removing the temporary.
    void write(const std::string &dir) const;

private:
    struct Blob {
        std::string dtype;  // safetensors' "F32", "F16", "I32"
        std::vector<int64_t> shape;
        std::vector<uint8_t> bytes;
    };
    std::string safetensors_bytes_header() const;

    int bits_;
    int64_t group_size_;
    bool sym_;
    bool lm_head_ = false;
    nlohmann::json config_ = nlohmann::json::object();
    std::map<std::string, Blob> tensors_;  // sorted: deterministic files
    std::map<std::string, std::string> files_;
};

}  // namespace llmrt
