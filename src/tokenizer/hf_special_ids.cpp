#include "tokenizer/hf_special_ids.h"

namespace llmrt {
namespace {

// config.json's "bos_token_id"/"eos_token_id": an integer, a list of integers, or null.
std::vector<int32_t> config_ids(const nlohmann::json &model_config, const char *key) {
    std::vector<int32_t> ids;
    if (!model_config.is_object() || !model_config.contains(key)) return ids;
    const nlohmann::json &value = model_config.at(key);
    const auto add = [&](const nlohmann::json &v) {
        if (v.is_number_integer() && v.get<int64_t>() >= 0 && v.get<int64_t>() <= INT32_MAX) {
            ids.push_back(static_cast<int32_t>(v.get<int64_t>()));
        }
    };
    if (value.is_array()) {
        for (const auto &v : value) add(v);
    } else {
        add(value);
    }
    return ids;
}

}  // namespace

std::optional<std::string> tokenizer_config_token(const nlohmann::json &tokenizer_config, const char *key) {
    if (!tokenizer_config.is_object() || !tokenizer_config.contains(key)) return std::nullopt;
    const nlohmann::json &value = tokenizer_config.at(key);
    if (value.is_string()) return value.get<std::string>();
    if (value.is_object() && value.contains("content") && value.at("content").is_string()) {
        return value.at("content").get<std::string>();
    }
    return std::nullopt;
}

std::optional<bool> tokenizer_config_flag(const nlohmann::json &tokenizer_config, const char *key) {
    if (!tokenizer_config.is_object() || !tokenizer_config.contains(key)) return std::nullopt;
    const nlohmann::json &value = tokenizer_config.at(key);
    if (!value.is_boolean()) return std::nullopt;
    return value.get<bool>();
}

HfSpecialIds hf_special_ids(const nlohmann::json &model_config, const nlohmann::json &tokenizer_config,
                            const std::function<int32_t(std::string_view)> &find_id) {
    HfSpecialIds ids;
    const std::vector<int32_t> bos = config_ids(model_config, "bos_token_id");
    if (!bos.empty()) {
        ids.bos = bos.front();
    } else if (const auto text = tokenizer_config_token(tokenizer_config, "bos_token")) {
        ids.bos = find_id(*text);
    }
    // Both files' eos end a generation: chat models often name the end-of-turn token in
    // tokenizer_config.json and the pre-training eos in config.json.
    ids.all_eos = config_ids(model_config, "eos_token_id");
    int32_t tokenizer_eos = -1;
    if (const auto text = tokenizer_config_token(tokenizer_config, "eos_token")) tokenizer_eos = find_id(*text);
    if (tokenizer_eos >= 0) ids.all_eos.push_back(tokenizer_eos);
    if (!ids.all_eos.empty()) ids.eos = ids.all_eos.front();
    return ids;
}

}  // namespace llmrt
