#include "tokenizer/chat_template_source.h"

#include <fstream>
#include <sstream>

#include "core/error.h"

namespace llmrt {

namespace {

bool is_default(const std::string &name) { return name.empty() || name == "default"; }

// tokenizer_config.json's text, or "" when the checkpoint has none.
std::string tokenizer_config_text(const Checkpoint &checkpoint) {
    if (checkpoint.packed_file) {
        const auto it = checkpoint.embedded_files.find("tokenizer_config.json");
        return it == checkpoint.embedded_files.end() ? std::string() : it->second;
    }
    std::ifstream in(checkpoint.path + "/tokenizer_config.json", std::ios::binary);
    if (!in) return {};
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

std::string template_from_tokenizer_config(const nlohmann::json &config, const std::string &name) {
    if (!config.is_object() || !config.contains("chat_template")) return {};
    const nlohmann::json &t = config["chat_template"];
    if (t.is_string()) return is_default(name) ? t.get<std::string>() : std::string();
    if (!t.is_array()) return {};
    const std::string wanted = is_default(name) ? "default" : name;
    for (const auto &entry : t)
        if (entry.is_object() && entry.contains("name") && entry["name"] == wanted && entry.contains("template") &&
            entry["template"].is_string())
            return entry["template"].get<std::string>();
    return {};
}

std::string chat_template_of(const Checkpoint &checkpoint, const std::string &name) {
    if (checkpoint.source == Checkpoint::Source::Gguf) {  // llmrt files made from GGUF keep its metadata
        const std::string key = is_default(name) ? "tokenizer.chat_template" : "tokenizer.chat_template." + name;
        const auto it = checkpoint.gguf_metadata.find(key);
        if (it == checkpoint.gguf_metadata.end() || it->second.kind != MetaValue::Kind::String) return {};
        return it->second.s;
    }
    const std::string text = tokenizer_config_text(checkpoint);
    if (text.empty()) return {};
    const nlohmann::json config = nlohmann::json::parse(text, nullptr, false);
    require(!config.is_discarded(), Status::Format, checkpoint.path + ": tokenizer_config.json is not valid JSON");
    return template_from_tokenizer_config(config, name);
}

}  // namespace llmrt
