// The safetensors format: an 8-byte little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets: [begin, end)}, "__metadata__": {...}}, then the data area.
#pragma once

#include <vector>

#include "core/mapped_file.h"
#include "formats/tensor.h"

namespace llmrt {

// The tensors of one file, pointing into `file` (the caller keeps it alive). Validates the
// header length, the JSON, every dtype, shape and offset against the file. Throws
// Error(Status::Format) naming the file and tensor, or Error(Status::Unsupported) for a
// dtype other than F32, F16 and BF16.
std::vector<TensorView> read_safetensors(const MappedFile &file);

}  // namespace llmrt
