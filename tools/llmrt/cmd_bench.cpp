// llmrt bench: prompt-processing and generation speed, like llama-bench, plus how close decode
// comes to the memory bandwidth measured in the same run (decode reads every weight once per
// token, so the bytes a token reads (llmrt_model_decode_read_bytes: every weight but the
// embedding table) x tokens/s is the bandwidth it achieves). --weight-dtype f32,int8,int4
// quantizes the model in memory once per type and compares each type's speed with f32's.
// --profile adds, per row, where the time of a decode and a prefill step goes, op by op.
// --parallel 1,2,4,8 runs N sequences of one context together (llmrt_decode_multi): one weight
// read serves N tokens, and the generation figure is the aggregate over the N sequences.
#include "args.h"
#include "bandwidth.h"
#include "interrupt.h"
#include "library.h"
#include "output.h"
#include "quant_flags.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <sys/resource.h>
#include <thread>
#include <vector>

namespace cli {

namespace {

using Clock = std::chrono::steady_clock;

struct BenchOptions {
    std::string model_path;
    std::string synthetic;
    int32_t n_prompt = 128;
    int32_t n_gen = 64;
    int32_t reps = 5;
    std::vector<int32_t> threads;
    uint64_t seed = 42;
    bool skip_bandwidth = false;
    QuantFlags quant;
    bool json = false;
    bool tensor_parallel = false;
    bool profile = false;
    std::vector<int32_t> parallel = {1};
};

// What one repetition measured.
struct RepTimes {
    double prefill_seconds = 0.0;
    double gen_seconds = 0.0; // sum over the single-token decodes
};

struct MeanSd {
    double mean = 0.0;
    double stddev = 0.0; // sample standard deviation; 0 for a single value
};

MeanSd mean_sd(const std::vector<double> &values) {
    MeanSd r;
    if (values.empty()) {
        return r;
    }
    for (double v : values) {
        r.mean += v;
    }
    r.mean /= static_cast<double>(values.size());
    if (values.size() > 1) {
        double ss = 0.0;
        for (double v : values) {
            ss += (v - r.mean) * (v - r.mean);
        }
        r.stddev = std::sqrt(ss / static_cast<double>(values.size() - 1));
    }
    return r;
}

struct Row {
    std::string weight_dtype; // the --weight-dtype entry; "" when none was given
    std::string weight_type;  // as the library names the loaded model's weights
    std::string architecture;
    uint64_t weight_bytes = 0;
    uint64_t decode_read_bytes = 0; // what one decoded token reads (not the embedding table)
    uint64_t n_params = 0;
    int32_t n_threads = 0;
    int32_t parallel = 1; // sequences decoded together
    MeanSd prompt_tps;
    MeanSd gen_tps;
    MeanSd first_token_ms;
    MeanSd per_token_ms;
    double achieved_gbps = 0.0;
    double bandwidth_gbps = 0.0; // 0 when the probe was skipped
    uint64_t peak_rss_bytes = 0;
    // Speed relative to the f32 row with the same thread count; 0 when there is none.
    double prompt_vs_f32 = 0.0;
    double gen_vs_f32 = 0.0;
    json profile; // llmrt_context_profile_json of the profiled repetition; null without --profile
};

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

llmrt_token argmax(const float *logits, int32_t n_vocab) {
    llmrt_token best = 0;
    for (int32_t i = 1; i < n_vocab; ++i) {
        if (logits[i] > logits[best]) {
            best = i;
        }
    }
    return best;
}

void decode_or_throw(llmrt_context *ctx, const llmrt_token *tokens, int32_t n) {
    const llmrt_status status = llmrt_decode(ctx, tokens, n);
    if (status == LLMRT_CANCELLED && interrupt_requested()) {
        throw Interrupted();
    }
    check(status, "decode failed");
}

// Any id in [0, n_vocab) is a valid input; speed does not depend on which.
std::vector<llmrt_token> random_prompt(std::mt19937_64 &rng, int32_t n, int32_t n_vocab) {
    std::uniform_int_distribution<llmrt_token> pick(0, n_vocab - 1);
    std::vector<llmrt_token> tokens(static_cast<size_t>(n));
    for (auto &t : tokens) {
        t = pick(rng);
    }
    return tokens;
}

// One repetition: a fresh sequence, the prompt in one llmrt_decode, then n_gen greedy tokens.
RepTimes run_rep(llmrt_context *ctx, int32_t n_vocab, const std::vector<llmrt_token> &prompt,
                 int32_t n_gen) {
    RepTimes times;
    llmrt_context_reset(ctx);
    throw_if_interrupted(); // reset clears a pending cancel

    auto start = Clock::now();
    decode_or_throw(ctx, prompt.data(), static_cast<int32_t>(prompt.size()));
    times.prefill_seconds = seconds_since(start);

    llmrt_token next = argmax(llmrt_get_logits(ctx), n_vocab);
    for (int32_t i = 0; i < n_gen; ++i) {
        start = Clock::now();
        decode_or_throw(ctx, &next, 1);
        times.gen_seconds += seconds_since(start);
        next = argmax(llmrt_get_logits(ctx), n_vocab);
    }
    return times;
}

void decode_multi_or_throw(llmrt_context *ctx, const std::vector<llmrt_token> &tokens,
                           const std::vector<int32_t> &seq_ids) {
    const llmrt_status status =
        llmrt_decode_multi(ctx, tokens.data(), seq_ids.data(), static_cast<int32_t>(tokens.size()));
    if (status == LLMRT_CANCELLED && interrupt_requested()) {
        throw Interrupted();
    }
    check(status, "decode failed");
}

// One repetition with n_seq sequences: their prompts (one per sequence, one after the other)
// in one llmrt_decode_multi, then n_gen steps of one greedy token per sequence, all in one call.
// The times cover all sequences: tokens/s are aggregates.
RepTimes run_parallel_rep(llmrt_context *ctx, int32_t n_vocab,
                          const std::vector<llmrt_token> &prompts, int32_t n_seq, int32_t n_gen) {
    RepTimes times;
    llmrt_context_reset(ctx);
    throw_if_interrupted();
    const int32_t n_prompt = static_cast<int32_t>(prompts.size()) / n_seq;
    std::vector<int32_t> seq_ids(prompts.size());
    for (size_t i = 0; i < seq_ids.size(); ++i) {
        seq_ids[i] = static_cast<int32_t>(i) / n_prompt;
    }
    auto start = Clock::now();
    decode_multi_or_throw(ctx, prompts, seq_ids);
    times.prefill_seconds = seconds_since(start);

    std::vector<llmrt_token> next(static_cast<size_t>(n_seq));
    std::vector<int32_t> step_seqs(static_cast<size_t>(n_seq));
    for (int32_t s = 0; s < n_seq; ++s) {
        next[s] = argmax(llmrt_get_logits_ith(ctx, (s + 1) * n_prompt - 1), n_vocab);
        step_seqs[s] = s;
    }
    for (int32_t i = 0; i < n_gen; ++i) {
        start = Clock::now();
        decode_multi_or_throw(ctx, next, step_seqs);
        times.gen_seconds += seconds_since(start);
        for (int32_t s = 0; s < n_seq; ++s) {
            next[s] = argmax(llmrt_get_logits_ith(ctx, s), n_vocab);
        }
    }
    return times;
}

// A repetition of the row's kind: the single-sequence path (llmrt_decode) for one sequence.
RepTimes run_any_rep(llmrt_context *ctx, int32_t n_vocab, std::mt19937_64 &rng, int32_t n_prompt,
                     int32_t n_seq, int32_t n_gen) {
    if (n_seq == 1) {
        return run_rep(ctx, n_vocab, random_prompt(rng, n_prompt, n_vocab), n_gen);
    }
    return run_parallel_rep(ctx, n_vocab, random_prompt(rng, n_prompt * n_seq, n_vocab), n_seq, n_gen);
}

// One more repetition with per-op profiling on. It runs after the measured ones, so the clock
// reads around every op never reach the headline figures. Returns the library's profile.
json profiled_rep(llmrt_context *ctx, int32_t n_vocab, std::mt19937_64 &rng, int32_t n_prompt,
                  int32_t n_seq, int32_t n_gen) {
    check(llmrt_context_set_profiling(ctx, 1), "enabling profiling failed");
    run_any_rep(ctx, n_vocab, rng, n_prompt, n_seq, n_gen);
    const char *text = nullptr;
    check(llmrt_context_profile_json(ctx, &text), "reading the profile failed");
    json profile = json::parse(text);
    check(llmrt_context_set_profiling(ctx, 0), "disabling profiling failed");
    return profile;
}

// The peak resident set since the last reset_peak_rss() (VmHWM), else since the process started.
uint64_t peak_rss_bytes() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.compare(0, 6, "VmHWM:") == 0) {
            return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024; // "VmHWM:   1234 kB"
        }
    }
    struct rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<uint64_t>(usage.ru_maxrss) * 1024; // Linux reports KiB
}

// Restarts the peak (Linux >= 4.0; ignored elsewhere), so the rows of each weight type report the
// memory of that type's model and its quantization, not the largest model before it.
void reset_peak_rss() {
    std::ofstream clear_refs("/proc/self/clear_refs");
    clear_refs << "5";
}

// The probe result per thread count: it describes the machine, not the model, so one
// measurement serves every weight type.
using BandwidthCache = std::map<int32_t, double>;

Row bench_threads(llmrt_model *model, const BenchOptions &o, int32_t n_threads, int32_t n_seq,
                  BandwidthCache *bandwidth) {
    ContextOptions context_options;
    context_options.n_ctx = o.n_prompt + o.n_gen;
    context_options.n_batch = o.n_prompt * n_seq; // every prompt in one evaluation step
    context_options.n_threads = n_threads;
    context_options.n_seq_max = n_seq;
    ContextPtr ctx = create_context(model, context_options);
    if (llmrt_context_n_ctx(ctx.get()) < o.n_prompt + o.n_gen) {
        throw std::runtime_error("the context holds only " +
                                 std::to_string(llmrt_context_n_ctx(ctx.get())) + " tokens");
    }
    CancelOnInterrupt cancel_on_ctrl_c(ctx.get());

    const int32_t n_vocab = llmrt_model_n_vocab(model);
    std::mt19937_64 rng(o.seed);
    // Warm-up, not measured: first touches of weights (page faults for mmap), scratch buffers
    // and thread start-up would otherwise land in the first repetition.
    run_any_rep(ctx.get(), n_vocab, rng, o.n_prompt, n_seq, std::min(o.n_gen, 1));

    std::vector<double> prompt_tps, first_token_ms, gen_tps, per_token_ms;
    for (int32_t rep = 0; rep < o.reps; ++rep) {
        const RepTimes t = run_any_rep(ctx.get(), n_vocab, rng, o.n_prompt, n_seq, o.n_gen);
        prompt_tps.push_back(static_cast<double>(o.n_prompt) * n_seq / t.prefill_seconds);
        first_token_ms.push_back(t.prefill_seconds * 1e3);
        if (o.n_gen > 0) {
            // per_token_ms stays the time of one step (one token of every sequence).
            gen_tps.push_back(static_cast<double>(o.n_gen) * n_seq / t.gen_seconds);
            per_token_ms.push_back(t.gen_seconds * 1e3 / o.n_gen);
        }
    }
    json profile;
    if (o.profile) {
        profile = profiled_rep(ctx.get(), n_vocab, rng, o.n_prompt, n_seq, o.n_gen);
    }

    Row row;
    row.weight_type = llmrt_model_weight_type(model);
    row.architecture = llmrt_model_architecture(model);
    row.weight_bytes = llmrt_model_weight_bytes(model);
    row.decode_read_bytes = llmrt_model_decode_read_bytes(model);
    row.n_params = llmrt_model_n_params(model);
    row.n_threads = n_threads;
    row.parallel = n_seq;
    row.prompt_tps = mean_sd(prompt_tps);
    row.first_token_ms = mean_sd(first_token_ms);
    row.gen_tps = mean_sd(gen_tps);
    row.per_token_ms = mean_sd(per_token_ms);
    // A step reads the weights once for all n_seq tokens.
    row.achieved_gbps =
        static_cast<double>(row.decode_read_bytes) * row.gen_tps.mean / n_seq / 1e9;
    row.peak_rss_bytes = peak_rss_bytes();
    row.profile = std::move(profile);
    if (!o.skip_bandwidth) {
        auto cached = bandwidth->find(n_threads);
        if (cached == bandwidth->end()) {
            BandwidthOptions probe;
            probe.n_threads = n_threads;
            cached = bandwidth->emplace(n_threads, measure_read_bandwidth_gbps(probe)).first;
        }
        row.bandwidth_gbps = cached->second;
    }
    return row;
}

// Fills the "vs f32" ratios from the rows of the f32 entry, matched by thread count.
void compare_with_f32(std::vector<Row> *rows) {
    for (Row &r : *rows) {
        for (const Row &base : *rows) {
            if (base.weight_dtype != "f32" || base.n_threads != r.n_threads || base.parallel != r.parallel) {
                continue;
            }
            r.prompt_vs_f32 = r.prompt_tps.mean / base.prompt_tps.mean;
            if (base.gen_tps.mean > 0.0) {
                r.gen_vs_f32 = r.gen_tps.mean / base.gen_tps.mean;
            }
        }
    }
}

// null where a figure was not measured (no generated tokens, probe skipped).
json maybe(bool measured, double value) { return measured ? json(value) : json(nullptr); }

json row_json(const std::string &source, const BenchOptions &o, const Row &r) {
    const bool has_gen = o.n_gen > 0;
    const bool has_bw = r.bandwidth_gbps > 0.0;
    json row = {
        {"model", source},
        {"architecture", r.architecture},
        {"weight_dtype", r.weight_dtype.empty() ? json(nullptr) : json(r.weight_dtype)},
        {"weight_type", r.weight_type},
        {"n_params", r.n_params},
        {"weight_bytes", r.weight_bytes},
        {"decode_read_bytes", r.decode_read_bytes},
        {"n_threads", r.n_threads},
        {"parallel", r.parallel},
        {"n_prompt", o.n_prompt},
        {"n_gen", o.n_gen},
        {"reps", o.reps},
        {"prompt_tps_mean", r.prompt_tps.mean},
        {"prompt_tps_stddev", r.prompt_tps.stddev},
        {"first_token_ms_mean", r.first_token_ms.mean},
        {"first_token_ms_stddev", r.first_token_ms.stddev},
        {"gen_tps_mean", maybe(has_gen, r.gen_tps.mean)},
        {"gen_tps_stddev", maybe(has_gen, r.gen_tps.stddev)},
        {"per_token_ms_mean", maybe(has_gen, r.per_token_ms.mean)},
        {"per_token_ms_stddev", maybe(has_gen, r.per_token_ms.stddev)},
        {"achieved_gbps", maybe(has_gen, r.achieved_gbps)},
        {"bandwidth_gbps", maybe(has_bw, r.bandwidth_gbps)},
        {"bandwidth_ratio", maybe(has_gen && has_bw, r.achieved_gbps / r.bandwidth_gbps)},
        {"peak_rss_bytes", r.peak_rss_bytes},
        {"prompt_vs_f32", maybe(r.prompt_vs_f32 > 0.0, r.prompt_vs_f32)},
        {"gen_vs_f32", maybe(r.gen_vs_f32 > 0.0, r.gen_vs_f32)},
    };
    if (o.profile) {
        row["profile"] = r.profile;
    }
    return row;
}

// with_vs_f32: add the "vs f32" columns (when --weight-dtype was given); with_parallel: the
// "parallel" column (when --parallel was given).
void print_table(const std::string &source, const BenchOptions &o, const std::vector<Row> &rows,
                 bool with_vs_f32, bool with_parallel) {
    std::vector<std::string> header = {"model", "type", "size", "params", "threads",
                                       "pp" + std::to_string(o.n_prompt) + " t/s",
                                       "tg" + std::to_string(o.n_gen) + " t/s", "first token ms",
                                       "ms/token", "GB/s", "mem GB/s", "ratio", "peak RSS"};
    if (with_vs_f32) {
        header.insert(header.begin() + 7, {"pp vs f32", "tg vs f32"});
    }
    if (with_parallel) {
        header.insert(header.begin() + 5, "parallel");
    }
    Table table(header);
    for (const Row &r : rows) {
        const bool has_gen = o.n_gen > 0;
        const bool has_bw = r.bandwidth_gbps > 0.0;
        const double n_params = static_cast<double>(r.n_params);
        std::vector<std::string> cells = {
            source,
            r.weight_type,
            human_bytes(static_cast<double>(r.weight_bytes)),
            n_params >= 1e9 ? format("%.2f B", n_params / 1e9) : format("%.2f M", n_params / 1e6),
            std::to_string(r.n_threads),
            mean_pm(r.prompt_tps.mean, r.prompt_tps.stddev, 2),
            has_gen ? mean_pm(r.gen_tps.mean, r.gen_tps.stddev, 2) : "-",
            mean_pm(r.first_token_ms.mean, r.first_token_ms.stddev, 2),
            has_gen ? mean_pm(r.per_token_ms.mean, r.per_token_ms.stddev, 3) : "-",
            has_gen ? format("%.2f", r.achieved_gbps) : "-",
            has_bw ? format("%.2f", r.bandwidth_gbps) : "-",
            has_gen && has_bw ? format("%.3f", r.achieved_gbps / r.bandwidth_gbps) : "-",
            human_bytes(static_cast<double>(r.peak_rss_bytes)),
        };
        if (with_vs_f32) {
            cells.insert(cells.begin() + 7,
                         {r.prompt_vs_f32 > 0.0 ? format("%.2fx", r.prompt_vs_f32) : "-",
                          r.gen_vs_f32 > 0.0 ? format("%.2fx", r.gen_vs_f32) : "-"});
        }
        if (with_parallel) {
            cells.insert(cells.begin() + 5, std::to_string(r.parallel));
        }
        table.add_row(cells);
    }
    std::fputs(table.markdown().c_str(), stdout);
}

// One op's cells: calls, milliseconds and share of a step, and for a matmul the bandwidth at
// which it read its weights (bytes is what one call reads).
std::vector<std::string> profile_op_cells(const json &op, double steps, double step_seconds) {
    const std::string name = op.at("op").get<std::string>();
    const double seconds = op.at("seconds").get<double>();
    const double calls = op.at("calls").get<double>();
    const double bytes = op.at("bytes").get<double>();
    const bool is_matmul = name.compare(0, 7, "matmul.") == 0;
    return {name, format("%.4g", calls / steps), format("%.4f", seconds / steps * 1e3),
            format("%.1f%%", 100.0 * seconds / steps / step_seconds),
            is_matmul && seconds > 0.0 ? format("%.2f", bytes * calls / seconds / 1e9) : "-"};
}

// One phase of a profile ("decode" or "prefill"): a table of its ops, the slowest first, then
// the time spent waiting at the thread pool's barriers.
void print_profile_phase(const std::string &title, const json &phase) {
    const double steps = phase.at("steps").get<double>();
    if (steps == 0.0) {
        std::printf("\n%s: no steps\n", title.c_str());
        return;
    }
    const double step_seconds = phase.at("seconds").get<double>() / steps;
    std::printf("\n%s: %.4f ms/step (steps: %.0f, tokens/step: %.4g)\n\n", title.c_str(),
                step_seconds * 1e3, steps, phase.at("tokens").get<double>() / steps);

    std::vector<json> ops(phase.at("ops").begin(), phase.at("ops").end());
    std::stable_sort(ops.begin(), ops.end(), [](const json &a, const json &b) {
        return a.at("seconds").get<double>() > b.at("seconds").get<double>();
    });
    Table table({"op", "calls/step", "ms/step", "share", "GB/s"});
    double timed_seconds = 0.0;
    for (const json &op : ops) {
        table.add_row(profile_op_cells(op, steps, step_seconds));
        timed_seconds += op.at("seconds").get<double>();
    }
    // The rest of the step: the forward pass's own work between the timed ops.
    const double other = std::max(0.0, step_seconds - timed_seconds / steps);
    table.add_row({"(other)", "-", format("%.4f", other * 1e3),
                   format("%.1f%%", 100.0 * other / step_seconds), "-"});
    std::fputs(table.markdown().c_str(), stdout);

    const double wait = phase.at("barrier_wait_seconds").get<double>() / steps;
    std::printf("\nbarrier wait: %.4f ms/step (%.1f%% of the step), pool runs: %.4g/step\n",
                wait * 1e3, 100.0 * wait / step_seconds, phase.at("pool_runs").get<double>() / steps);
}

void print_profiles(const std::string &source, const std::vector<Row> &rows) {
    for (const Row &r : rows) {
        if (r.profile.is_null()) {
            continue;
        }
        const std::string row_name = source + " " + r.weight_type + ", " + std::to_string(r.n_threads) +
                                     (r.n_threads == 1 ? " thread" : " threads");
        print_profile_phase(row_name + ", decode", r.profile.at("decode"));
        print_profile_phase(row_name + ", prefill", r.profile.at("prefill"));
    }
}

std::string model_name(const BenchOptions &o) {
    if (!o.synthetic.empty()) {
        return "synthetic:" + o.synthetic;
    }
    std::string path = o.model_path;
    while (path.size() > 1 && path.back() == '/') {
        path.pop_back(); // a Hugging Face directory given as "dir/"
    }
    const size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

} // namespace

int run_bench(int argc, char **argv) {
    BenchOptions o;
    const int32_t n_cores = static_cast<int32_t>(std::max(1u, std::thread::hardware_concurrency()));
    o.threads = {n_cores};
    ArgParser args("bench", "-m PATH | --synthetic NAME [-p 128] [-n 64] [-t 1,2] [-r 5] [--weight-dtype f32,int8,int4 ...] [--profile] [--json]",
                   "Measures prompt processing (one decode of -p random tokens) and generation "
                   "(-n single-token greedy decodes), mean ± stddev over -r repetitions, one row "
                   "per thread count, with the machine's read bandwidth measured in the same run. "
                   "With --weight-dtype, one row per type and thread count, each type's speed "
                   "compared with the f32 row of the same thread count (\"vs f32\").");
    args.string("-m", "--model", "PATH", "model: GGUF file, llmrt file or Hugging Face directory",
                &o.model_path);
    const std::string synthetic_help = synthetic_shapes_help();
    args.string(nullptr, "--synthetic", "NAME", synthetic_help.c_str(), &o.synthetic);
    args.integer("-p", "--n-prompt", "N", "prompt tokens", &o.n_prompt, 1, 1 << 20);
    args.integer("-n", "--n-gen", "N", "generated tokens", &o.n_gen, 0, 1 << 20);
    args.integer_list("-t", "--threads", "N[,N...]", "thread counts, one row each", &o.threads, 1, LLMRT_MAX_THREADS);
    args.integer_list(nullptr, "--parallel", "N[,N...]",
                      "sequences decoded together in one context, one row each: t/s are then "
                      "aggregates over the sequences (ms/token is one step of all of them)",
                      &o.parallel, 1, LLMRT_MAX_SEQUENCES);
    args.integer("-r", "--repetitions", "N", "repetitions per row", &o.reps, 1, 1 << 20);
    args.uint64(nullptr, "--seed", "S", "seed for the random prompts and synthetic weights", &o.seed);
    args.flag(nullptr, "--no-bandwidth", "skip the memory bandwidth probe", &o.skip_bandwidth);
    add_quant_flags(args, &o.quant, QuantFlagUse::LoadList);
    args.flag(nullptr, "--profile",
              "after the measured repetitions, one more with per-op timing: tables of where a "
              "decode and a prefill step spend their time (\"profile\" with --json)",
              &o.profile);
    args.flag(nullptr, "--json", "print a JSON list, one object per row", &o.json);
    add_tensor_parallel_flag(args, &o.tensor_parallel);
    if (!args.parse(argc, argv)) {
        return 0;
    }
    if (args.given("--model") == args.given("--synthetic")) {
        throw UsageError("give exactly one of -m/--model and --synthetic");
    }
    const std::vector<QuantSettings> types = quant_settings(args, o.quant, QuantFlagUse::LoadList);

    const std::string source = model_name(o);
    std::vector<Row> rows;
    BandwidthCache bandwidth;
    for (const QuantSettings &quant : types) {
        // One model at a time: the next type is built from the file (or seed) again, so memory
        // holds a single copy of the weights.
        if (types.size() > 1) {
            reset_peak_rss();
        }
        QuantSettings loaded = quant;
        loaded.tensor_parallel = o.tensor_parallel;
        ModelPtr model = open_model(o.model_path, o.synthetic, o.seed, loaded);
        for (int32_t n_threads : o.threads) {
            for (int32_t n_seq : o.parallel) {
                rows.push_back(bench_threads(model.get(), o, n_threads, n_seq, &bandwidth));
                rows.back().weight_dtype = quant.weight_dtype;
            }
        }
    }
    compare_with_f32(&rows);

    if (o.json) {
        json list = json::array();
        for (const Row &r : rows) {
            list.push_back(row_json(source, o, r));
        }
        print_json(list);
    } else {
        print_table(source, o, rows, args.given("--weight-dtype"), args.given("--parallel"));
        print_profiles(source, rows);
    }
    return 0;
}

} // namespace cli
