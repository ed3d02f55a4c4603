// Models and their tokenizers.
#include "api/handles.h"
#include "api/quant_options.h"
#include "api/text_out.h"
#include "models/synthetic.h"

#include <string_view>

using llmrt::guarded;
using llmrt::require_arg;

extern "C" {

void llmrt_model_params_init_sized(llmrt_model_params *given, uint32_t struct_size) {
    llmrt_model_params defaults{};
    llmrt_model_params *params = &defaults;
    params->struct_size = sizeof(llmrt_model_params);
    params->use_mmap = 1;
    params->n_threads = 0;
    params->quantize = nullptr;
    params->compute_dtype = nullptr;
    params->compute_type = LLMRT_COMPUTE_AUTO;
    params->tensor_parallel = 0;
    llmrt::write_params(given, struct_size, defaults);
}

namespace {

llmrt::LoadOptions to_load_options(const llmrt_model_params &p) {
    llmrt::LoadOptions options;
    llmrt::require_thread_count(p.n_threads);
    options.n_threads = p.n_threads;
    if (p.quantize) {
        const llmrt_quant_params q = llmrt::read_params(p.quantize, llmrt_quant_params_init_sized);
        options.quantize = llmrt::to_quant_options(q);
    }
    options.compute = llmrt::compute_type_of(p.compute_dtype, p.compute_type);
    require_arg(p.tensor_parallel == 0 || p.tensor_parallel == 1,
                "tensor_parallel must be 0 (off) or 1 (shard over MPI_COMM_WORLD)");
    if (p.tensor_parallel == 1) options.tensor_parallel = llmrt::world_communicator();
    return options;
}

}  // namespace

llmrt_status llmrt_model_load(const char *path, const llmrt_model_params *params, llmrt_model **out) {
    return guarded([&] {
        require_arg(out != nullptr, "out is NULL");
        *out = nullptr;
        require_arg(path != nullptr && *path != '\0', "path is NULL or empty");
        const llmrt_model_params p = llmrt::read_params(params, llmrt_model_params_init_sized);
        auto model = std::make_unique<llmrt_model>();
        model->impl = llmrt::load_model(path, to_load_options(p));
        *out = model.release();
    });
}

llmrt_status llmrt_model_create_synthetic(const char *shape_name, uint64_t seed, const llmrt_model_params *params,
                                          llmrt_model **out) {
    return guarded([&] {
        require_arg(out != nullptr, "out is NULL");
        *out = nullptr;
        require_arg(shape_name != nullptr, "shape_name is NULL");
        const llmrt_model_params p = llmrt::read_params(params, llmrt_model_params_init_sized);
        auto model = std::make_unique<llmrt_model>();
        model->impl = llmrt::create_synthetic_model(shape_name, seed, to_load_options(p));
        *out = model.release();
    });
}

const char *llmrt_synthetic_shapes(void) { return llmrt::synthetic_shape_names().c_str(); }

void llmrt_model_free(llmrt_model *model) { llmrt::release(model); }

const char *llmrt_model_architecture(const llmrt_model *model) {
    return model ? model->impl->hparams().family.c_str() : "";
}
const char *llmrt_model_weight_type(const llmrt_model *model) {
    return model ? model->impl->weights->main_type().c_str() : "";
}
uint64_t llmrt_model_n_params(const llmrt_model *model) { return model ? model->impl->weights->n_params() : 0; }
uint64_t llmrt_model_weight_bytes(const llmrt_model *model) { return model ? model->impl->weights->weight_bytes() : 0; }
uint64_t llmrt_model_decode_read_bytes(const llmrt_model *model) {
    return model ? model->impl->arch->decode_read_bytes() : 0;
}
int32_t llmrt_model_n_vocab(const llmrt_model *model) {
    return model ? static_cast<int32_t>(model->impl->hparams().n_vocab) : 0;
}
int32_t llmrt_model_n_ctx_train(const llmrt_model *model) {
    return model ? static_cast<int32_t>(model->impl->hparams().n_ctx_train) : 0;
}
int32_t llmrt_model_n_embd(const llmrt_model *model) {
    return model ? static_cast<int32_t>(model->impl->hparams().n_embd) : 0;
}
int32_t llmrt_model_n_layer(const llmrt_model *model) {
    return model ? static_cast<int32_t>(model->impl->hparams().n_layer) : 0;
}
llmrt_token llmrt_model_bos(const llmrt_model *model) { return model ? model->impl->tokenizer->bos() : -1; }
llmrt_token llmrt_model_eos(const llmrt_model *model) { return model ? model->impl->tokenizer->eos() : -1; }

int32_t llmrt_token_is_end_of_generation(const llmrt_model *model, llmrt_token token) {
    if (!model || token < 0) return 0;
    const std::vector<int32_t> ids = model->impl->tokenizer->end_of_generation_ids();
    return std::find(ids.begin(), ids.end(), token) != ids.end() ? 1 : 0;
}

namespace {

const llmrt::Communicator *tensor_parallel(const llmrt_model *model) {
    return model ? model->impl->weights->options().tensor_parallel.get() : nullptr;
}

}  // namespace

int32_t llmrt_model_tp_rank(const llmrt_model *model) {
    const llmrt::Communicator *comm = tensor_parallel(model);
    return comm ? comm->rank() : 0;
}
int32_t llmrt_model_tp_size(const llmrt_model *model) {
    const llmrt::Communicator *comm = tensor_parallel(model);
    return comm ? comm->size() : 1;
}

namespace {

const std::vector<llmrt::TensorTypeStats> &tensor_types(const llmrt_model *model, int32_t as_loaded) {
    return as_loaded != 0 ? model->impl->loaded_types : model->impl->file_types;
}

}  // namespace

int32_t llmrt_model_n_tensor_types(const llmrt_model *model, int32_t as_loaded) {
    return model ? static_cast<int32_t>(tensor_types(model, as_loaded).size()) : 0;
}

llmrt_status llmrt_model_tensor_type_sized(const llmrt_model *model, int32_t as_loaded, int32_t index,
                                           llmrt_tensor_type_stats *out, uint32_t struct_size) {
    return guarded([&] {
        require_arg(model && out, "model and out must not be NULL");
        require_arg(struct_size >= sizeof(uint32_t), "struct_size is too small to hold struct_size itself");
        const std::vector<llmrt::TensorTypeStats> &types = tensor_types(model, as_loaded);
        if (index < 0 || static_cast<size_t>(index) >= types.size())
            llmrt::fail(llmrt::Status::InvalidArgument,
                        "tensor type index " + std::to_string(index) + " is out of range: the model has " +
                            std::to_string(types.size()) + " tensor types " +
                            (as_loaded ? "as loaded" : "in its file"));
        const llmrt::TensorTypeStats &t = types[static_cast<size_t>(index)];
        llmrt_tensor_type_stats stats{};
        stats.struct_size = sizeof(stats);
        stats.type = t.type.c_str();
        stats.n_tensors = static_cast<int32_t>(std::min<int64_t>(t.n_tensors, INT32_MAX));
        stats.n_params = t.n_params;
        stats.n_bytes = t.n_bytes;
        llmrt::write_params(out, struct_size, stats);  // only the fields the caller's struct holds
    });
}

llmrt_status llmrt_tokenize_n(const llmrt_model *model, const char *text, size_t text_len, int32_t add_special,
                              llmrt_token *tokens, int32_t capacity, int32_t *n_tokens) {
    return llmrt_tokenize_flags(model, text, text_len, add_special ? LLMRT_TOKENIZE_ADD_SPECIAL : 0, tokens, capacity,
                                n_tokens);
}

llmrt_status llmrt_tokenize_flags(const llmrt_model *model, const char *text, size_t text_len, int32_t flags,
                                  llmrt_token *tokens, int32_t capacity, int32_t *n_tokens) {
    return guarded([&] {
        require_arg(model && (text || text_len == 0) && n_tokens, "model, text and n_tokens must not be NULL");
        require_arg((flags & ~(LLMRT_TOKENIZE_ADD_SPECIAL | LLMRT_TOKENIZE_PARSE_SPECIAL)) == 0, "unknown tokenize flags");
        const std::string_view view = text ? std::string_view(text, text_len) : std::string_view();
        const std::vector<int32_t> ids = model->impl->tokenizer->encode(view, (flags & LLMRT_TOKENIZE_ADD_SPECIAL) != 0,
                                                                        (flags & LLMRT_TOKENIZE_PARSE_SPECIAL) != 0);
        llmrt::copy_tokens_out(ids, tokens, capacity, n_tokens);
    });
}

llmrt_status llmrt_tokenize(const llmrt_model *model, const char *text, int32_t add_special, llmrt_token *tokens,
                            int32_t capacity, int32_t *n_tokens) {
    if (!text) return guarded([] { require_arg(false, "text is NULL"); });
    return llmrt_tokenize_n(model, text, std::strlen(text), add_special, tokens, capacity, n_tokens);
}

namespace {

// The API 1.0 forms with int32_t byte counts: the size_t rule, with what int32_t cannot hold refused.
void copy_out_int32(const std::string &s, char *buf, int32_t capacity, int32_t *length, bool terminate) {
    require_arg(capacity >= 0, "capacity is negative");
    require_arg(s.size() < static_cast<size_t>(INT32_MAX), "text is too long");
    *length = static_cast<int32_t>(s.size());
    size_t n = 0;
    llmrt::copy_text_out(s, buf, static_cast<size_t>(capacity), &n, terminate);
}

std::string piece_of(const llmrt_model *model, llmrt_token token) {
    require_arg(token >= 0 && token < model->impl->hparams().n_vocab, "token is outside the vocabulary");
    return model->impl->tokenizer->piece(token);
}

std::string text_of(const llmrt_model *model, const llmrt_token *tokens, int32_t n_tokens, int32_t skip_special) {
    require_arg((tokens || n_tokens == 0) && n_tokens >= 0, "invalid arguments");
    const int64_t n_vocab = model->impl->hparams().n_vocab;
    for (int32_t i = 0; i < n_tokens; ++i)
        require_arg(tokens[i] >= 0 && tokens[i] < n_vocab, "a token is outside the vocabulary");
    return model->impl->tokenizer->decode(std::vector<int32_t>(tokens, tokens + n_tokens), skip_special != 0);
}

}  // namespace

llmrt_status llmrt_token_to_piece(const llmrt_model *model, llmrt_token token, char *buf, int32_t capacity,
                                  int32_t *length) {
    return guarded([&] {
        require_arg(model && length, "model and length must not be NULL");
        copy_out_int32(piece_of(model, token), buf, capacity, length, false);
    });
}

llmrt_status llmrt_token_to_piece_v2(const llmrt_model *model, llmrt_token token, char *buf, size_t capacity,
                                     size_t *length) {
    return guarded([&] {
        require_arg(model && length, "model and length must not be NULL");
        llmrt::copy_text_out(piece_of(model, token), buf, capacity, length, false);
    });
}

llmrt_status llmrt_detokenize(const llmrt_model *model, const llmrt_token *tokens, int32_t n_tokens,
                              int32_t skip_special, char *buf, int32_t capacity, int32_t *length) {
    return guarded([&] {
        require_arg(model && length, "model and length must not be NULL");
        copy_out_int32(text_of(model, tokens, n_tokens, skip_special), buf, capacity, length, true);
    });
}

llmrt_status llmrt_detokenize_v2(const llmrt_model *model, const llmrt_token *tokens, int32_t n_tokens,
                                 int32_t skip_special, char *buf, size_t capacity, size_t *length) {
    return guarded([&] {
        require_arg(model && length, "model and length must not be NULL");
        llmrt::copy_text_out(text_of(model, tokens, n_tokens, skip_special), buf, capacity, length, true);
    });
}

}  // extern "C"
