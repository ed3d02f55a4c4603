#include "models/model.h"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "core/error.h"
#include "core/log.h"
#include "models/registry.h"

namespace llmrt {
namespace {

class TypeTally {
public:
    void add(const std::string &type, uint64_t params, uint64_t bytes) {
        auto it =
            std::find_if(stats_.begin(), stats_.end(), [&](const TensorTypeStats &s) { return s.type == type; });
        if (it == stats_.end()) it = stats_.insert(stats_.end(), TensorTypeStats{type, 0, 0, 0});
        it->n_tensors += 1;
        it->n_params += params;
        it->n_bytes += bytes;
    }
    std::vector<TensorTypeStats> sorted() && {
        std::sort(stats_.begin(), stats_.end(), [](const TensorTypeStats &a, const TensorTypeStats &b) {
            return a.n_params != b.n_params ? a.n_params > b.n_params : a.type < b.type;
        });
        return std::move(stats_);
    }

private:
    std::vector<TensorTypeStats> stats_;
};

uint64_t element_count(const std::vector<int64_t> &shape) {
    int64_t n = 0;
    return checked_element_count(shape, n) ? static_cast<uint64_t>(n) : 0;
}

}  // namespace

std::vector<TensorTypeStats> file_tensor_types(const Checkpoint &checkpoint) {
    TypeTally tally;
    for (const auto &entry : checkpoint.tensors) {
        const TensorView &t = entry.second;
        std::string type = t.dtype == DType::Packed ? t.packed_type : dtype_name(t.dtype);
        if (t.dtype != DType::Packed)
            for (char &c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        tally.add(type, element_count(t.shape), t.nbytes);
    }
    return std::move(tally).sorted();
}

std::vector<TensorTypeStats> loaded_tensor_types(const WeightStore &weights) {
    TypeTally tally;
    for (const StoredTensor &t : weights.tensors()) tally.add(t.type_name, element_count(t.shape), t.nbytes);
    return std::move(tally).sorted();
}

void build_architecture(Model &model, const LoadOptions &options) {
    // Before the store converts anything (it may release the file's pages as it goes).
    model.file_types = file_tensor_types(model.checkpoint);
    model.weights = std::make_unique<WeightStore>(model.checkpoint, options);
    model.arch = create_architecture(model.checkpoint, *model.weights);
    model.loaded_types = loaded_tensor_types(*model.weights);
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
