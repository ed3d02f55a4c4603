// Reading the small JSON files of a Hugging Face directory (config.json, the shard index...).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace llmrt {

// Throws Error(Status::Io) naming the path when the file cannot be read, and
// Error(Status::Format) naming it when it is not valid JSON or (for the object variant)
// not a JSON object.
nlohmann::json read_json_file(const std::string &path);
nlohmann::json read_json_object_file(const std::string &path);

}  // namespace llmrt
