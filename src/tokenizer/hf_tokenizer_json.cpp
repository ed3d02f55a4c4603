#include "tokenizer/hf_tokenizer_json.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "tokenizer/hf_special_ids.h"

namespace llmrt {
namespace {

using json = nlohmann::json;

// A token id as the file writes it. nlohmann's get<int64_t>() on a float or a too-large unsigned
// is an unchecked cast (undefined behaviour for 1e23, found by fuzzing): accept integers in int32's
// range only (callers add 1 to ids and compare them with sizes).
int64_t json_id(const json &v, const std::string &what) {
    const bool in_range = v.is_number_unsigned() ? v.get<uint64_t>() <= uint64_t{INT32_MAX}
                          : v.is_number_integer() ? v.get<int64_t>() >= INT32_MIN && v.get<int64_t>() <= INT32_MAX
                                                  : false;
    require(in_range, Status::Format, what + ": token id " + v.dump() + " is not an integer in int32's range");
    return v.get<int64_t>();
}

std::string type_of(const json &node) {
    if (!node.is_object() || !node.contains("type") || !node.at("type").is_string()) return std::string();
    return node.at("type").get<std::string>();
}

[[noreturn]] void unsupported(const std::string &what, const std::string &part, const std::string &type) {
    fail(Status::Unsupported, what + ": " + part + " type \"" + type + "\" is not supported");
}

bool flag(const json &node, const char *key, bool fallback) {
    if (!node.contains(key) || node.at(key).is_null()) return fallback;
    return node.at(key).get<bool>();
}

// {"String": "x"} or {"Regex": "x"}: exactly one is set.
struct Pattern {
    std::string literal;
    std::shared_ptr<const Regex> regex;
};

Pattern parse_pattern(const json &node, const std::string &what) {
    require(node.is_object(), Status::Format, what + ": pattern is not an object");
    Pattern p;
    if (node.contains("Regex")) {
        p.regex = std::make_shared<const Regex>(node.at("Regex").get<std::string>(), what);
    } else if (node.contains("String")) {
        p.literal = node.at("String").get<std::string>();
    } else {
        fail(Status::Format, what + ": pattern has neither String nor Regex");
    }
    return p;
}

// ---- reading the file ----

// nlohmann's SAX events, building the JSON tree for everything except model.vocab (an object)
// and model.merges (a list), whose entries go into TokenizerJson's vectors. Values of the wrong
// shape there are noted (the first one) and their content skipped.
class TokenizerJsonReader {
public:
    explicit TokenizerJsonReader(TokenizerJson &out) : out_(out) {}

    bool null() { return scalar(json(nullptr)); }
    bool boolean(bool v) { return scalar(json(v)); }
    bool number_integer(json::number_integer_t v) {
        if (mode_ == Mode::Vocab && skip_ == 0) return vocab_id(v >= INT32_MIN && v <= INT32_MAX, v, json(v));
        return scalar(json(v));
    }
    bool number_unsigned(json::number_unsigned_t v) {
        if (mode_ == Mode::Vocab && skip_ == 0) return vocab_id(v <= uint64_t{INT32_MAX}, static_cast<int64_t>(v), json(v));
        return scalar(json(v));
    }
    bool number_float(json::number_float_t v, const json::string_t &) { return scalar(json(v)); }
    bool string(json::string_t &v) {
        if (mode_ == Mode::Merges && skip_ == 0) {
            if (pair_open_) {
                pair_.push_back(std::move(v));
            } else {
                add_merge_text(v);
            }
            return true;
        }
        return scalar(json(std::move(v)));
    }
    bool binary(json::binary_t &v) { return scalar(json::binary(std::move(v))); }  // not in JSON text

    bool start_object(std::size_t) {
        if (mode_ != Mode::Tree) return open_skipped();
        if (pending_ == "vocab") {
            pending_.clear();
            mode_ = Mode::Vocab;
            out_.has_vocab = true;
            return true;
        }
        const bool model = stack_.size() == 1 && stack_.back()->is_object() && key_ == "model";
        stack_.push_back(&place(json::object()));
        if (model) {  // a repeated "model" key replaces the earlier one, as in a JSON tree
            model_depth_ = stack_.size();
            out_.has_vocab = out_.has_merges = false;
            out_.vocab.clear();
            out_.merges.clear();
            out_.vocab_error.clear();
            out_.merges_error.clear();
        }
        return true;
    }
    bool key(json::string_t &k) {
        if (mode_ == Mode::Vocab && skip_ == 0) {
            vocab_key_ = std::move(k);
        } else if (mode_ == Mode::Tree) {
            // model.vocab / model.merges: decided by the value (start_object / start_array).
            if (stack_.size() == model_depth_ && (k == "vocab" || k == "merges")) pending_ = k;
            key_ = std::move(k);
        }
        return true;
    }
    bool end_object() {
        if (skip_ > 0) {
            --skip_;
        } else if (mode_ == Mode::Vocab) {
            mode_ = Mode::Tree;
        } else {
            close();
        }
        return true;
    }
    bool start_array(std::size_t) {
        if (mode_ == Mode::Merges && skip_ == 0 && !pair_open_) {
            pair_open_ = true;
            pair_.clear();
            return true;
        }
        if (mode_ != Mode::Tree) return open_skipped();
        if (pending_ == "merges") {
            pending_.clear();
            mode_ = Mode::Merges;
            out_.has_merges = true;
            return true;
        }
        stack_.push_back(&place(json::array()));
        return true;
    }
    bool end_array() {
        if (skip_ > 0) {
            --skip_;
        } else if (mode_ == Mode::Merges && pair_open_) {
            pair_open_ = false;
            if (pair_.size() == 2) {
                add_merge(std::move(pair_[0]), std::move(pair_[1]));
            } else {
                merge_error("is not a pair");
            }
        } else if (mode_ == Mode::Merges) {
            mode_ = Mode::Tree;
        } else {
            close();
        }
        return true;
    }
    bool parse_error(std::size_t, const std::string &, const json::exception &e) { throw e; }

private:
    enum class Mode { Tree, Vocab, Merges };

    // Where the next value of the tree goes: the root, the open array, or the open object's key.
    json &place(json value) {
        pending_.clear();
        if (stack_.empty()) {
            out_.tree = std::move(value);
            return out_.tree;
        }
        json &parent = *stack_.back();
        if (parent.is_array()) {
            parent.push_back(std::move(value));
            return parent.back();
        }
        json &slot = parent[key_];
        slot = std::move(value);
        return slot;
    }
    bool scalar(json value) {
        if (skip_ > 0) return true;
        if (mode_ == Mode::Vocab) {
            vocab_error(value.dump());
        } else if (mode_ == Mode::Merges) {
            merge_error(pair_open_ ? "is not a pair of strings" : "is not a string or a pair");
        } else {
            place(std::move(value));
        }
        return true;
    }
    void close() {
        if (stack_.size() == model_depth_) model_depth_ = 0;
        stack_.pop_back();
    }
    // A container where an id or a merge's string belongs: noted, and its content skipped.
    bool open_skipped() {
        if (skip_ == 0) {
            if (mode_ == Mode::Vocab) vocab_error("for \"" + vocab_key_ + "\"");
            if (mode_ == Mode::Merges) merge_error(pair_open_ ? "is not a pair of strings" : "is not a string or a pair");
        }
        ++skip_;
        return true;
    }
    bool vocab_id(bool in_range, int64_t id, const json &shown) {
        if (!in_range) vocab_error(shown.dump());
        out_.vocab.emplace_back(std::move(vocab_key_), id);
        return true;
    }
    void vocab_error(const std::string &shown) {
        if (out_.vocab_error.empty()) out_.vocab_error = "token id " + shown + " is not an integer in int32's range";
    }
    void add_merge_text(const std::string &text) {
        const size_t space = text.find(' ');
        if (space != std::string::npos && space > 0 && space + 1 < text.size() &&
            text.find(' ', space + 1) == std::string::npos) {
            add_merge(text.substr(0, space), text.substr(space + 1));
        } else {
            merge_error("\"" + text + "\" is not \"left right\"");
        }
    }
    void add_merge(std::string left, std::string right) { out_.merges.emplace_back(std::move(left), std::move(right)); }
    void merge_error(const std::string &problem) {
        // Entries that fail are not added: the rank is the entry's index only up to the first.
        if (out_.merges_error.empty()) out_.merges_error = "merge " + std::to_string(out_.merges.size()) + " " + problem;
    }

    TokenizerJson &out_;
    std::vector<json *> stack_;  // the open containers of the tree, outermost first
    std::string key_;            // the open object's current key
    size_t model_depth_ = 0;     // stack_.size() while the root's "model" object is the innermost
    std::string pending_;        // "vocab" / "merges" when that key of the model awaits its value
    Mode mode_ = Mode::Tree;
    size_t skip_ = 0;  // depth inside a container that is skipped (Vocab / Merges modes)
    std::string vocab_key_;
    bool pair_open_ = false;  // inside a [left, right] merge
    std::vector<std::string> pair_;
};

// ---- model ----

void parse_model(TokenizerJson &tokenizer, const std::vector<AddedToken> &added, const std::string &what,
                 HfTokenizerConfig &config) {
    const json &model = tokenizer.tree.at("model");
    require(model.is_object(), Status::Format, what + ": no \"model\" object");
    const std::string type = type_of(model);
    // Old files omit the type; a vocab with merges is BPE.
    if (!(type == "BPE" || (type.empty() && (tokenizer.has_merges || model.contains("merges"))))) {
        unsupported(what, "model", type.empty() ? "(none)" : type);
    }
    require(tokenizer.has_vocab, Status::Format, what + ": model has no \"vocab\" object");
    for (const char *key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
        if (model.contains(key) && !model.at(key).is_null()) {
            require(model.at(key).get<std::string>().empty(), Status::Unsupported,
                    what + ": BPE " + key + " is not supported");
        }
    }

    // Ids index a table: bound them by the number of entries (holes are allowed, but few).
    require(tokenizer.vocab_error.empty(), Status::Format, what + ": " + tokenizer.vocab_error);
    const int64_t max_id = static_cast<int64_t>(tokenizer.vocab.size() + added.size()) + 65536;
    int64_t size = 0;
    for (const auto &[text, id] : tokenizer.vocab) size = std::max(size, id + 1);
    for (const AddedToken &t : added) size = std::max<int64_t>(size, int64_t{t.id} + 1);
    require(size <= max_id, Status::Format, what + ": token ids far beyond the vocabulary size");
    config.texts.assign(static_cast<size_t>(size), std::string());
    config.types.assign(static_cast<size_t>(size), TokenType::Unused);
    config.model_ids.reserve(tokenizer.vocab.size());
    const bool byte_fallback = flag(model, "byte_fallback", false);
    for (auto &[text, id] : tokenizer.vocab) {
        require(id >= 0, Status::Format, what + ": negative id for token \"" + text + "\"");
        const auto i = static_cast<size_t>(id);
        require(config.texts[i].empty() || config.texts[i] == text, Status::Format,
                what + ": id " + std::to_string(id) + " is used by two tokens");
        const bool is_byte = byte_fallback && TokenVocab::parse_byte_token(text) >= 0;
        config.texts[i] = std::move(text);
        config.types[i] = is_byte ? TokenType::Byte : TokenType::Normal;
        config.model_ids.push_back(static_cast<int32_t>(id));
    }
    std::sort(config.model_ids.begin(), config.model_ids.end());

    if (tokenizer.has_merges) {
        require(tokenizer.merges_error.empty(), Status::Format, what + ": " + tokenizer.merges_error);
        config.merges = std::move(tokenizer.merges);
    } else if (model.contains("merges") && !model.at("merges").is_null()) {
        fail(Status::Format, what + ": model \"merges\" is not a list");
    }

    config.bpe.byte_fallback = byte_fallback;
    config.bpe.fuse_unk = flag(model, "fuse_unk", false);
    config.bpe.ignore_merges = flag(model, "ignore_merges", false);
    if (model.contains("unk_token") && !model.at("unk_token").is_null()) {
        const std::string unk = model.at("unk_token").get<std::string>();
        const auto it = std::find(config.texts.begin(), config.texts.end(), unk);
        require(it != config.texts.end(), Status::Format, what + ": unk_token \"" + unk + "\" is not in the vocabulary");
        config.bpe.unk_id = static_cast<int32_t>(it - config.texts.begin());
    }
}

void apply_added_tokens(const std::vector<AddedToken> &added, HfTokenizerConfig &config) {
    for (const AddedToken &t : added) {
        const auto i = static_cast<size_t>(t.id);
        config.texts[i] = t.content;
        config.types[i] = t.special ? TokenType::Control : TokenType::UserDefined;
        SpecialToken s;
        s.text = t.content;
        s.id = t.id;
        s.control = t.special;
        s.lstrip = t.lstrip;
        s.rstrip = t.rstrip;
        config.added_tokens.push_back(std::move(s));
    }
}

// ---- normalizer, pre-tokenizer ----

void parse_normalizer(const json &node, const std::string &what, std::vector<NormalizerStep> &steps) {
    if (node.is_null()) return;
    const std::string type = type_of(node);
    if (type == "Sequence") {
        for (const json &child : node.at("normalizers")) parse_normalizer(child, what, steps);
        return;
    }
    NormalizerStep step;
    if (type == "NFC") {
        step.kind = NormalizerStep::Kind::Nfc;
    } else if (type == "Prepend") {
        step.kind = NormalizerStep::Kind::Prepend;
        step.text = node.at("prepend").get<std::string>();
    } else if (type == "Replace") {
        step.kind = NormalizerStep::Kind::Replace;
        Pattern p = parse_pattern(node.at("pattern"), what);
        step.literal = std::move(p.literal);
        step.regex = std::move(p.regex);
        step.text = node.at("content").get<std::string>();
    } else {
        unsupported(what, "normalizer", type);
    }
    steps.push_back(std::move(step));
}

SplitBehavior parse_behavior(const json &node, const std::string &what) {
    const std::string name = node.get<std::string>();
    if (name == "Removed") return SplitBehavior::Removed;
    if (name == "Isolated") return SplitBehavior::Isolated;
    if (name == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
    if (name == "MergedWithNext") return SplitBehavior::MergedWithNext;
    if (name == "Contiguous") return SplitBehavior::Contiguous;
    fail(Status::Format, what + ": unknown split behavior \"" + name + "\"");
}

PreTokenizerStep::Prepend parse_prepend_scheme(const json &node) {
    if (node.contains("prepend_scheme") && node.at("prepend_scheme").is_string()) {
        const std::string scheme = node.at("prepend_scheme").get<std::string>();
        if (scheme == "first") return PreTokenizerStep::Prepend::First;
        if (scheme == "never") return PreTokenizerStep::Prepend::Never;
        return PreTokenizerStep::Prepend::Always;
    }
    // Older files: add_prefix_space.
    return flag(node, "add_prefix_space", true) ? PreTokenizerStep::Prepend::Always : PreTokenizerStep::Prepend::Never;
}

void parse_pre_tokenizer(const json &node, const std::string &what, std::vector<PreTokenizerStep> &steps) {
    if (node.is_null()) return;
    const std::string type = type_of(node);
    if (type == "Sequence") {
        for (const json &child : node.at("pretokenizers")) parse_pre_tokenizer(child, what, steps);
        return;
    }
    PreTokenizerStep step;
    if (type == "ByteLevel") {
        step.kind = PreTokenizerStep::Kind::ByteLevel;
        step.add_prefix_space = flag(node, "add_prefix_space", false);
        if (flag(node, "use_regex", true)) step.regex = std::make_shared<const Regex>(gpt2_pretokenizer_pattern(), what);
    } else if (type == "Split") {
        step.kind = PreTokenizerStep::Kind::Split;
        Pattern p = parse_pattern(node.at("pattern"), what);
        step.literal = std::move(p.literal);
        step.regex = std::move(p.regex);
        step.behavior = parse_behavior(node.at("behavior"), what);
        step.invert = flag(node, "invert", false);
    } else if (type == "Metaspace") {
        step.kind = PreTokenizerStep::Kind::Metaspace;
        if (node.contains("replacement")) step.replacement = node.at("replacement").get<std::string>();
        require(!step.replacement.empty(), Status::Format, what + ": Metaspace replacement is empty");
        step.prepend = parse_prepend_scheme(node);
        step.split = flag(node, "split", true);
    } else {
        unsupported(what, "pre_tokenizer", type);
    }
    steps.push_back(std::move(step));
}

// ---- post-processor ----

int32_t find_text(const HfTokenizerConfig &config, const std::string &text) {
    const auto it = std::find(config.texts.begin(), config.texts.end(), text);
    return it == config.texts.end() ? -1 : static_cast<int32_t>(it - config.texts.begin());
}

void parse_template(const json &node, const std::string &what, HfTokenizerConfig &config) {
    const json &specials = node.contains("special_tokens") ? node.at("special_tokens") : json::object();
    bool seen_sequence = false;
    for (const json &item : node.at("single")) {
        if (item.contains("Sequence")) {
            seen_sequence = true;
            continue;
        }
        require(item.contains("SpecialToken"), Status::Format, what + ": template item is neither SpecialToken nor Sequence");
        const std::string name = item.at("SpecialToken").at("id").get<std::string>();
        require(specials.contains(name), Status::Format, what + ": template names unknown special token \"" + name + "\"");
        std::vector<int32_t> &target = seen_sequence ? config.suffix_ids : config.prefix_ids;
        for (const json &id : specials.at(name).at("ids")) {
            const int64_t value = json_id(id, what);
            require(value >= 0 && value < static_cast<int64_t>(config.texts.size()), Status::Format,
                    what + ": template token id " + std::to_string(value) + " is out of range");
            target.push_back(static_cast<int32_t>(value));
        }
    }
}

// RobertaProcessing / BertProcessing: {"cls": [text, id], "sep": [text, id]} around the text.
void parse_cls_sep(const json &node, const std::string &what, HfTokenizerConfig &config) {
    for (const char *key : {"cls", "sep"}) {
        const int64_t id = json_id(node.at(key).at(1), what);
        require(id >= 0 && id < static_cast<int64_t>(config.texts.size()), Status::Format,
                what + ": post_processor " + key + " id is out of range");
        (std::string(key) == "cls" ? config.prefix_ids : config.suffix_ids).push_back(static_cast<int32_t>(id));
    }
}

void parse_post_processor(const json &node, const std::string &what, HfTokenizerConfig &config) {
    if (node.is_null()) return;
    const std::string type = type_of(node);
    if (type == "Sequence") {
        for (const json &child : node.at("processors")) parse_post_processor(child, what, config);
    } else if (type == "TemplateProcessing") {
        parse_template(node, what, config);
    } else if (type == "RobertaProcessing" || type == "BertProcessing") {
        parse_cls_sep(node, what, config);
    } else if (type != "ByteLevel") {  // ByteLevel only trims offsets
        unsupported(what, "post_processor", type);
    }
}

// transformers' Llama/Gemma tokenizers rebuild the template from add_bos_token/add_eos_token.
void apply_tokenizer_class_template(const json &tokenizer_config, HfTokenizerConfig &config) {
    if (!tokenizer_config.is_object() || !tokenizer_config.contains("tokenizer_class")) return;
    const json &cls = tokenizer_config.at("tokenizer_class");
    if (!cls.is_string()) return;
    static const char *const classes[] = {"LlamaTokenizer", "LlamaTokenizerFast", "CodeLlamaTokenizer",
                                          "CodeLlamaTokenizerFast", "GemmaTokenizer", "GemmaTokenizerFast"};
    if (std::find(std::begin(classes), std::end(classes), cls.get<std::string>()) == std::end(classes)) return;
    const auto add_bos = tokenizer_config_flag(tokenizer_config, "add_bos_token");
    const auto add_eos = tokenizer_config_flag(tokenizer_config, "add_eos_token");
    if (!add_bos && !add_eos) return;
    const auto bos_text = tokenizer_config_token(tokenizer_config, "bos_token");
    const auto eos_text = tokenizer_config_token(tokenizer_config, "eos_token");
    const int32_t bos = bos_text ? find_text(config, *bos_text) : -1;
    const int32_t eos = eos_text ? find_text(config, *eos_text) : -1;
    config.prefix_ids.clear();
    config.suffix_ids.clear();
    if (add_bos.value_or(true) && bos >= 0) config.prefix_ids.push_back(bos);
    if (add_eos.value_or(false) && eos >= 0) config.suffix_ids.push_back(eos);
}

// ---- decoder ----

void parse_decoder(const json &node, const std::string &what, HfTokenizerConfig &config) {
    if (node.is_null()) return;
    const std::string type = type_of(node);
    DecoderStep step;
    if (type == "Sequence") {
        for (const json &child : node.at("decoders")) parse_decoder(child, what, config);
        return;
    } else if (type == "ByteLevel") {
        step.kind = DecoderStep::Kind::ByteLevel;
    } else if (type == "ByteFallback") {
        step.kind = DecoderStep::Kind::ByteFallback;
    } else if (type == "Replace") {
        Pattern p = parse_pattern(node.at("pattern"), what);
        require(!p.regex && !p.literal.empty(), Status::Unsupported, what + ": only string Replace decoders are supported");
        step.kind = DecoderStep::Kind::Replace;
        step.from = std::move(p.literal);
        step.to = node.at("content").get<std::string>();
    } else if (type == "Metaspace") {
        step.kind = DecoderStep::Kind::Replace;
        step.from = node.contains("replacement") ? node.at("replacement").get<std::string>() : "\xe2\x96\x81";
        step.to = " ";
        if (parse_prepend_scheme(node) != PreTokenizerStep::Prepend::Never) config.strip_start = 1;
    } else if (type == "Strip") {
        const std::string content = node.at("content").get<std::string>();
        require(content.size() == 1, Status::Unsupported, what + ": Strip decoder content must be one byte");
        config.strip_char = content[0];
        config.strip_start = node.at("start").get<size_t>();
        config.strip_stop = node.at("stop").get<size_t>();
        return;
    } else if (type == "Fuse") {
        return;  // decoding already concatenates
    } else {
        unsupported(what, "decoder", type);
    }
    config.decoder.push_back(std::move(step));
}

bool contains_type(const json &node, const char *type) {
    if (node.is_object()) {
        if (type_of(node) == type) return true;
        for (const auto &item : node.items()) {
            if (contains_type(item.value(), type)) return true;
        }
    } else if (node.is_array()) {
        for (const json &child : node) {
            if (contains_type(child, type)) return true;
        }
    }
    return false;
}

AddedToken parse_added_token(const json &node, int64_t id, const std::string &what) {
    require(id >= 0 && id <= INT32_MAX, Status::Format, what + ": added token id " + std::to_string(id) + " is out of range");
    AddedToken t;
    t.id = static_cast<int32_t>(id);
    t.content = node.at("content").get<std::string>();
    require(!t.content.empty(), Status::Format, what + ": added token " + std::to_string(id) + " is empty");
    t.special = flag(node, "special", false);
    t.lstrip = flag(node, "lstrip", false);
    t.rstrip = flag(node, "rstrip", false);
    return t;
}

}  // namespace

TokenizerJson read_tokenizer_json(std::string_view text) {
    TokenizerJson out;
    TokenizerJsonReader reader(out);
    json::sax_parse(text.begin(), text.end(), &reader);
    return out;
}

bool is_byte_level_bpe(const TokenizerJson &tokenizer_json) {
    const json &tokenizer = tokenizer_json.tree;
    if (!tokenizer.is_object() || !tokenizer.contains("model")) return false;
    const json &model = tokenizer.at("model");
    const std::string type = type_of(model);
    const bool has_merges = tokenizer_json.has_merges || (model.is_object() && model.contains("merges"));
    if (!(type == "BPE" || (type.empty() && has_merges))) return false;
    return (tokenizer.contains("pre_tokenizer") && contains_type(tokenizer.at("pre_tokenizer"), "ByteLevel")) ||
           (tokenizer.contains("decoder") && contains_type(tokenizer.at("decoder"), "ByteLevel"));
}

std::vector<AddedToken> parse_added_tokens(const json &tokenizer, const std::string &what) {
    std::vector<AddedToken> added;
    if (!tokenizer.contains("added_tokens") || tokenizer.at("added_tokens").is_null()) return added;
    for (const json &node : tokenizer.at("added_tokens")) {
        added.push_back(parse_added_token(node, json_id(node.at("id"), what), what));
    }
    return added;
}

std::vector<AddedToken> parse_added_tokens_decoder(const json &tokenizer_config, const std::string &what) {
    std::vector<AddedToken> added;
    if (!tokenizer_config.is_object() || !tokenizer_config.contains("added_tokens_decoder")) return added;
    for (const auto &item : tokenizer_config.at("added_tokens_decoder").items()) {
        int64_t id = -1;
        try {
            id = std::stoll(item.key());
        } catch (const std::exception &) {
            fail(Status::Format, what + ": added_tokens_decoder key \"" + item.key() + "\" is not an id");
        }
        added.push_back(parse_added_token(item.value(), id, what));
    }
    return added;
}

HfTokenizerConfig parse_tokenizer_json(TokenizerJson tokenizer_json, const json &tokenizer_config,
                                       const json &model_config, const std::string &what) {
    const json &tokenizer = tokenizer_json.tree;
    require(tokenizer.is_object(), Status::Format, what + ": not a JSON object");
    require(tokenizer.contains("model"), Status::Format, what + ": no \"model\"");
    HfTokenizerConfig config;
    config.what = what;
    const std::vector<AddedToken> added = parse_added_tokens(tokenizer, what);
    parse_model(tokenizer_json, added, what, config);
    apply_added_tokens(added, config);

    const json null_node;
    const auto part = [&](const char *key) -> const json & {
        return tokenizer.contains(key) ? tokenizer.at(key) : null_node;
    };
    parse_normalizer(part("normalizer"), what, config.normalizer);
    parse_pre_tokenizer(part("pre_tokenizer"), what, config.pre_tokenizer);
    parse_post_processor(part("post_processor"), what, config);
    apply_tokenizer_class_template(tokenizer_config, config);
    parse_decoder(part("decoder"), what, config);

    // transformers' Llama tokenizers with legacy=false add the dummy prefix only at the start
    // of the text, not again after each special token.
    const auto legacy = tokenizer_config_flag(tokenizer_config, "legacy");
    config.prepend_only_at_start = legacy.has_value() && !*legacy;
    config.clean_up_spaces = tokenizer_config_flag(tokenizer_config, "clean_up_tokenization_spaces").value_or(false);

    const HfSpecialIds ids =
        hf_special_ids(model_config, tokenizer_config, [&](std::string_view text) { return find_text(config, std::string(text)); });
    config.bos = ids.bos;
    config.eos = ids.eos;
    config.extra_end_of_generation_ids = ids.all_eos;
    return config;
}

}  // namespace llmrt
