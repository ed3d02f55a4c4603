// Quantizes a checkpoint into an llmrt file (or, by options.output_format, an HF GPTQ directory
// or a GGUF file: quant/export.h): load with a quantization plan (one f32 tensor at a
// time is expanded), then stream the packed tensors to disk.
#pragma once

#include <memory>
#include <string>

#include "models/model.h"
#include "models/quant_plan.h"

namespace llmrt {

// Throws Error: the reader's errors for input_path, INVALID_ARGUMENT for bad options,
// UNSUPPORTED for an input that is already quantized, IO for output_path, CANCELLED when the
// progress callback says so. output_path is replaced only by a complete file.
void quantize_to_file(const std::string &input_path, const std::string &output_path, const QuantOptions &options);

// The two halves of quantize_to_file: the model quantized in memory (its store holding what the
// file will), then written.
std::unique_ptr<Model> quantize_model(const std::string &input_path, const QuantOptions &options);
void write_quantized_model(const Model &model, const std::string &output_path, const QuantOptions &options);

}  // namespace llmrt
