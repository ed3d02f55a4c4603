// llmrt perplexity: llama.cpp's llama-perplexity method, so numbers are comparable with its
// published ones. The file is tokenized once (with BOS) and cut into chunks of n_ctx tokens; each
// chunk starts with BOS in a fresh context, and only its second half is scored, so every scored
// token sees at least n_ctx/2 tokens of context.
//
// --kl-divergence-base FILE saves the scored tokens' distributions (kld.h); --kl-divergence FILE
// compares this model's with them on the same tokens.
#include "args.h"
#include "interrupt.h"
#include "kld.h"
#include "library.h"
#include "output.h"
#include "quant_flags.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
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
    std::string kv_type;
    int32_t n_batch = 0; // 0: the whole chunk in one step
    QuantFlags quant;
    bool json = false;
    bool tensor_parallel = false;
    std::string kld_base;  // --kl-divergence-base: write the reference distributions here
    std::string kld;       // --kl-divergence: compare with the distributions in this file
};

// What score_chunk does with each scored token's logits besides its NLL.
struct KldSink {
    KldBaseWriter *writer = nullptr;
    KldBaseReader *reader = nullptr;
    KldStats *stats = nullptr;
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
                 NllStats *stats, const KldSink &kld) {
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
        const llmrt_token next = chunk[static_cast<size_t>(j) + 1];
        stats->add(negative_log_prob(logits, n_vocab, next));
        if (kld.writer) kld.writer->add(logits, next);
        if (kld.reader) kld.reader->compare(logits, next, kld.stats);
    }
    return seconds;
}

void print_kld(const KldSummary &k, const PerplexityOptions &o, int64_t n_chunk, const char *weight_type) {
    if (o.json) {
        print_json({
            {"ppl", k.ppl}, {"ppl_stderr", k.ppl_unc},
            {"ppl_base", k.ppl_base}, {"ppl_base_stderr", k.ppl_base_unc},
            {"ppl_correlation", k.ppl_cor},
            {"ln_ppl_ratio", k.ln_ratio}, {"ln_ppl_ratio_stderr", k.ln_ratio_unc},
            {"ppl_ratio", k.ratio}, {"ppl_ratio_stderr", k.ratio_unc},
            {"delta_ppl", k.dppl}, {"delta_ppl_stderr", k.dppl_unc},
            {"kld_mean", k.kld}, {"kld_stderr", k.kld_unc},
            {"kld_max", k.kld_max}, {"kld_99_9", k.kld_999}, {"kld_99", k.kld_99},
            {"kld_90", k.kld_90}, {"kld_median", k.kld_median}, {"kld_min", k.kld_min},
            {"rms_dp", k.rms_dp}, {"rms_dp_stderr", k.rms_dp_unc},
            {"same_top", k.same_top}, {"same_top_stderr", k.same_top_unc},
            {"n_scored", k.count}, {"chunks", n_chunk}, {"n_ctx", o.n_ctx},
            {"weight_type", weight_type},
        });
        return;
    }
    std::printf("\n====== Perplexity statistics ======\n");
    std::printf("Mean PPL(Q)                   : %10.6f \u00b1 %10.6f\n", k.ppl, k.ppl_unc);
    std::printf("Mean PPL(base)                : %10.6f \u00b1 %10.6f\n", k.ppl_base, k.ppl_base_unc);
    std::printf("Cor(ln(PPL(Q)), ln(PPL(base))): %6.2f%%\n", 100.0 * k.ppl_cor);
    std::printf("Mean ln(PPL(Q)/PPL(base))     : %10.6f \u00b1 %10.6f\n", k.ln_ratio, k.ln_ratio_unc);
    std::printf("Mean PPL(Q)/PPL(base)         : %10.6f \u00b1 %10.6f\n", k.ratio, k.ratio_unc);
    std::printf("Mean PPL(Q)-PPL(base)         : %10.6f \u00b1 %10.6f\n", k.dppl, k.dppl_unc);
    std::printf("\n====== KL divergence statistics ======\n");
    std::printf("Mean    KLD: %10.6f \u00b1 %10.6f\n", k.kld, k.kld_unc);
    std::printf("Maximum KLD: %10.6f\n", k.kld_max);
    std::printf("99.9%%   KLD: %10.6f\n", k.kld_999);
    std::printf("99.0%%   KLD: %10.6f\n", k.kld_99);
    std::printf("90.0%%   KLD: %10.6f\n", k.kld_90);
    std::printf("Median  KLD: %10.6f\n", k.kld_median);
    std::printf("Minimum KLD: %10.6f\n", k.kld_min);
    std::printf("\n====== Token probability statistics ======\n");
    std::printf("RMS \u0394p    : %6.3f \u00b1 %5.3f %%\n", 100.0 * k.rms_dp, 100.0 * k.rms_dp_unc);
    std::printf("Same top p: %6.3f \u00b1 %5.3f %%\n", 100.0 * k.same_top, 100.0 * k.same_top_unc);
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
    add_kv_type_flag(args, &o.kv_type);
    args.integer("-b", "--batch-size", "N", "tokens per evaluation step; 0 = the chunk size",
                 &o.n_batch, 0, 1 << 20);
    add_quant_flags(args, &o.quant, QuantFlagUse::Load);
    args.string(nullptr, "--kl-divergence-base", "FILE",
                "save this model's token distributions to FILE, the base for --kl-divergence",
                &o.kld_base);
    args.string(nullptr, "--kl-divergence", "FILE",
                "compare with the distributions in FILE (same text and -c): KL divergence, top-1 "
                "agreement, PPL difference, as llama.cpp reports them",
                &o.kld);
    args.flag(nullptr, "--json", "print JSON", &o.json);
    add_tensor_parallel_flag(args, &o.tensor_parallel);
    if (!args.parse(argc, argv)) {
        return 0;
    }
    if (!o.kld_base.empty() && !o.kld.empty()) {
        throw UsageError("--kl-divergence-base and --kl-divergence cannot be used together");
    }
    args.require("--model");
    args.require("--file");
    QuantSettings quant = quant_settings(args, o.quant, QuantFlagUse::Load).front();
    quant.tensor_parallel = o.tensor_parallel;

    const std::string text = read_text(o.file);
    ModelPtr model = load_model(o.model_path, quant);
    const std::vector<llmrt_token> tokens = tokenize(model.get(), text, true);

    std::unique_ptr<KldBaseReader> reader;
    if (!o.kld.empty()) {
        // The base decides the chunking; a different -c or --chunks is a mistake, not a choice.
        reader = std::make_unique<KldBaseReader>(o.kld);
        const KldHeader &h = reader->header();
        const std::string from = "the KL-divergence base '" + o.kld + "' (" + h.model + ")";
        if (static_cast<int32_t>(h.n_ctx) != o.n_ctx) {
            throw std::runtime_error(from + " was computed with -c " + std::to_string(h.n_ctx) +
                                     ", not " + std::to_string(o.n_ctx));
        }
        if (o.n_chunks >= 0 && o.n_chunks != static_cast<int32_t>(h.n_chunks)) {
            throw std::runtime_error(from + " holds " + std::to_string(h.n_chunks) +
                                     " chunks, not --chunks " + std::to_string(o.n_chunks));
        }
        if (static_cast<int32_t>(h.n_vocab) != llmrt_model_n_vocab(model.get())) {
            throw std::runtime_error(from + " has a vocabulary of " + std::to_string(h.n_vocab) +
                                     " tokens, this model " +
                                     std::to_string(llmrt_model_n_vocab(model.get())));
        }
        o.n_chunks = static_cast<int32_t>(h.n_chunks);
    }

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
    context_options.kv_type = o.kv_type;
    context_options.logits_all = true;
    ContextPtr ctx = create_context(model.get(), context_options);
    if (llmrt_context_n_ctx(ctx.get()) < o.n_ctx) {
        throw std::runtime_error("the context holds only " +
                                 std::to_string(llmrt_context_n_ctx(ctx.get())) + " tokens, not " +
                                 std::to_string(o.n_ctx));
    }
    CancelOnInterrupt cancel_on_ctrl_c(ctx.get());

    // The ids as evaluated (BOS at each chunk's start), which the base file's hash covers.
    std::vector<llmrt_token> evaluated(tokens.begin(), tokens.begin() + n_chunk * o.n_ctx);
    if (llmrt_model_bos(model.get()) >= 0) {
        for (int64_t i = 0; i < n_chunk; ++i) evaluated[static_cast<size_t>(i * o.n_ctx)] = llmrt_model_bos(model.get());
    }
    const uint64_t token_hash = hash_tokens(evaluated.data(), evaluated.size());
    std::unique_ptr<KldBaseWriter> writer;
    KldStats kld_stats;
    if (reader) {
        const KldHeader &h = reader->header();
        if (h.n_chunks > n_chunk || h.token_hash != token_hash || h.n_tokens != tokens.size()) {
            throw std::runtime_error("the KL-divergence base '" + o.kld + "' (" + h.model +
                                     ") was computed on other tokens (its text had " + std::to_string(h.n_tokens) +
                                     " tokens, this one has " + std::to_string(tokens.size()) +
                                     "): a different text file or tokenizer");
        }
    }
    if (!o.kld_base.empty()) {
        KldHeader h;
        h.n_ctx = static_cast<uint32_t>(o.n_ctx);
        h.n_vocab = static_cast<uint32_t>(llmrt_model_n_vocab(model.get()));
        h.n_chunks = static_cast<uint32_t>(n_chunk);
        h.n_tokens = tokens.size();
        h.token_hash = token_hash;
        h.model = o.model_path + " (" + llmrt_model_weight_type(model.get()) + ")";
        writer = std::make_unique<KldBaseWriter>(o.kld_base, h);
    }
    const KldSink sink{writer.get(), reader.get(), &kld_stats};

    if (!o.json) {
        std::fprintf(stderr, "perplexity: %zu tokens, %lld chunks of %d, batch %d\n", tokens.size(),
                     static_cast<long long>(n_chunk), o.n_ctx, context_options.n_batch);
    }
    NllStats stats;
    double decode_seconds = 0.0;
    for (int64_t i = 0; i < n_chunk; ++i) {
        const auto begin = tokens.begin() + i * o.n_ctx;
        decode_seconds +=
            score_chunk(ctx.get(), model.get(), std::vector<llmrt_token>(begin, begin + o.n_ctx), &stats, sink);
        if (!o.json) {
            std::printf("[%lld]%.4f,", static_cast<long long>(i + 1), stats.ppl());
            std::fflush(stdout);
        }
    }
    const double tokens_per_second = static_cast<double>(n_chunk * o.n_ctx) / decode_seconds;
    if (writer) {
        writer->finish();
    }
    if (reader) {
        print_kld(summarize(std::move(kld_stats)), o, n_chunk, llmrt_model_weight_type(model.get()));
        return 0;
    }

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
