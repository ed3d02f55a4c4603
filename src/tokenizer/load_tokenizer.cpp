#include <fstream>
#include <map>
#include <sstream>
#include <sys/stat.h>

#include "core/error.h"
#include "tokenizer/hf_special_ids.h"
#include "tokenizer/hf_tokenizer.h"
#include "tokenizer/hf_tokenizer_json.h"
#include "tokenizer/loaders.h"
#include "tokenizer/sentencepiece_model.h"
#include "tokenizer/spm_tokenizer.h"

namespace llmrt {
namespace {

using json = nlohmann::json;

bool is_file(const std::string &path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    require(in.good(), Status::Io, "cannot open " + path);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    require(!in.bad(), Status::Io, "cannot read " + path);
    return buffer.str();
}

json parse_json(std::string_view text, const std::string &what) {
    try {
        return json::parse(text.begin(), text.end());
    } catch (const json::exception &e) {
        fail(Status::Format, what + ": not valid JSON: " + e.what());
    }
}

TokenizerJson parse_tokenizer_json_text(std::string_view text, const std::string &what) {
    try {
        return read_tokenizer_json(text);
    } catch (const json::exception &e) {
        fail(Status::Format, what + ": not valid JSON: " + e.what());
    }
}

// Where a checkpoint's tokenizer files are: its directory, or (llmrt files) inside the file.
class TokenizerFiles {
public:
    TokenizerFiles(const std::string &dir, const std::map<std::string, std::string> *embedded)
        : dir_(dir), embedded_(embedded) {}
    std::string path(const std::string &name) const { return dir_ + "/" + name; }
    bool has(const std::string &name) const {
        return embedded_ ? embedded_->count(name) != 0 : is_file(path(name));
    }
    std::string read(const std::string &name) const {
        return embedded_ ? embedded_->at(name) : read_file(path(name));
    }
    json json_if_present(const std::string &name) const {
        return has(name) ? parse_json(read(name), path(name)) : json::object();
    }

private:
    std::string dir_;
    const std::map<std::string, std::string> *embedded_;
};

// Runs a builder over parsed JSON, reporting values of the wrong JSON type as format errors.
template <typename F>
auto with_json_errors(const std::string &what, F &&build) -> decltype(build()) {
    try {
        return build();
    } catch (const json::exception &e) {
        fail(Status::Format, what + ": unexpected content: " + e.what());
    }
}

// HF directories ship added tokens (chat markers, Phi-3's <|end|>...) beside tokenizer.model;
// ids past the model's pieces extend the vocabulary, as convert_hf_to_gguf.py does.
void add_hf_added_tokens(const std::vector<AddedToken> &added, const std::string &what, SpmModelData &model) {
    for (const AddedToken &t : added) {
        const auto id = static_cast<size_t>(t.id);
        if (id >= model.pieces.size()) {
            require(id < model.pieces.size() + 65536, Status::Format,
                    what + ": added token id " + std::to_string(id) + " is far beyond the vocabulary");
            model.pieces.resize(id + 1);
            model.scores.resize(id + 1, 0.0f);
            model.types.resize(id + 1, TokenType::Unused);
            model.pieces[id] = t.content;
            model.types[id] = t.special ? TokenType::Control : TokenType::UserDefined;
        }
        if (t.lstrip || t.rstrip) model.strip.push_back({t.id, t.lstrip, t.rstrip});
    }
}

std::unique_ptr<Tokenizer> sentencepiece_from_directory(const TokenizerFiles &files, const TokenizerJson *tokenizer_json,
                                                        const std::string &json_path, const json &tokenizer_config,
                                                        const json &model_config) {
    SpmModelData model = parse_sentencepiece_model(files.read("tokenizer.model"), files.path("tokenizer.model"));
    with_json_errors(json_path, [&] {
        const std::vector<AddedToken> added = tokenizer_json && tokenizer_json->tree.is_object()
                                                  ? parse_added_tokens(tokenizer_json->tree, json_path)
                                                  : parse_added_tokens_decoder(tokenizer_config, json_path);
        add_hf_added_tokens(added, json_path, model);
        return 0;
    });
    if (const auto add_bos = tokenizer_config_flag(tokenizer_config, "add_bos_token")) model.add_bos = *add_bos;
    if (const auto add_eos = tokenizer_config_flag(tokenizer_config, "add_eos_token")) model.add_eos = *add_eos;

    const auto find_piece = [&](std::string_view text) {
        for (size_t i = 0; i < model.pieces.size(); ++i) {
            if (model.pieces[i] == text) return static_cast<int32_t>(i);
        }
        return int32_t{-1};
    };
    const HfSpecialIds ids = hf_special_ids(model_config, tokenizer_config, find_piece);
    const auto n = static_cast<int32_t>(model.pieces.size());
    if (ids.bos >= 0 && ids.bos < n) model.bos_id = ids.bos;
    if (ids.eos >= 0 && ids.eos < n) model.eos_id = ids.eos;
    model.extra_end_of_generation_ids = ids.all_eos;
    return std::make_unique<SpmTokenizer>(std::move(model));
}

}  // namespace

std::unique_ptr<Tokenizer> tokenizer_from_json(std::string_view json_text, const json &tokenizer_config,
                                               const json &model_config, const std::string &what) {
    TokenizerJson tokenizer = parse_tokenizer_json_text(json_text, what);
    return with_json_errors(what, [&]() -> std::unique_ptr<Tokenizer> {
        return std::make_unique<HfTokenizer>(
            parse_tokenizer_json(std::move(tokenizer), tokenizer_config, model_config, what));
    });
}

std::unique_ptr<Tokenizer> tokenizer_from_sentencepiece(std::string_view model_bytes, const std::string &what) {
    return std::make_unique<SpmTokenizer>(parse_sentencepiece_model(model_bytes, what));
}

namespace {

std::unique_ptr<Tokenizer> load_hf_tokenizer(const TokenizerFiles &files, const json &model_config) {
    const std::string json_path = files.path("tokenizer.json");
    const std::string config_path = files.path("tokenizer_config.json");
    const json tokenizer_config = files.json_if_present("tokenizer_config.json");
    const bool has_json = files.has("tokenizer.json");
    const bool has_model = files.has("tokenizer.model");
    require(has_json || has_model, Status::Format,
            files.path("") + ": no tokenizer.json or tokenizer.model in the directory");

    if (!has_json) return sentencepiece_from_directory(files, nullptr, config_path, tokenizer_config, model_config);
    TokenizerJson tokenizer = parse_tokenizer_json_text(files.read("tokenizer.json"), json_path);
    // SentencePiece models: tokenizer.model is the original; tokenizer.json only converts it.
    if (has_model && !is_byte_level_bpe(tokenizer)) {
        return sentencepiece_from_directory(files, &tokenizer, json_path, tokenizer_config, model_config);
    }
    return with_json_errors(json_path, [&]() -> std::unique_ptr<Tokenizer> {
        return std::make_unique<HfTokenizer>(
            parse_tokenizer_json(std::move(tokenizer), tokenizer_config, model_config, json_path));
    });
}

}  // namespace

std::unique_ptr<Tokenizer> load_hf_directory_tokenizer(const std::string &dir, const json &model_config) {
    return load_hf_tokenizer(TokenizerFiles(dir, nullptr), model_config);
}

std::unique_ptr<Tokenizer> load_tokenizer(const Checkpoint &checkpoint) {
    if (checkpoint.source == Checkpoint::Source::Gguf) return tokenizer_from_gguf(checkpoint.gguf_metadata, checkpoint.path);
    // An llmrt file made from a Hugging Face directory carries that directory's tokenizer files.
    if (checkpoint.packed_file)
        return load_hf_tokenizer(TokenizerFiles(checkpoint.path, &checkpoint.embedded_files), checkpoint.hf_config);
    return load_hf_directory_tokenizer(checkpoint.path, checkpoint.hf_config);
}

}  // namespace llmrt
