// Quantized models written in the interop formats: a Hugging Face GPTQ directory and llama.cpp's
// GGUF. Both take the model quantize_model made (its WeightStore holds what the file will) and
// write tensors bit for bit, never re-rounding: a tensor the target format cannot hold exactly is
// refused with Status::Unsupported naming the tensor and why.
#pragma once

#include <string>

#include "models/model.h"
#include "models/quant_plan.h"

namespace llmrt {

// A directory: config.json (the source's, with quantization_config), model.safetensors (GPTQ
// v1 layout for the int4/int8 Linears, float32 for the rest), the tokenizer files. The source
// must be an HF checkpoint; every quantized tensor needs an HF name and whole 32-bit words.
void export_hf_gptq(const Model &model, const std::string &dir, const QuantOptions &options);

// A GGUF file: Q4_0 / Q4_1 / Q8_0 for int4 g32 sym / int4 g32 asym / int8 g32 sym with fp16
// scales, F32 for f32 tensors. Metadata: the source's when it is a GGUF file; llama.cpp's keys
// and the SentencePiece tokenizer when it is a Llama HF checkpoint (q/k rows permuted as
// llama.cpp's converter does).
void export_gguf(const Model &model, const std::string &path, const QuantOptions &options);

}  // namespace llmrt
