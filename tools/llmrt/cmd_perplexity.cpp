// llmrt perplexity: llama.cpp's llama-perplexity method, so numbers are comparable with its
// published ones. The file is tokenized once (with BOS) and cut into chunks of n_ctx tokens; each
// chunk starts with BOS in a fresh context, and only its second half is scored, so every scored
// token sees at least n_ctx/2 tokens of context.
#include "args.h"
#include "interrupt.h"
#include "library.h"
#include "output.h"
#include "quant_flags.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace cli {

namespace {

struct PerplexityOptions {
    std::string model_path;
    std::string file;
    int32_t n_ctx = 512;
    int32_t n_chunks = -1; // -1: as many as the file holds
    int32_t n_threads = 0;
    int32_t n_batch = 0; // 0: the whole chunk in one step
    QuantFlags quant;
    bool json = false;
};

std::string read_text(const std::string &path) {
    std::string text = read_file(path);
    // llama.cpp's -f drops one trailing newline; do the same so token counts agree.
    if (!text.empty() && text.back() == '\n') {
        text.pop_back();
    }
    return text;
}

// -log softmax(logits)[target], in double with the maximum subtracted so exp never overflows.
double negative_log_prob(const float *logits, int32_t n_vocab, llmrt_token target) {
    float max_logit = logits[0];
    for (int32_t i = 1; i < n_vocab; ++i) {
        max_logit = std::max(max_logit, logits[i]);
    }
    double sum_exp = 0.0;
    for (int32_t i = 0; i < n_vocab; ++i) {
        sum_exp += std::exp(static_cast<double>(logits[i]) - max_logit);
    }
    return std::log(sum_exp) - (static_cast<double>(logits[target]) - max_logit);
}

// Running sums of the per-token negative log-likelihood, as llama.cpp keeps them.
struct NllStats {
    double nll = 0.0;
    double nll2 = 0.0;
    int64_t count = 0;

    void add(double v) {
        nll += v;
        nll2 += v * v;
        ++count;
    }
    double ppl() const { return std::exp(nll / static_cast<double>(count)); }
    // llama.cpp's error estimate: the standard error of the mean NLL, scaled by PPL (first-order
    // propagation through exp).
    double ppl_stderr() const {
        const double mean = nll / static_cast<double>(count);
        const double variance = nll2 / static_cast<double>(count) - mean * mean;
        if (variance <= 0.0 || count < 2) {
            return 0.0;
        }
        return std::sqrt(variance / static_cast<double>(count - 1)) * ppl();
    }
};

// Decodes one chunk in a fresh context and adds the scores of its second half to stats. Returns
// the seconds spent in llmrt_decode, for the throughput figure.
double score_chunk(llmrt_context *ctx, const llmrt_model *model, std::vector<llmrt_token> chunk,
                 NllStats *stats) {
    const llmrt_token bos = llmrt_model_bos(model);
    if (bos >= 0) {
        chunk[0] = bos;
    }
    llmrt_context_reset(ctx);
    throw_if_interrupted(); // reset clears a pending cancel
    const int32_t n_ctx = static_cast<int32_t>(chunk.size());
    const auto start = std::chrono::steady_clock::now();
    const llmrt_status status = llmrt_decode(ctx, chunk.data(), n_ctx);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (status == LLMRT_CANCELLED && interrupt_requested()) {
        throw Interrupted();
    }
    check(status, "decode failed");

    const int32_t n_vocab = llmrt_model_n_vocab(model);
    const int32_t first = n_ctx / 2;
    for (int32_t j = first; j < n_ctx - 1; ++j) {
        const float *logits = llmrt_get_logits_ith(ctx, j);
        if (!logits) {
            throw std::runtime_error("no logits for position " + std::to_string(j) +
                                     " (logits_all not honoured?)");
        }
        stats->add(negative_log_prob(logits, n_vocab, chunk[static_cast<size_t>(j) + 1]));
    }
    return seconds;
}

} // namespace

int run_perplexity(int argc, char **argv) {
    PerplexityOptions o;
    ArgParser args("perplexity", "-m PATH -f FILE [-c 512] [--chunks N] [-t THREADS] [-b BATCH] [--weight-dtype T ...] [--json]",
                   "Perplexity of a text file, computed exactly as llama.cpp's llama-perplexity "
                   "does (chunks of CTX tokens starting with BOS, second half of each scored).");
    args.string("-m", "--model", "PATH", "model: GGUF file, llmrt file or Hugging Face directory",
                &o.model_path);
    args.string("-f", "--file", "FILE", "text file (e.g. wikitext-2 wiki.test.raw)", &o.file);
    args.integer("-c", "--ctx-size", "N", "tokens per chunk", &o.n_ctx, 4, 1 << 20);
    args.integer(nullptr, "--chunks", "N", "most chunks to score; -1 = all", &o.n_chunks, -1, 1 << 30);
    args.integer("-t", "--threads", "N", "threads; 0 = all cores", &o.n_threads, 0, LLMRT_MAX_THREADS);
    args.integer("-b", "--batch-size", "N", "tokens per evaluation step; 0 = the chunk size",
                 &o.n_batch, 0, 1 << 20);
    add_quant_flags(args, &o.quant, QuantFlagUse::Load);
    args.flag(nullptr, "--json", "print JSON", &o.json);
    if (!args.parse(argc, argv)) {
        return 0;
    }
    args.require("--model");
    args.require("--file");
    const QuantSettings quant = quant_settings(args, o.quant, QuantFlagUse::Load).front();

    const std::string text = read_text(o.file);
    ModelPtr model = load_model(o.model_path, quant);
    const std::vector<llmrt_token> tokens = tokenize(model.get(), text, true);

    const int64_t n_available = static_cast<int64_t>(tokens.size()) / o.n_ctx;
    const int64_t n_chunk = o.n_chunks < 0 ? n_available : std::min<int64_t>(o.n_chunks, n_available);
    if (n_chunk < 1) {
        throw std::runtime_error("'" + o.file + "' has " + std::to_string(tokens.size()) +
                                 " tokens, fewer than one chunk of " + std::to_string(o.n_ctx));
    }

    ContextOptions context_options;
    context_options.n_ctx = o.n_ctx;
    context_options.n_batch = o.n_batch > 0 ? std::min(o.n_batch, o.n_ctx) : o.n_ctx;
    context_options.n_threads = o.n_threads;
    context_options.logits_all = true;
    ContextPtr ctx = create_context(model.get(), context_options);
    if (llmrt_context_n_ctx(ctx.get()) < o.n_ctx) {
        throw std::runtime_error("the context holds only " +
                                 std::to_string(llmrt_context_n_ctx(ctx.get())) + " tokens, not " +
                                 std::to_string(o.n_ctx));
    }
    CancelOnInterrupt cancel_on_ctrl_c(ctx.get());

    if (!o.json) {
        std::fprintf(stderr, "perplexity: %zu tokens, %lld chunks of %d, batch %d\n", tokens.size(),
                     static_cast<long long>(n_chunk), o.n_ctx, context_options.n_batch);
    }
    NllStats stats;
    double decode_seconds = 0.0;
    for (int64_t i = 0; i < n_chunk; ++i) {
        const auto begin = tokens.begin() + i * o.n_ctx;
        decode_seconds +=
            score_chunk(ctx.get(), model.get(), std::vector<llmrt_token>(begin, begin + o.n_ctx), &stats);
        if (!o.json) {
            std::printf("[%lld]%.4f,", static_cast<long long>(i + 1), stats.ppl());
            std::fflush(stdout);
        }
    }
    const double tokens_per_second = static_cast<double>(n_chunk * o.n_ctx) / decode_seconds;

    if (o.json) {
        print_json({
            {"ppl", stats.ppl()},
            {"stderr", stats.ppl_stderr()},
            {"chunks", n_chunk},
            {"n_ctx", o.n_ctx},
            {"n_tokens", tokens.size()},
            {"n_scored", stats.count},
            {"tokens_per_second", tokens_per_second},
            {"weight_type", llmrt_model_weight_type(model.get())},
        });
    } else {
        std::printf("\nFinal estimate: PPL = %.4f +/- %.5f\n", stats.ppl(), stats.ppl_stderr());
        std::fprintf(stderr, "perplexity: %.1f tokens/s\n", tokens_per_second);
    }
    return 0;
}

} // namespace cli
