// Lossless conversion of GGUF-style metadata to JSON and back, as the llmrt file's header stores
// it: {key: {"type": kind, "value": ...}} with MetaValue's kind names ("int", "uint", "float",
// "bool", "string", "array").
//   - 64-bit integers are exact JSON integers (nlohmann keeps all 64 bits).
//   - Finite floats are written with the shortest digits that read back to the same double;
//     NaN and infinities, which JSON lacks, as "nan", "inf" and "-inf".
//   - A string that is not valid UTF-8 (JSON strings must be) is written as {"hex": "..."}.
//   - An array whose elements are scalars of one kind has "element_type" and bare element
//     values (token lists stay compact); any other array (nested, mixed, empty) lists full
//     {"type", "value"} elements.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "formats/metadata.h"

namespace llmrt {

// Arrays nested deeper than this are refused both ways (GGUF readers allow 8), so decoding
// untrusted JSON cannot recurse without bound.
constexpr int kMaxMetadataArrayDepth = 16;

// Throws Error(Status::InvalidArgument) for arrays nested too deeply.
nlohmann::json metadata_to_json(const Metadata &metadata);

// Throws Error(Status::Format) with `where` (e.g. "<file>: gguf_metadata") in front of a
// message naming the key and the problem.
Metadata metadata_from_json(const nlohmann::json &json, const std::string &where);

}  // namespace llmrt
