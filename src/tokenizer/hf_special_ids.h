// BOS/EOS as an HF directory declares them: config.json ids first, then tokenizer_config.json
// token texts.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmrt {

struct HfSpecialIds {
    int32_t bos = -1;
    int32_t eos = -1;
    std::vector<int32_t> all_eos;  // config.json may list several eos ids
};

// find_id: the id of a token text, or -1.
HfSpecialIds hf_special_ids(const nlohmann::json &model_config, const nlohmann::json &tokenizer_config,
                            const std::function<int32_t(std::string_view)> &find_id);

// tokenizer_config.json's "bos_token"/"eos_token"...: a string or {"content": string}.
std::optional<std::string> tokenizer_config_token(const nlohmann::json &tokenizer_config, const char *key);

// A boolean key of tokenizer_config.json, when present and boolean.
std::optional<bool> tokenizer_config_flag(const nlohmann::json &tokenizer_config, const char *key);

}  // namespace llmrt
