#include "models/model.h"

#include <chrono>

#include "core/error.h"
#include "core/log.h"
#include "models/registry.h"

namespace llmrt {

void build_architecture(Model &model, const LoadOptions &options) {
    model.weights = std::make_unique<WeightStore>(model.checkpoint, options);
    model.arch = create_architecture(model.checkpoint, *model.weights);
}

std::unique_ptr<Model> load_model(const std::string &path, const LoadOptions &options) {
    const auto start = std::chrono::steady_clock::now();
    auto model = std::make_unique<Model>();
    model->checkpoint = read_checkpoint(path);
    build_architecture(*model, options);
    model->tokenizer = load_tokenizer(model->checkpoint);
    const int64_t n_vocab = model->arch->hparams().n_vocab;
    require(model->tokenizer->n_vocab() <= n_vocab, Status::Format,
            path + ": the tokenizer has " + std::to_string(model->tokenizer->n_vocab()) +
                " tokens but the model only " + std::to_string(n_vocab));
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    log_info("loaded " + path + ": " + model->hparams().family + ", " + std::to_string(model->weights->n_params()) +
             " parameters, " + model->weights->main_type() + ", " + std::to_string(static_cast<int64_t>(ms)) + " ms");
    return model;
}

}  // namespace llmrt
