// Hugging Face directories: config.json (+ generation_config.json) and safetensors weights,
// either one model.safetensors, shards listed by model.safetensors.index.json, or AutoGPTQ's
// <quantization_config.model_file_base_name>.safetensors.
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "core/error.h"
#include "core/mapped_file.h"
#include "formats/checkpoint.h"
#include "formats/json_file.h"
#include "formats/safetensors.h"

namespace llmrt {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string join(const std::string &dir, const std::string &name) { return (fs::path(dir) / name).string(); }

bool is_file(const std::string &path) {
    std::error_code ec;
    return fs::is_regular_file(path, ec);
}

bool is_missing(const json &config, const char *key) {
    auto it = config.find(key);
    return it == config.end() || it->is_null();
}

// Older checkpoints keep bos/eos only in generation_config.json; config.json wins when it has them.
json read_config(const std::string &dir) {
    json config = read_json_object_file(join(dir, "config.json"));
    const std::string gen_path = join(dir, "generation_config.json");
    if (!is_file(gen_path)) return config;
    const json gen = read_json_object_file(gen_path);
    for (const char *key : {"bos_token_id", "eos_token_id"}) {
        if (is_missing(config, key) && !is_missing(gen, key)) config[key] = gen[key];
    }
    return config;
}

std::string architecture_of(const json &config, const std::string &dir) {
    auto archs = config.find("architectures");
    if (archs != config.end() && archs->is_array() && !archs->empty() && (*archs)[0].is_string()) {
        return (*archs)[0].get<std::string>();
    }
    auto model_type = config.find("model_type");
    if (model_type != config.end() && model_type->is_string()) return model_type->get<std::string>();
    fail(Status::Format,
         join(dir, "config.json") + ": names no architecture (neither \"architectures\" nor \"model_type\")");
}

// Adds the tensors of one safetensors file; returns their names.
std::set<std::string> add_safetensors(Checkpoint &ckpt, const std::string &path) {
    auto file = std::make_shared<MappedFile>(path);
    std::set<std::string> names;
    for (TensorView &t : read_safetensors(*file)) {
        names.insert(t.name);
        const std::string name = t.name;
        if (!ckpt.tensors.emplace(name, std::move(t)).second) {
            fail(Status::Format, path + ": tensor '" + name + "' also appears in another shard");
        }
    }
    ckpt.files.push_back(std::move(file));
    return names;
}

// A shard name from the index must stay inside the checkpoint directory.
void check_shard_name(const std::string &index_path, const std::string &shard) {
    require(!shard.empty() && shard != "." && shard != ".." && shard.find('/') == std::string::npos,
            Status::Format, index_path + ": shard name '" + shard + "' is not a plain file name");
}

void add_sharded(Checkpoint &ckpt, const std::string &dir, const std::string &index_path) {
    const json index = read_json_object_file(index_path);
    auto weight_map = index.find("weight_map");
    require(weight_map != index.end() && weight_map->is_object(), Status::Format,
            index_path + ": no \"weight_map\" object");
    std::map<std::string, std::set<std::string>> by_shard;  // each shard is read once
    for (const auto &item : weight_map->items()) {
        require(item.value().is_string(), Status::Format,
                index_path + ": weight_map entry '" + item.key() + "' is not a file name");
        const std::string shard = item.value().get<std::string>();
        check_shard_name(index_path, shard);
        by_shard[shard].insert(item.key());
    }
    for (const auto &[shard, listed] : by_shard) {
        const std::string shard_path = join(dir, shard);
        const std::set<std::string> held = add_safetensors(ckpt, shard_path);
        for (const std::string &name : listed) {
            require(held.count(name) != 0, Status::Format,
                    index_path + ": maps tensor '" + name + "' to " + shard + ", which does not hold it");
        }
    }
}

// AutoGPTQ names its weights file after quantization_config.model_file_base_name
// ("gptq_model-4bit-128g.safetensors" by default); "" when the config names none.
std::string gptq_weights_file(const json &config, const std::string &dir) {
    auto q = config.find("quantization_config");
    if (q == config.end() || !q->is_object()) return "";
    auto base = q->find("model_file_base_name");
    if (base == q->end() || !base->is_string()) return "";
    const std::string name = base->get<std::string>() + ".safetensors";
    if (name.find('/') != std::string::npos) return "";
    return is_file(join(dir, name)) ? join(dir, name) : "";
}

void add_tensors(Checkpoint &ckpt, const std::string &dir) {
    const std::string single = join(dir, "model.safetensors");
    const std::string index = join(dir, "model.safetensors.index.json");
    const std::string gptq = gptq_weights_file(ckpt.hf_config, dir);
    if (is_file(single)) {
        add_safetensors(ckpt, single);
    } else if (is_file(index)) {
        add_sharded(ckpt, dir, index);
    } else if (!gptq.empty()) {
        add_safetensors(ckpt, gptq);
    } else if (is_file(join(dir, "pytorch_model.bin")) ||
               is_file(join(dir, "pytorch_model.bin.index.json"))) {
        fail(Status::Unsupported, dir + ": holds PyTorch pickle weights; only safetensors are supported");
    } else {
        fail(Status::Io, dir + ": has neither model.safetensors nor model.safetensors.index.json");
    }
}

}  // namespace

Checkpoint read_hf_checkpoint(const std::string &dir) {
    Checkpoint ckpt;
    ckpt.source = Checkpoint::Source::HuggingFace;
    ckpt.path = dir;
    ckpt.hf_config = read_config(dir);
    ckpt.architecture = architecture_of(ckpt.hf_config, dir);
    add_tensors(ckpt, dir);
    return ckpt;
}

}  // namespace llmrt
