// The C++ layer SWIG wraps for Java and C#: one class per llmrt handle, errors as exceptions.
//
// Why classes here rather than %extend on the opaque C structs: a garbage-collected language
// finalizes objects in any order, but a context must be freed before its model and a generation
// needs its context and sampler. Holding the handles in shared_ptrs makes that order hold by
// construction: an object in use stays alive. close() (Dispose()) ends an object for its owner
// (later calls on it are refused), but what it wraps is freed only when its last user is done: a
// context uses its model, a running generation its context and sampler, a running quantize its
// quantizer. So no close() order, no close() from a listener and no forgotten close() in Java or
// C# can free memory that is still in use.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "llmrt.hpp"


namespace llmrt_swig {

// A failed llmrt call: the status and llmrt_last_error(), copied at once (the library's message
// is only valid until the thread's next llmrt call). The interface file turns it into the target
// language's exception.
struct Error {
    llmrt_status status;
    std::string message;
};

inline void check(llmrt_status status) {
    if (status != LLMRT_OK) {
        const char *message = llmrt_last_error();
        throw Error{status, message && *message ? message : llmrt_status_string(status)};
    }
}

inline void require(bool ok, const char *message) {
    if (!ok) throw Error{LLMRT_ERR_INVALID_ARGUMENT, message};
}

// A size for an int32_t parameter of the C API: refused if it does not fit, where a cast would
// wrap it to a wrong (or negative) count.
inline int32_t to_int32(size_t n, const char *what) {
    if (n > static_cast<size_t>(INT32_MAX)) throw Error{LLMRT_ERR_INVALID_ARGUMENT, std::string(what) + " is too large"};
    return static_cast<int32_t>(n);
}

// Fills *params with the library's defaults. The library may be newer than the header these
// bindings were compiled with, and its init writes its own struct, which may have grown at the
// end: let it write into a scratch buffer, keep the fields known here, and say so in struct_size.
template <class T>
void init_params(T *params, void (*init)(T *)) {
    init(params);  // the header's inline init passes sizeof(T): the library writes no more
}

// Whether the loaded library implements quantization (Quantizer, ModelParams::set_quantize).
inline bool has_quantizer() {
    return true;  // kept for the bindings' API; every libllmrt since API version 1 quantizes
}

// The constant of a closed set (LLMRT_SCALE_*, LLMRT_COMPUTE_*) that the library's name_of
// (llmrt_scale_type_name, ...) names name; an invalid-argument error listing the names if none.
inline int32_t value_named(const char *name, const char *(*name_of)(int32_t), const char *what) {
    std::string names;
    for (int32_t v = 0; name_of(v); ++v) {
        if (name && std::strcmp(name, name_of(v)) == 0) return v;
        names += (v ? ", " : "") + std::string(name_of(v));
    }
    throw Error{LLMRT_ERR_INVALID_ARGUMENT,
                std::string(what) + " must be one of " + names + ", not '" + (name ? name : "null") + "'"};
}

// A nullable string setting: null means "the library's default".
class OptionalString {
public:
    void set(const char *value) {
        present_ = value != nullptr;
        value_ = value ? value : "";
    }
    const char *get() const { return present_ ? value_.c_str() : nullptr; }

private:
    bool present_ = false;
    std::string value_;
};

// Settings for quantizing, in a file (Quantizer) or while loading (ModelParams::set_quantize).
class QuantizeOptions {
public:
    QuantizeOptions() {
        require_quantizer();
        init_params(&params_, llmrt_quant_params_init);
        weight_dtype_.set(params_.weight_dtype);
        algorithm_.set(params_.algorithm);
        tensor_overrides_.set(params_.tensor_overrides);
        output_format_.set(params_.output_format);
    }

    // "int8", "int4", "nf4", "fp4", "fp8_e4m3", "fp8_e5m2"
    const char *get_weight_dtype() const { return weight_dtype_.get(); }
    void set_weight_dtype(const char *v) { weight_dtype_.set(v); }
    const char *get_algorithm() const { return algorithm_.get(); }  // "rtn"
    void set_algorithm(const char *v) { algorithm_.set(v); }
    int get_group_size() const { return params_.group_size; }  // 32, 64, 128 or -1 (per channel)
    void set_group_size(int n) { params_.group_size = n; }
    bool get_asym() const { return params_.asym != 0; }
    void set_asym(bool on) { params_.asym = on ? 1 : 0; }
    // "fp32", "bf16", "fp16": llmrt_scale_type_name's names of scale_type
    const char *get_scale_dtype() const { return llmrt_scale_type_name(params_.scale_type); }
    void set_scale_dtype(const char *v) { params_.scale_type = value_named(v, llmrt_scale_type_name, "scale_dtype"); }
    // "auto", "fp32", "bf16", "int8": llmrt_compute_type_name's names of compute_type
    const char *get_compute_dtype() const { return llmrt_compute_type_name(params_.compute_type); }
    void set_compute_dtype(const char *v) {
        params_.compute_type = value_named(v, llmrt_compute_type_name, "compute_dtype");
    }
    // "pattern=dtype;..."; null keeps embeddings and output head in int8, "" quantizes everything.
    const char *get_tensor_overrides() const { return tensor_overrides_.get(); }
    void set_tensor_overrides(const char *v) { tensor_overrides_.set(v); }
    // What Quantizer writes: "llmrt" (default), "hf-gptq" (a directory) or "gguf".
    const char *get_output_format() const { return output_format_.get(); }
    void set_output_format(const char *v) { output_format_.set(v); }

#ifndef SWIG
    // The C struct, pointing into this object: valid while it is alive and unchanged.
    llmrt_quant_params c_params() const {
        llmrt_quant_params p = params_;
        p.weight_dtype = weight_dtype_.get();
        p.algorithm = algorithm_.get();
        p.tensor_overrides = tensor_overrides_.get();
        p.output_format = output_format_.get();
        return p;
    }

    static void require_quantizer() {
        if (!has_quantizer()) throw Error{LLMRT_ERR_UNSUPPORTED, "this libllmrt does not implement quantization yet"};
    }

private:
    llmrt_quant_params params_;
    OptionalString weight_dtype_, algorithm_, tensor_overrides_, output_format_;
#endif
};

// Settings for loading a model.
class ModelParams {
public:
    ModelParams() {
        init_params(&params_, llmrt_model_params_init);
    }

    bool get_use_mmap() const { return params_.use_mmap != 0; }
    void set_use_mmap(bool on) { params_.use_mmap = on ? 1 : 0; }
    int get_n_threads() const { return params_.n_threads; }  // load-time work; 0 = all cores
    void set_n_threads(int n) { params_.n_threads = n; }
    // For weights stored quantized in the file: "auto", "fp32", "bf16", "int8" (compute_type's names).
    const char *get_compute_dtype() const { return llmrt_compute_type_name(params_.compute_type); }
    void set_compute_dtype(const char *v) {
        params_.compute_type = value_named(v, llmrt_compute_type_name, "compute_dtype");
    }
    // Quantize the weights in memory while loading (a copy is kept); null to not.
    void set_quantize(const QuantizeOptions *options) {
        quantize_.reset(options ? new QuantizeOptions(*options) : nullptr);
    }

#ifndef SWIG
    // The C struct, pointing into this object and *quant: valid while both are alive and unchanged.
    const llmrt_model_params *c_params(llmrt_quant_params *quant) const {
        c_params_ = params_;
        c_params_.quantize = nullptr;
        if (quantize_) {
            *quant = quantize_->c_params();
            c_params_.quantize = quant;
        }
        return &c_params_;
    }

private:
    llmrt_model_params params_;
    mutable llmrt_model_params c_params_;
    std::shared_ptr<QuantizeOptions> quantize_;
#endif
};

// Settings for llmrt_generate; owns the stop strings the C struct points to.
class GenerateOptions {
public:
    GenerateOptions() { init_params(&params_, llmrt_generate_params_init); }

    int get_max_new_tokens() const { return params_.max_new_tokens; }
    void set_max_new_tokens(int n) { params_.max_new_tokens = n; }
    int get_min_new_tokens() const { return params_.min_new_tokens; }
    void set_min_new_tokens(int n) { params_.min_new_tokens = n; }
    bool get_stop_at_eos() const { return params_.stop_at_eos != 0; }
    void set_stop_at_eos(bool on) { params_.stop_at_eos = on ? 1 : 0; }
    bool get_add_special() const { return params_.add_special != 0; }
    void set_add_special(bool on) { params_.add_special = on ? 1 : 0; }
    // StreamingLLM: when the next token would not fit, shift_mode SHIFT_OFF (default) ends the
    // generation ("context_full"); SHIFT_REEVALUATE or SHIFT_ROPED_K drop n_discard positions
    // after the first n_keep and go on. n_keep -1 = the whole prompt (default 4); n_discard -1 =
    // half of those not kept (default).
    int get_shift_mode() const { return params_.shift_mode; }
    void set_shift_mode(int mode) { params_.shift_mode = mode; }
    int get_n_keep() const { return params_.n_keep; }
    void set_n_keep(int n) { params_.n_keep = n; }
    int get_n_discard() const { return params_.n_discard; }
    void set_n_discard(int n) { params_.n_discard = n; }
    // Generation ends when the output contains one of these; it is not emitted.
    void add_stop_string(const char *text) { stops_.emplace_back(text ? text : ""); }
    void clear_stop_strings() { stops_.clear(); }

#ifndef SWIG
    // The C struct, pointing into this object: valid while it is alive and unchanged.
    const llmrt_generate_params *c_params() const {
        stop_ptrs_.clear();
        for (const std::string &s : stops_) stop_ptrs_.push_back(s.c_str());
        params_.stop_strings = stop_ptrs_.empty() ? nullptr : stop_ptrs_.data();
        params_.n_stop_strings = static_cast<int32_t>(stop_ptrs_.size());
        return &params_;
    }

private:
    mutable llmrt_generate_params params_;
    std::vector<std::string> stops_;
    mutable std::vector<const char *> stop_ptrs_;
#endif
};

// Settings for Context::beam_search (llmrt_beam_params), with Hugging Face generate's meaning.
class BeamOptions {
public:
    BeamOptions() { init_params(&params_, llmrt_beam_params_init); }

    int get_num_beams() const { return params_.num_beams; }  // default 4; the context needs n_seq_max >= it
    void set_num_beams(int n) { params_.num_beams = n; }
    int get_num_return_sequences() const { return params_.num_return_sequences; }  // 1 to num_beams (default 1)
    void set_num_return_sequences(int n) { params_.num_return_sequences = n; }
    int get_max_new_tokens() const { return params_.max_new_tokens; }  // default 128
    void set_max_new_tokens(int n) { params_.max_new_tokens = n; }
    float get_length_penalty() const { return params_.length_penalty; }  // default 1
    void set_length_penalty(float p) { params_.length_penalty = p; }
    int get_early_stopping() const { return params_.early_stopping; }  // EARLY_STOPPING_* (default FALSE)
    void set_early_stopping(int mode) { params_.early_stopping = mode; }
    bool get_stop_at_eos() const { return params_.stop_at_eos != 0; }
    void set_stop_at_eos(bool on) { params_.stop_at_eos = on ? 1 : 0; }
    int get_eos_token_id() const { return params_.eos_token_id; }  // -1 (default): the model's end ids
    void set_eos_token_id(int token) { params_.eos_token_id = token; }

#ifndef SWIG
    const llmrt_beam_params *c_params() const { return &params_; }

private:
    llmrt_beam_params params_;
#endif
};

// One finished hypothesis of a beam search: its generated token ids (the end-of-generation id
// included when one finished it) and its score (summed log-probability / length^length_penalty).
class BeamHypothesis {
public:
    BeamHypothesis() = default;
    std::vector<int32_t> get_tokens() const { return tokens_; }
    double get_score() const { return score_; }

#ifndef SWIG
    BeamHypothesis(std::vector<int32_t> tokens, double score) : tokens_(std::move(tokens)), score_(score) {}

private:
    std::vector<int32_t> tokens_;
    double score_ = 0;
#endif
};

class Sampler {
public:
    // params may be null for the library's defaults.
    explicit Sampler(const llmrt_sampler_params *params = nullptr) {
        llmrt_sampler *out = nullptr;
        check(llmrt_sampler_create(params, &out));
        handle_.reset(out, llmrt::handle_deleter());
    }
    // Picks a token from logits (for example Context::logits()).
    int32_t sample(const std::vector<float> &logits) {
        require(!logits.empty(), "logits is empty");
        llmrt_token token = -1;
        check(llmrt_sampler_sample(handle_.get(), logits.data(), to_int32(logits.size(), "logits"), &token));
        return token;
    }
    void reset() { llmrt_sampler_reset(handle_.get()); }

#ifndef SWIG
    std::shared_ptr<llmrt_sampler> handle_;
#endif
};

class Model {
public:
    // Loads a GGUF file, an llmrt file or a Hugging Face directory. Every error names the path.
    explicit Model(const char *path, const ModelParams *params = nullptr) {
        require(path != nullptr, "path is null");
        llmrt_model *out = nullptr;
        llmrt_quant_params quant;
        try {
            check(llmrt_model_load(path, params ? params->c_params(&quant) : nullptr, &out));
        } catch (Error &e) {
            if (e.message.find(path) == std::string::npos) e.message = std::string(path) + ": " + e.message;
            throw;
        }
        handle_.reset(out, llmrt::handle_deleter());
    }
    // A model with random weights and a known shape ("stories260k", "tinyllama-1.1b", "llama-7b").
    static Model *synthetic(const char *shape, int64_t seed, const ModelParams *params = nullptr) {
        require(shape != nullptr, "shape is null");
        llmrt_model *out = nullptr;
        llmrt_quant_params quant;
        check(llmrt_model_create_synthetic(shape, static_cast<uint64_t>(seed), params ? params->c_params(&quant) : nullptr,
                                           &out));
        return new Model(std::shared_ptr<llmrt_model>(out, llmrt::handle_deleter()));
    }

    const char *get_architecture() const { return llmrt_model_architecture(handle_.get()); }
    const char *get_weight_type() const { return llmrt_model_weight_type(handle_.get()); }
    int64_t get_param_count() const { return static_cast<int64_t>(llmrt_model_n_params(handle_.get())); }
    int64_t get_weight_bytes() const { return static_cast<int64_t>(llmrt_model_weight_bytes(handle_.get())); }
    int get_vocab_size() const { return llmrt_model_n_vocab(handle_.get()); }
    int get_train_context_length() const { return llmrt_model_n_ctx_train(handle_.get()); }
    int get_embedding_length() const { return llmrt_model_n_embd(handle_.get()); }
    int get_layer_count() const { return llmrt_model_n_layer(handle_.get()); }
    int get_bos_token() const { return llmrt_model_bos(handle_.get()); }  // -1 if none
    int get_eos_token() const { return llmrt_model_eos(handle_.get()); }  // -1 if none

    // Token ids for length bytes of UTF-8 text, NUL bytes included (each language's tokenize
    // passes its string's bytes here).
    std::vector<int32_t> tokenize_utf8(const char *utf8, int32_t length, bool add_special) const {
        require(utf8 != nullptr || length == 0, "text is null");
        require(length >= 0, "length is negative");
        const size_t text_len = static_cast<size_t>(length);
        std::vector<int32_t> tokens(std::min<size_t>(text_len + 8, INT32_MAX));
        int32_t count = 0;
        llmrt_status status = llmrt_tokenize_n(handle_.get(), utf8, text_len, add_special, tokens.data(),
                                               static_cast<int32_t>(tokens.size()), &count);
        if (status == LLMRT_ERR_BUFFER_TOO_SMALL && count > static_cast<int32_t>(tokens.size())) {
            tokens.resize(count);
            status = llmrt_tokenize_n(handle_.get(), utf8, text_len, add_special, tokens.data(), count, &count);
        }
        check(status);
        tokens.resize(count);
        return tokens;
    }

    // The bytes of one token, which may be part of a UTF-8 character.
    std::string token_to_piece(int32_t token) const {
        std::string piece(32, '\0');
        size_t length = 0;
        llmrt_status status = llmrt_token_to_piece_v2(handle_.get(), token, &piece[0], piece.size(), &length);
        if (status == LLMRT_ERR_BUFFER_TOO_SMALL && length > piece.size()) {
            piece.resize(length);
            status = llmrt_token_to_piece_v2(handle_.get(), token, &piece[0], piece.size(), &length);
        }
        check(status);
        piece.resize(length);
        return piece;
    }

    std::string detokenize(const std::vector<int32_t> &tokens, bool skip_special = true) const {
        const int32_t n_tokens = to_int32(tokens.size(), "tokens");
        std::string text(tokens.size() * 8 + 1, '\0');
        size_t length = 0;
        llmrt_status status =
            llmrt_detokenize_v2(handle_.get(), tokens.data(), n_tokens, skip_special, &text[0], text.size(), &length);
        if (status == LLMRT_ERR_BUFFER_TOO_SMALL && length + 1 > text.size()) {
            text.resize(length + 1);
            status = llmrt_detokenize_v2(handle_.get(), tokens.data(), n_tokens, skip_special, &text[0], text.size(),
                                         &length);
        }
        check(status);
        text.resize(length);
        return text;
    }

    // The model's chat template called name (null or "default": its default one; some models
    // have others, such as "tool_use"), or "" if it has none.
    std::string chat_template(const char *name = nullptr) const {
        return read_text([&](char *buf, size_t capacity, size_t *length) {
            return llmrt_model_chat_template(handle_.get(), name, buf, capacity, length);
        });
    }

    // Renders a chat template (tmpl; null: this model's own) for messages_json, a JSON array of
    // message objects ({"role": ..., "content": ...} and any tool-call fields), with this model's
    // BOS/EOS text. tools_json: a JSON array of tool definitions or null; extra_vars_json: a JSON
    // object of further variables, which win over the others (e.g. {"bos_token": "<s>"}), or
    // null. JSON because messages may nest (tool calls), which no flat struct maps onto. A
    // template that raises gives an invalid-argument error with Jinja2's message.
    std::string apply_chat_template(const char *messages_json, const char *tmpl = nullptr,
                                    bool add_generation_prompt = true, const char *tools_json = nullptr,
                                    const char *extra_vars_json = nullptr) const {
        require(messages_json != nullptr, "messages_json is null");
        llmrt_chat_template_params params;
        llmrt_chat_template_params_init(&params);
        params.add_generation_prompt = add_generation_prompt ? 1 : 0;
        params.tools_json = tools_json;
        params.extra_vars_json = extra_vars_json;
        return read_text([&](char *buf, size_t capacity, size_t *length) {
            return llmrt_chat_apply_template_json(handle_.get(), tmpl, messages_json, &params, buf, capacity, length);
        });
    }

#ifndef SWIG
    explicit Model(std::shared_ptr<llmrt_model> handle) : handle_(std::move(handle)) {}
    std::shared_ptr<llmrt_model> handle_;

private:
    // Calls a (buf, capacity, *length) function writing NUL-terminated text: once to learn the
    // length, then with a buffer of that size.
    template <typename Call>
    static std::string read_text(Call call) {
        size_t length = 0;
        llmrt_status status = call(nullptr, 0, &length);
        if (status != LLMRT_ERR_BUFFER_TOO_SMALL) {
            check(status);
            return "";
        }
        std::string text(length + 1, '\0');
        check(call(&text[0], text.size(), &length));
        text.resize(length);
        return text;
    }
#endif
};

// A context's native state, shared by its Context object and the pull generation (PullGeneration)
// running on it, so either may be closed first.
struct ContextState {
    ContextState(llmrt_context *c, std::shared_ptr<llmrt_model> m) : model(std::move(m)), ctx(c) {}
    ~ContextState() {  // the body runs first: before model and sampler go
        free_parked();
        llmrt_context_free(ctx);
    }
    ContextState(const ContextState &) = delete;
    ContextState &operator=(const ContextState &) = delete;

    // The pull generation, if one is running, is over: it was ended or replaced (llmrt_generate,
    // llmrt_generate_begin and llmrt_context_reset end it, unless refused as busy).
    void forget_pull() {
        pull_sampler.reset();
        ++pull_id;
    }

    // A generation handle (NativeGeneration) whose object was finalized without close(): a
    // finalizer runs on a thread of its own, which must not touch the context, so it only parks
    // the handle here; the context's owning thread frees it at its next generation, and the
    // destructor frees what is left.
    void park(llmrt_generation *gen) {
        std::lock_guard<std::mutex> lock(parked_mutex);
        parked.push_back(gen);
    }
    void free_parked() {
        std::vector<llmrt_generation *> gens;
        {
            std::lock_guard<std::mutex> lock(parked_mutex);
            gens.swap(parked);
        }
        for (llmrt_generation *gen : gens) llmrt_generation_free(gen);
    }

    std::shared_ptr<llmrt_model> model;
    llmrt_context *ctx;
    std::mutex parked_mutex;
    std::vector<llmrt_generation *> parked;
    std::shared_ptr<llmrt_sampler> pull_sampler;  // what the running pull generation samples with
    uint64_t pull_id = 0;                         // which PullGeneration that is
};

class Context {
public:
    // params may be null for the library's defaults. The context keeps the model alive.
    explicit Context(Model *model, const llmrt_context_params *params = nullptr) {
        require(model != nullptr, "model is null or closed");
        llmrt_context *out = nullptr;
        check(llmrt_context_create(model->handle_.get(), params, &out));
        vocab_size_ = model->get_vocab_size();
        state_ = std::make_shared<ContextState>(out, model->handle_);
    }

    int get_context_length() const { return llmrt_context_n_ctx(state_->ctx); }
    int get_past_length() const { return llmrt_context_n_past(state_->ctx); }

    // Appends tokens to the sequence and evaluates them.
    void decode(const std::vector<int32_t> &tokens) {
        require(!tokens.empty(), "tokens is empty");
        check(llmrt_decode(state_->ctx, tokens.data(), to_int32(tokens.size(), "tokens")));
    }

    // Several sequences (ContextParams n_seq_max > 1): appends tokens[i] to sequence seq_ids[i]
    // and evaluates them all in one pass; afterwards logits(i) gives the logits after tokens[i],
    // for every i. Sequence 0 is the one decode, generate and past_length use.
    void decode_multi(const std::vector<int32_t> &tokens, const std::vector<int32_t> &seq_ids) {
        require(!tokens.empty(), "tokens is empty");
        require(tokens.size() == seq_ids.size(), "tokens and seq_ids differ in length");
        check(llmrt_decode_multi(state_->ctx, tokens.data(), seq_ids.data(), to_int32(tokens.size(), "tokens")));
    }
    int get_n_seq_max() const { return llmrt_context_n_seq_max(state_->ctx); }
    // Tokens cached for sequence seq.
    int seq_n_past(int seq) const {
        const int32_t count = llmrt_seq_n_past(state_->ctx, seq);
        require(count >= 0, "no such sequence id");
        return count;
    }
    // Empties sequence seq.
    void seq_remove(int seq) { check(llmrt_seq_remove(state_->ctx, seq)); }
    // Makes sequence dst a copy of src (its tokens and their cache), e.g. to share a prompt.
    void seq_copy(int src, int dst) { check(llmrt_seq_copy(state_->ctx, src, dst)); }
    // Keeps sequence seq's first n tokens.
    void seq_truncate(int seq, int n) { check(llmrt_seq_truncate(state_->ctx, seq, n)); }

    // A copy of the next-token logits after the last decoded token (i = -1) or after token i of
    // the last decode (needs logits_all unless i is the last; after decode_multi, any i).
    std::vector<float> logits(int i = -1) const {
        const float *p = i < 0 ? llmrt_get_logits(state_->ctx) : llmrt_get_logits_ith(state_->ctx, i);
        require(p != nullptr, i < 0 ? "no logits: call decode first" : "no logits for that token index");
        return std::vector<float>(p, p + vocab_size_);
    }

    // Empties the sequence; a running stream on this context ends.
    void reset() {
        llmrt_context_reset(state_->ctx);
        state_->forget_pull();
    }
    // StreamingLLM for callers with their own loop: drops the cached positions [n_keep, n_keep +
    // n_discard) and moves the later ones down (n_discard -1: half of those after n_keep). mode
    // SHIFT_REEVALUATE evaluates the moved tokens again, SHIFT_ROPED_K re-rotates their keys.
    void shift(int n_keep, int n_discard, int mode) { check(llmrt_context_shift(state_->ctx, n_keep, n_discard, mode)); }
    // Any thread: asks the running (or next) decode or generation to stop with a cancellation.
    void cancel() { llmrt_context_cancel(state_->ctx); }

    // The callback form. Each language maps (callback, user_data) to its listener or delegate.
    // A running stream on this context ends.
    void generate(Sampler *sampler, const char *prompt, const GenerateOptions *options,
                  llmrt_token_callback callback, void *user_data) {
        require(sampler != nullptr && prompt != nullptr, "sampler and prompt must not be null or closed");
        // The listener may close this context or the sampler: these keep both alive until the
        // call returns, and nothing below touches this object's members.
        const std::shared_ptr<ContextState> state = state_;
        const std::shared_ptr<llmrt_sampler> sampler_handle = sampler->handle_;
        state->free_parked();
        const llmrt_status status = llmrt_generate(state->ctx, sampler_handle.get(), prompt,
                                                   options ? options->c_params() : nullptr, callback, user_data);
        if (status != LLMRT_ERR_BUSY) state->forget_pull();
        check(status);
    }

    // Beam search from prompt (tokenized with BOS): the best options->num_return_sequences
    // hypotheses, best first. The beams are sequences of this context (ContextParams n_seq_max >=
    // num_beams), which the search empties first. options may be null for the defaults.
    std::vector<BeamHypothesis> beam_search(const char *prompt, const BeamOptions *options = nullptr) {
        require(prompt != nullptr, "prompt is null");
        llmrt_beam_results *results = nullptr;
        state_->free_parked();
        const llmrt_status status =
            llmrt_beam_search_text(state_->ctx, prompt, 1, options ? options->c_params() : nullptr, &results);
        if (status != LLMRT_ERR_BUSY) state_->forget_pull();
        check(status);
        const llmrt::beam_results_ptr owned(results);
        std::vector<BeamHypothesis> out;
        const int32_t count = llmrt_beam_results_count(results);
        for (int32_t i = 0; i < count; ++i) {
            int32_t n_tokens = 0;
            const llmrt_token *tokens = llmrt_beam_results_tokens(results, i, &n_tokens);
            out.emplace_back(std::vector<int32_t>(tokens, tokens + n_tokens), llmrt_beam_results_score(results, i));
        }
        return out;
    }

#ifndef SWIG
    std::shared_ptr<ContextState> state_;

private:
    int vocab_size_ = 0;
#endif
};

// A generation handle (llmrt_generation_*): the pull form of generate, for iterators. Created by
// starting it (the prompt is evaluated), then next() until it returns null; stop_reason says why
// it ended. The native handle keeps the context and sampler alive, so their objects may be closed
// while it runs; one generation runs on a context at a time (another fails as busy until this one
// has finished or is closed). close() frees it; an object finalized without close() does not touch
// the context from the finalizer's thread, but parks the handle on the context, whose next
// generation frees it.
class NativeGeneration {
public:
    NativeGeneration(Context *context, Sampler *sampler, const char *prompt, const GenerateOptions *options) {
        require(context != nullptr && sampler != nullptr && prompt != nullptr,
                "context, sampler and prompt must not be null or closed");
        state_ = context->state_;
        state_->free_parked();
        check(llmrt_generation_create(state_->ctx, sampler->handle_.get(), prompt,
                                      options ? options->c_params() : nullptr, &gen_));
    }
    ~NativeGeneration() {
        if (gen_) state_->park(gen_);
    }
    NativeGeneration(const NativeGeneration &) = delete;
    NativeGeneration &operator=(const NativeGeneration &) = delete;

    // The next non-empty piece of text, or null once the generation has finished. (Empty pieces,
    // produced while a UTF-8 character or a possible stop string is incomplete, are skipped.)
    const char *next() {
        require(gen_ != nullptr, "this generation has been closed");
        for (;;) {
            const char *piece = nullptr;
            size_t length = 0;
            llmrt_token token = -1;
            const llmrt_status status = llmrt_generation_next(gen_, &piece, &length, &token);
            if (status == LLMRT_END_OF_GENERATION) return nullptr;
            check(status);
            if (token >= 0) last_token_ = token;
            if (length > 0) return piece;  // valid until the next call on gen_
        }
    }
    // The token that completed the last piece next() returned.
    int get_last_token() const { return last_token_; }
    // Why it ended: "length", "eos", "stop_string", "context_full", "cancelled", "callback", or
    // "" while running.
    const char *get_stop_reason() const {
        require(gen_ != nullptr, "this generation has been closed");
        return llmrt_stop_reason_name(llmrt_generation_stop_code(gen_));
    }
    // The same as one of the STOP_* constants (STOP_NONE while running).
    int get_stop_code() const {
        require(gen_ != nullptr, "this generation has been closed");
        return llmrt_generation_stop_code(gen_);
    }
    // Tokens produced so far.
    int get_generated_count() const {
        require(gen_ != nullptr, "this generation has been closed");
        return llmrt_generation_n_generated(gen_);
    }
    // Ends the generation and frees the handle (on the thread that uses the context). Safe to
    // call more than once.
    void close() {
        llmrt_generation_free(gen_);
        gen_ = nullptr;
    }

#ifndef SWIG
private:
    std::shared_ptr<ContextState> state_;
    llmrt_generation *gen_ = nullptr;
    int last_token_ = -1;
#endif
};

// PullGeneration still uses the deprecated pull form on the context (a generation handle,
// llmrt_generation_*, is its replacement): its warnings are expected here.
#ifndef SWIG
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif

// The pull form of a generation, for iterators: created by starting it, then next() until it
// returns null, then end(). It holds the context's state and (through it) the sampler, so the
// Context and Sampler objects may be closed while it runs. Starting another generation on the
// context, or resetting it, ends this one.
class PullGeneration {
public:
    PullGeneration(Context *context, Sampler *sampler, const char *prompt, const GenerateOptions *options) {
        require(context != nullptr && sampler != nullptr && prompt != nullptr,
                "context, sampler and prompt must not be null or closed");
        state_ = context->state_;
        state_->free_parked();
        const llmrt_status status = llmrt_generate_begin(state_->ctx, sampler->handle_.get(), prompt,
                                                         options ? options->c_params() : nullptr);
        if (status != LLMRT_ERR_BUSY) state_->forget_pull();
        check(status);
        state_->pull_sampler = sampler->handle_;
        id_ = state_->pull_id;
    }
    // Freeing this object never touches the context (a finalizer may run on any thread): end() does.

    // The next non-empty piece of text, or null once the generation has finished. (Empty pieces,
    // produced while a UTF-8 character is incomplete, are skipped.)
    const char *next() {
        require(running(), "this generation has ended: the context was reset or started another generation");
        for (;;) {
            const char *piece = nullptr;
            size_t length = 0;
            llmrt_token token = -1;
            llmrt_status status = llmrt_generate_next(state_->ctx, &piece, &length, &token);
            if (status == LLMRT_END_OF_GENERATION) return nullptr;
            check(status);
            last_token_ = token;
            if (length > 0) return piece;  // valid until the next call on the context
        }
    }
    // The token that completed the last piece next() returned.
    int get_last_token() const { return last_token_; }
    // Ends the generation (unless another one has replaced it). Safe to call more than once.
    void end() {
        if (!running()) return;
        llmrt_generate_end(state_->ctx);
        state_->forget_pull();
    }

#ifndef SWIG
private:
    bool running() const { return state_->pull_id == id_; }

    std::shared_ptr<ContextState> state_;
    uint64_t id_ = 0;
    int last_token_ = -1;
#endif
};

#ifndef SWIG
#pragma GCC diagnostic pop
#endif

// A multi-round chat on a context (llmrt_chat_session_*): the conversation and the KV cache are
// kept across turns, so each answer evaluates only the new turn; when the window fills the
// oldest turns are dropped (the system message stays). The native session keeps the context and
// the sampler alive, so they may be closed first.
class ChatSession {
public:
    // template_text null: the model's chat template (a plain "User: ...\nAssistant:" transcript
    // for a model without one). system_prompt null or empty: none.
    ChatSession(Context *context, Sampler *sampler, const char *template_text = nullptr,
                const char *system_prompt = nullptr) {
        require(context != nullptr && sampler != nullptr, "context and sampler must not be null or closed");
        llmrt_chat_session_params params;
        llmrt_chat_session_params_init(&params);
        params.chat_template = template_text;
        params.system_prompt = system_prompt;
        llmrt_chat_session *out = nullptr;
        check(llmrt_chat_session_create(context->state_->ctx, sampler->handle_.get(), &params, &out));
        handle_.reset(out, llmrt::handle_deleter());
        context_ = context->state_;
    }

    void add_message(const char *role, const char *content) {
        require(role != nullptr && content != nullptr, "role and content must not be null");
        check(llmrt_chat_session_add_message(handle_.get(), role, content));
    }
    // Generates the answer to the conversation, streaming it to the callback (each language maps
    // it to its listener); the answer joins the conversation, also when the listener stops it.
    void respond(const GenerateOptions *options, llmrt_token_callback callback, void *user_data) {
        const std::shared_ptr<llmrt_chat_session> handle = handle_;  // the listener may close this object
        context_->free_parked();  // a finalized generation must not leave the context busy
        check(llmrt_chat_session_respond(handle.get(), options ? options->c_params() : nullptr, callback, user_data));
    }
    void reset() { check(llmrt_chat_session_reset(handle_.get())); }
    void truncate(int n_oldest_turns) { check(llmrt_chat_session_truncate(handle_.get(), n_oldest_turns)); }
    void pop_message() { check(llmrt_chat_session_pop_message(handle_.get())); }

    int get_message_count() const { return llmrt_chat_session_n_messages(handle_.get()); }
    std::string message_role(int i) const { return message(i).first; }
    std::string message_content(int i) const { return message(i).second; }
    // The last answer's prompt: its tokens evaluated and reused from the cache, messages dropped.
    int get_evaluated_count() const { return llmrt_chat_session_n_evaluated(handle_.get()); }
    int get_reused_count() const { return llmrt_chat_session_n_reused(handle_.get()); }
    int get_dropped_count() const { return llmrt_chat_session_n_dropped(handle_.get()); }
    std::string get_prompt() const { return llmrt_chat_session_prompt(handle_.get()); }

#ifndef SWIG
private:
    std::pair<std::string, std::string> message(int i) const {
        const char *role = nullptr;
        const char *content = nullptr;
        check(llmrt_chat_session_message(handle_.get(), i, &role, &content));
        return {role, content};
    }

    // Declared first, destroyed last (for free_parked; the native session keeps the context alive itself).
    std::shared_ptr<ContextState> context_;
    std::shared_ptr<llmrt_chat_session> handle_;
#endif
};

// Quantizes checkpoints (Hugging Face directory, GGUF or llmrt file) into llmrt files.
class Quantizer {
public:
    // options may be null for the library's defaults (int4, group size 32, ...).
    explicit Quantizer(const QuantizeOptions *options = nullptr) {
        QuantizeOptions::require_quantizer();
        llmrt_quant_params params = options ? options->c_params() : QuantizeOptions().c_params();
        // The library keeps the callback for the quantizer's lifetime; it forwards to whatever
        // progress callback the current quantize() call was given.
        progress_ = std::make_shared<Progress>();
        params.progress = &Quantizer::on_progress;
        params.progress_user_data = progress_.get();
        llmrt_quantizer *out = nullptr;
        check(llmrt_quantizer_create(&params, &out));
        handle_.reset(out, llmrt::handle_deleter());
    }

    // Writes output_path, the quantized form of input_path. Each language maps (progress,
    // user_data) to its listener or delegate, whose non-zero return cancels.
    void quantize(const char *input_path, const char *output_path, llmrt_progress_callback progress,
                  void *user_data) {
        require(input_path != nullptr && output_path != nullptr, "input_path and output_path must not be null");
        // The listener may close this quantizer: these keep what the call uses alive until it
        // returns, and nothing below touches this object's members.
        const std::shared_ptr<Progress> target = progress_;
        const std::shared_ptr<llmrt_quantizer> handle = handle_;
        target->callback = progress;
        target->user_data = user_data;
        llmrt_status status = llmrt_quantize(handle.get(), input_path, output_path);
        target->callback = nullptr;
        target->user_data = nullptr;
        check(status);
    }

#ifndef SWIG
private:
    struct Progress {
        llmrt_progress_callback callback = nullptr;
        void *user_data = nullptr;
    };

    static int32_t on_progress(float fraction, const char *tensor_name, void *target) {
        const Progress *p = static_cast<const Progress *>(target);
        return p->callback ? p->callback(fraction, tensor_name, p->user_data) : 0;
    }

    // Declared first, destroyed last: the quantizer holding its address is freed before it.
    std::shared_ptr<Progress> progress_;
    std::shared_ptr<llmrt_quantizer> handle_;
#endif
};

inline const char *version() { return llmrt_version_string(); }
inline int api_version() { return static_cast<int>(llmrt_api_version()); }

// "" when the loaded libllmrt can run these bindings (llmrt.h's version rule: the same major, a
// minor at least the one they were compiled against), else the problem.
inline std::string api_version_problem() {
    const uint32_t major = llmrt_api_version(), minor = llmrt_api_version_minor();
    if (major == LLMRT_API_VERSION && minor >= LLMRT_API_VERSION_MINOR) return "";
    return "libllmrt has API version " + std::to_string(major) + "." + std::to_string(minor) +
           " but these bindings need " + std::to_string(LLMRT_API_VERSION) + "." +
           std::to_string(LLMRT_API_VERSION_MINOR) + " or a later minor; use a newer library";
}

}  // namespace llmrt_swig
