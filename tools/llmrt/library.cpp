#include "library.h"

namespace cli {

void check(llmrt_status status, const std::string &what) {
    if (status == LLMRT_OK) {
        return;
    }
    std::string message = what;
    const char *detail = llmrt_last_error();
    if (detail && *detail) {
        message += ": ";
        message += detail;
    }
    message += " (";
    message += llmrt_status_string(status);
    message += ")";
    throw LibraryError(status, message);
}

ModelPtr load_model(const std::string &path) {
    llmrt_model_params params;
    llmrt_model_params_init(&params);
    llmrt_model *model = nullptr;
    // The path is in the message because the library's own text may not mention it.
    check(llmrt_model_load(path.c_str(), &params, &model), "cannot load model '" + path + "'");
    return ModelPtr(model);
}

ModelPtr create_synthetic_model(const std::string &shape_name, uint64_t seed) {
    llmrt_model_params params;
    llmrt_model_params_init(&params);
    llmrt_model *model = nullptr;
    check(llmrt_model_create_synthetic(shape_name.c_str(), seed, &params, &model),
          "cannot create synthetic model '" + shape_name + "'");
    return ModelPtr(model);
}

ModelPtr open_model(const std::string &path, const std::string &synthetic, uint64_t seed) {
    return synthetic.empty() ? load_model(path) : create_synthetic_model(synthetic, seed);
}

ContextPtr create_context(llmrt_model *model, const ContextOptions &options) {
    llmrt_context_params params;
    llmrt_context_params_init(&params);
    // Zero keeps the library's default rather than asking for a zero-sized window or batch.
    if (options.n_ctx > 0) {
        params.n_ctx = options.n_ctx;
    }
    if (options.n_batch > 0) {
        params.n_batch = options.n_batch;
    }
    if (options.n_threads > 0) {
        params.n_threads = options.n_threads;
    }
    params.logits_all = options.logits_all ? 1 : 0;
    llmrt_context *ctx = nullptr;
    check(llmrt_context_create(model, &params, &ctx), "cannot create context");
    return ContextPtr(ctx);
}

std::vector<llmrt_token> tokenize(const llmrt_model *model, const std::string &text,
                                  bool add_special) {
    // A token covers at least one byte, so bytes + a few specials is always enough; one call.
    std::vector<llmrt_token> tokens(text.size() + 8);
    int32_t n_tokens = 0;
    llmrt_status status = llmrt_tokenize(model, text.c_str(), add_special ? 1 : 0, tokens.data(),
                                         static_cast<int32_t>(tokens.size()), &n_tokens);
    if (status == LLMRT_ERR_BUFFER_TOO_SMALL) {
        tokens.resize(static_cast<size_t>(n_tokens));
        status = llmrt_tokenize(model, text.c_str(), add_special ? 1 : 0, tokens.data(),
                                static_cast<int32_t>(tokens.size()), &n_tokens);
    }
    check(status, "cannot tokenize");
    tokens.resize(static_cast<size_t>(n_tokens));
    return tokens;
}

std::string token_piece(const llmrt_model *model, llmrt_token token) {
    std::string piece(32, '\0');
    int32_t length = 0;
    llmrt_status status = llmrt_token_to_piece(model, token, piece.data(),
                                               static_cast<int32_t>(piece.size()), &length);
    if (status == LLMRT_ERR_BUFFER_TOO_SMALL) {
        piece.resize(static_cast<size_t>(length));
        status = llmrt_token_to_piece(model, token, piece.data(), static_cast<int32_t>(piece.size()),
                                      &length);
    }
    check(status, "cannot convert token " + std::to_string(token) + " to text");
    piece.resize(static_cast<size_t>(length));
    return piece;
}

} // namespace cli
