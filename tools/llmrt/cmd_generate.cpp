// llmrt generate: continues a prompt. Text mode streams each piece to stdout as it is produced;
// --json prints one object at the end with the text, every token id and why generation stopped.
// --beams N runs a beam search instead (Hugging Face generate's num_beams, length_penalty,
// early_stopping, num_return_sequences) and prints the best hypotheses at the end.
#include "args.h"
#include "interrupt.h"
#include "library.h"
#include "output.h"
#include "quant_flags.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace cli {

namespace {

struct GenerateOptions {
    std::string model_path;
    std::string synthetic;
    std::string prompt;
    int32_t n_predict = 128;
    int32_t n_threads = 0;
    std::string kv_type;
    int32_t n_ctx = 0;
    bool ignore_eos = false;
    // StreamingLLM: --keep/--discard alone re-evaluate, --shift-roped-k re-rotates.
    int32_t n_keep = 0;
    int32_t n_discard = 0;
    int32_t shift_mode = LLMRT_SHIFT_OFF;
    QuantFlags quant;
    bool json = false;
    bool tensor_parallel = false;
    llmrt_sampler_params sampling{};
    std::string logit_bias_text;
    std::vector<llmrt_logit_bias> logit_bias;  // sampling.logit_bias points here
    int32_t beams = 0;                         // 0: sample; N >= 1: beam search with N beams
    float length_penalty = 1.0f;
    bool early_stopping = false;
    bool early_stopping_never = false;
    int32_t num_return = 1;
};

// "ID=BIAS[,ID=BIAS...]", BIAS a number or -inf. Ids are checked against the vocabulary by the
// library, which names a bad one.
std::vector<llmrt_logit_bias> parse_logit_bias(const std::string &text) {
    std::vector<llmrt_logit_bias> entries;
    size_t begin = 0;
    while (begin <= text.size()) {
        const size_t end = std::min(text.find(',', begin), text.size());
        const std::string item = text.substr(begin, end - begin);
        const size_t eq = item.find('=');
        const std::string bad = "--logit-bias: '" + item + "' is not ID=BIAS (BIAS a number or -inf)";
        if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) throw UsageError(bad);
        char *id_end = nullptr, *bias_end = nullptr;
        const long long id = std::strtoll(item.c_str(), &id_end, 10);
        const float bias = std::strtof(item.c_str() + eq + 1, &bias_end);
        if (id_end != item.c_str() + eq || *bias_end != '\0' || id < 0 || id > INT32_MAX || std::isnan(bias) ||
            bias == INFINITY)
            throw UsageError(bad);
        entries.push_back({static_cast<llmrt_token>(id), bias});
        begin = end + 1;
    }
    return entries;
}

SamplerPtr create_sampler(const llmrt_sampler_params &params) {
    llmrt_sampler *sampler = nullptr;
    check(llmrt_sampler_create(&params, &sampler), "cannot create sampler");
    return SamplerPtr(sampler);
}

llmrt_generate_params generate_params(const GenerateOptions &o) {
    llmrt_generate_params params;
    llmrt_generate_params_init(&params);
    params.max_new_tokens = o.n_predict;
    params.stop_at_eos = o.ignore_eos ? 0 : 1;
    if (o.shift_mode != LLMRT_SHIFT_OFF) {
        params.shift_mode = o.shift_mode;
        params.n_keep = o.n_keep;
        params.n_discard = o.n_discard;
    }
    return params;
}

// The time each token took (sampling and evaluating it), split by whether a StreamingLLM shift
// happened on the way: n_past goes down then. The first token is left out (it follows the prompt).
class ShiftTimings {
public:
    explicit ShiftTimings(llmrt_context *ctx) : ctx_(ctx), last_past_(llmrt_context_n_past(ctx)) {}

    void token_done() {
        const Clock::time_point now = Clock::now();
        const int32_t past = llmrt_context_n_past(ctx_);
        if (started_) {
            const double seconds = std::chrono::duration<double>(now - last_).count();
            Totals &t = past < last_past_ ? shift_ : plain_;
            t.seconds += seconds;
            ++t.tokens;
        }
        started_ = true;
        last_ = now;
        last_past_ = past;
    }

    // One line on stderr; nothing when no shift happened.
    void report(const GenerateOptions &o) const {
        if (o.shift_mode == LLMRT_SHIFT_OFF || shift_.tokens == 0) {
            return;
        }
        const double plain_ms = plain_.tokens ? 1e3 * plain_.seconds / plain_.tokens : 0.0;
        const double shift_ms = 1e3 * shift_.seconds / shift_.tokens;
        const double total_tokens = static_cast<double>(plain_.tokens + shift_.tokens);
        std::fprintf(stderr,
                     "llmrt generate: %ld shifts (%s): %.2f ms per token that shifted, %.2f ms per other token; "
                     "%.2f tokens/s overall, %.2f without the shifts\n",
                     shift_.tokens, o.shift_mode == LLMRT_SHIFT_ROPED_K ? "shift_roped_k" : "re-evaluate", shift_ms,
                     plain_ms, total_tokens / (plain_.seconds + shift_.seconds),
                     plain_.tokens ? plain_.tokens / plain_.seconds : 0.0);
    }

private:
    using Clock = std::chrono::steady_clock;
    struct Totals {
        double seconds = 0.0;
        long tokens = 0;
    };
    llmrt_context *ctx_;
    int32_t last_past_;
    bool started_ = false;
    Clock::time_point last_;
    Totals plain_, shift_;
};

// Streams each piece to stdout as it comes, over the generation handle (which also says why it
// ended).
int stream_text(llmrt_context *ctx, llmrt_sampler *sampler, const GenerateOptions &o) {
    const llmrt_generate_params params = generate_params(o);
    llmrt_generation *gen = nullptr;
    const llmrt_status created = llmrt_generation_create(ctx, sampler, o.prompt.c_str(), &params, &gen);
    if (created == LLMRT_CANCELLED && interrupt_requested()) {
        throw Interrupted();
    }
    check(created, "generation failed");
    const llmrt::generation_ptr gen_owner(gen);
    ShiftTimings timings(ctx);
    bool write_failed = false;
    llmrt_status status = LLMRT_OK;
    while (true) {
        const char *piece = nullptr;
        size_t len = 0;
        llmrt_token token = -1;
        status = llmrt_generation_next(gen, &piece, &len, &token);
        if (status != LLMRT_OK) {
            break;
        }
        // Flushing every piece is the point of streaming: the reader sees tokens as they come.
        if (std::fwrite(piece, 1, len, stdout) != len || std::fflush(stdout) != 0) {
            write_failed = true; // stop generating: nobody is reading
            break;
        }
        if (token >= 0) { // a last flush of held-back text comes with token -1
            timings.token_done();
        }
    }
    std::fputc('\n', stdout);
    std::fflush(stdout);
    if (status == LLMRT_CANCELLED && interrupt_requested()) {
        throw Interrupted();
    }
    if (write_failed) {
        std::fprintf(stderr, "llmrt generate: error: cannot write to stdout\n");
        return 1;
    }
    if (status != LLMRT_END_OF_GENERATION) {
        check(status, "generation failed");
    }
    timings.report(o);
    if (llmrt_generation_stop_code(gen) == LLMRT_STOP_CONTEXT_FULL) {
        std::fprintf(stderr, "llmrt generate: stopped: the context window (%d tokens) is full\n",
                     llmrt_context_n_ctx(ctx));
    }
    return 0;
}

// JSON mode uses the pull API: llmrt_generate's callback runs per piece, and a token that ends
// inside a UTF-8 character produces no piece, so only llmrt_generation_next sees every token id.
int generate_json(llmrt_model *model, llmrt_context *ctx, llmrt_sampler *sampler,
                  const GenerateOptions &o) {
    const llmrt_generate_params params = generate_params(o);
    const size_t n_prompt = tokenize(model, o.prompt, params.add_special != 0).size();
    llmrt_generation *gen = nullptr;
    check(llmrt_generation_create(ctx, sampler, o.prompt.c_str(), &params, &gen), "generation failed");
    const llmrt::generation_ptr gen_owner(gen);

    std::string text;
    std::vector<llmrt_token> tokens;
    int32_t reason = LLMRT_STOP_NONE;
    ShiftTimings timings(ctx);
    while (true) {
        const char *piece = nullptr;
        size_t len = 0;
        llmrt_token token = -1;
        const llmrt_status status = llmrt_generation_next(gen, &piece, &len, &token);
        if (status == LLMRT_OK) {
            text.append(piece, len);
            if (token >= 0) { // a last flush of held-back text comes with token -1
                tokens.push_back(token);
                timings.token_done();
            }
            continue;
        }
        if (status == LLMRT_END_OF_GENERATION) {
            reason = llmrt_generation_stop_code(gen);
            timings.report(o);
        } else if (status == LLMRT_CANCELLED && interrupt_requested()) {
            reason = LLMRT_STOP_CANCELLED;
        } else {
            check(status, "generation failed");
        }
        break;
    }
    print_json({
        {"text", text},
        {"tokens", tokens},
        {"n_prompt", n_prompt},
        {"n_generated", tokens.size()},
        {"stop_reason", llmrt_stop_reason_name(reason)},
    });
    return reason == LLMRT_STOP_CANCELLED ? 130 : 0;
}

// The search, then each returned hypothesis: its text (and score when there are several), or
// with --json one object listing them best first.
int beam_search(llmrt_model *model, llmrt_context *ctx, const GenerateOptions &o) {
    llmrt_beam_params params;
    llmrt_beam_params_init(&params);
    params.num_beams = o.beams;
    params.num_return_sequences = o.num_return;
    params.max_new_tokens = o.n_predict;
    params.length_penalty = o.length_penalty;
    params.early_stopping = o.early_stopping_never ? LLMRT_EARLY_STOPPING_NEVER
                            : o.early_stopping     ? LLMRT_EARLY_STOPPING_TRUE
                                                   : LLMRT_EARLY_STOPPING_FALSE;
    params.stop_at_eos = o.ignore_eos ? 0 : 1;
    llmrt_beam_results *raw = nullptr;
    const llmrt_status status = llmrt_beam_search_text(ctx, o.prompt.c_str(), 1, &params, &raw);
    if (status == LLMRT_CANCELLED && interrupt_requested()) {
        throw Interrupted();
    }
    check(status, "beam search failed");
    const llmrt::beam_results_ptr results(raw);
    json list = json::array();
    for (int32_t i = 0; i < llmrt_beam_results_count(raw); ++i) {
        int32_t n = 0;
        const llmrt_token *ids = llmrt_beam_results_tokens(raw, i, &n);
        std::string text;
        for (int32_t j = 0; j < n; ++j) {
            text += token_piece(model, ids[j]);
        }
        const double score = llmrt_beam_results_score(raw, i);
        if (o.json) {
            list.push_back({{"text", text}, {"tokens", std::vector<llmrt_token>(ids, ids + n)}, {"score", score}});
        } else if (o.num_return > 1) {
            std::printf("[%d] score %.6f: %s\n", i, score, text.c_str());
        } else {
            std::printf("%s\n", text.c_str());
        }
    }
    if (o.json) {
        print_json({{"n_prompt", tokenize(model, o.prompt, true).size()}, {"beams", list}});
    }
    return 0;
}

} // namespace

int run_generate(int argc, char **argv) {
    GenerateOptions o;
    llmrt_sampler_params_init(&o.sampling);
    ArgParser args("generate", "-m PATH | --synthetic NAME, -p TEXT [-n N] [sampling options | --beams N [--length-penalty X] [--early-stopping] [--num-return N]] [-t THREADS] [-c CTX] [--keep N] [--discard N] [--shift-roped-k] [--weight-dtype T ...] [--json]",
                   "Continues TEXT and streams the generated text (not the prompt) to stdout. "
                   "Ctrl-C stops cleanly. --temp 0 is greedy.");
    args.string("-m", "--model", "PATH", "model: GGUF file, llmrt file or Hugging Face directory",
                &o.model_path);
    const std::string synthetic_help = synthetic_shapes_help() + " instead of -m (for speed trials)";
    args.string(nullptr, "--synthetic", "NAME", synthetic_help.c_str(), &o.synthetic);
    args.string("-p", "--prompt", "TEXT", "prompt (BOS is added)", &o.prompt);
    args.integer("-n", "--n-predict", "N", "most tokens to generate", &o.n_predict, 0, 1 << 30);
    args.number(nullptr, "--temp", "T", "temperature; 0 = greedy", &o.sampling.temperature, 0.0, 100.0);
    args.integer(nullptr, "--top-k", "K", "top-k; 0 = off", &o.sampling.top_k, 0, 1 << 30);
    args.number(nullptr, "--top-p", "P", "top-p; 1 = off", &o.sampling.top_p, 0.0, 1.0);
    args.number(nullptr, "--min-p", "P", "min-p; 0 = off", &o.sampling.min_p, 0.0, 1.0);
    args.number(nullptr, "--repeat-penalty", "R", "repetition penalty; 1 = off",
                &o.sampling.repetition_penalty, 0.0, 100.0);
    args.integer(nullptr, "--repeat-last-n", "N",
                 "picked tokens the repetition, presence and frequency penalties look at",
                 &o.sampling.repetition_last_n, 0, 1 << 30);
    args.number(nullptr, "--presence-penalty", "X", "subtracted once from each token in the repeat window; 0 = off",
                &o.sampling.presence_penalty, -100.0, 100.0);
    args.number(nullptr, "--frequency-penalty", "X", "subtracted per occurrence in the repeat window; 0 = off",
                &o.sampling.frequency_penalty, -100.0, 100.0);
    args.integer(nullptr, "--no-repeat-ngram-size", "N", "ban tokens repeating an N-gram of prompt+output; 0 = off",
                 &o.sampling.no_repeat_ngram_size, 0, 1 << 30);
    args.integer(nullptr, "--no-repeat-ngram", "N", "the same as --no-repeat-ngram-size", &o.sampling.no_repeat_ngram_size,
                 0, 1 << 30);
    args.string(nullptr, "--logit-bias", "ID=BIAS[,...]", "add BIAS to token ID's logit; -inf bans it",
                &o.logit_bias_text);
    args.uint64(nullptr, "--seed", "S", "sampling seed; the default picks one from the clock (0 with --tensor-parallel)",
                &o.sampling.seed);
    args.integer("-t", "--threads", "N", "threads; 0 = all cores", &o.n_threads, 0, LLMRT_MAX_THREADS);
    add_kv_type_flag(args, &o.kv_type);
    args.integer("-c", "--ctx-size", "N", "context window; 0 = the model's (capped)", &o.n_ctx, 0,
                 1 << 24);
    args.flag(nullptr, "--ignore-eos", "keep generating after end-of-sequence", &o.ignore_eos);
    llmrt_generate_params defaults;
    llmrt_generate_params_init(&defaults);
    o.n_keep = defaults.n_keep;
    o.n_discard = defaults.n_discard;
    bool shift_roped_k = false;
    args.integer(nullptr, "--keep", "N",
                 "StreamingLLM: when the window is full keep the first N tokens (-1 = the whole prompt) and go on; "
                 "alone: re-evaluate",
                 &o.n_keep, -1, 1 << 24);
    args.integer(nullptr, "--discard", "N",
                 "StreamingLLM: tokens dropped after the kept ones at each shift (-1 = half the rest)",
                 &o.n_discard, -1, 1 << 24);
    args.flag(nullptr, "--shift-roped-k",
              "StreamingLLM without recomputation: move the cache and re-rotate its keys (RoPE/ALiBi models)",
              &shift_roped_k);
    args.integer(nullptr, "--beams", "N", "beam search with N beams instead of sampling (HF num_beams)", &o.beams, 1,
                 LLMRT_MAX_SEQUENCES);
    args.number(nullptr, "--length-penalty", "X",
                "beam search: a finished score is its log-probability / length^X (default 1)", &o.length_penalty,
                -100.0, 100.0);
    args.flag(nullptr, "--early-stopping", "beam search: stop once N hypotheses are finished (HF True)",
              &o.early_stopping);
    args.flag(nullptr, "--early-stopping-never",
              "beam search: judge running beams at the full length (HF \"never\")", &o.early_stopping_never);
    args.integer(nullptr, "--num-return", "N", "beam search: hypotheses to print, best first (at most --beams)",
                 &o.num_return, 1, LLMRT_MAX_SEQUENCES);
    add_quant_flags(args, &o.quant, QuantFlagUse::Load);
    args.flag(nullptr, "--json", "print one JSON object at the end instead of streaming", &o.json);
    add_tensor_parallel_flag(args, &o.tensor_parallel);
    if (!args.parse(argc, argv)) {
        return 0;
    }
    if (args.given("--model") == args.given("--synthetic")) {
        throw UsageError("give exactly one of -m/--model and --synthetic");
    }
    args.require("--prompt");
    if (shift_roped_k) {
        o.shift_mode = LLMRT_SHIFT_ROPED_K;
    } else if (args.given("--keep") || args.given("--discard")) {
        o.shift_mode = LLMRT_SHIFT_REEVALUATE;
    }
    if (o.shift_mode != LLMRT_SHIFT_OFF && args.given("--beams")) {
        throw UsageError("--keep/--discard/--shift-roped-k do not apply to --beams");
    }
    for (const char *beam_only : {"--length-penalty", "--early-stopping", "--early-stopping-never", "--num-return"}) {
        if (args.given(beam_only) && !args.given("--beams")) {
            throw UsageError(std::string(beam_only) + " needs --beams");
        }
    }
    if (args.given("--logit-bias")) {
        o.logit_bias = parse_logit_bias(o.logit_bias_text);
        o.sampling.logit_bias = o.logit_bias.data();
        o.sampling.n_logit_bias = static_cast<int32_t>(o.logit_bias.size());
    }
    QuantSettings quant = quant_settings(args, o.quant, QuantFlagUse::Load).front();
    quant.tensor_parallel = o.tensor_parallel;
    if (o.tensor_parallel && !args.given("--seed")) {
        // The ranks sample independently, so they need one seed; a clock's would differ.
        o.sampling.seed = 0;
    }

    ModelPtr model = open_model(o.model_path, o.synthetic, 42, quant);
    ContextOptions context_options;
    context_options.n_ctx = o.n_ctx;
    context_options.n_threads = o.n_threads;
    context_options.kv_type = o.kv_type;
    context_options.n_seq_max = std::max(o.beams, 1);
    ContextPtr ctx = create_context(model.get(), context_options);
    if (o.beams > 0) {
        CancelOnInterrupt cancel_on_ctrl_c(ctx.get());
        return beam_search(model.get(), ctx.get(), o);
    }
    SamplerPtr sampler = create_sampler(o.sampling);

    CancelOnInterrupt cancel_on_ctrl_c(ctx.get());
    return o.json ? generate_json(model.get(), ctx.get(), sampler.get(), o)
                  : stream_text(ctx.get(), sampler.get(), o);
}

} // namespace cli
