// Quantizes a checkpoint into an llmrt file: load with a quantization plan (one f32 tensor at a
// time is expanded), then stream the packed tensors to disk.
#pragma once

#include <string>

#include "models/quant_plan.h"

namespace llmrt {

// Throws Error: the reader's errors for input_path, INVALID_ARGUMENT for bad options,
// UNSUPPORTED for an input that is already quantized, IO for output_path, CANCELLED when the
// progress callback says so. output_path is replaced only by a complete file.
void quantize_to_file(const std::string &input_path, const std::string &output_path, const QuantOptions &options);

}  // namespace llmrt
