// llmrt eval: zero-shot accuracy tasks scored through llmrt_score_continuation.
//
// lambada (lambada_openai, a JSONL file with a "text" field per passage), as the common evaluation
// harnesses define it: context = the text up to its last space, target = " " + the last word;
// the target's tokens are the tokens of context + target after those of the context. Accuracy =
// share of passages whose every target token is the greedy choice; perplexity = exp(mean over
// passages of the target's negative log-likelihood).
//
// hellaswag (llama.cpp's text layout: 6 lines per task: context, gold ending index, 4 endings;
// bzip2-compressed or plain), as llama.cpp's perplexity --hellaswag scores it: each ending is
// tokenized with its context (context + " " + ending); the tokens after the four sequences' common
// prefix are the ending's; acc_norm picks the ending with the highest mean log-probability per
// token (acc, the highest total). Tasks are taken in file order (llama.cpp draws them at random).
//
// Every sequence starts with BOS when the model has one. Standard errors: sqrt(p(1-p)/(n-1)) for
// accuracies (the harnesses' sample standard error of the mean); the perplexity's is the standard
// error of the mean NLL scaled by the perplexity.
#include "args.h"
#include "interrupt.h"
#include "library.h"
#include "output.h"
#include "quant_flags.h"

#include <bzlib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

namespace cli {

namespace {

struct EvalOptions {
    std::string task;
    std::string model_path;
    std::string file;
    int32_t limit = -1;
    int32_t n_ctx = 0;
    int32_t n_threads = 0;
    QuantFlags quant;
    bool json = false;
};

// The file's bytes, decompressed when it starts with bzip2's magic "BZh".
std::string read_maybe_bz2(const std::string &path) {
    std::string raw = read_file(path);
    if (raw.compare(0, 3, "BZh") != 0) {
        return raw;
    }
    std::string out;
    bz_stream s;
    std::memset(&s, 0, sizeof s);
    if (BZ2_bzDecompressInit(&s, 0, 0) != BZ_OK) {
        throw std::runtime_error("cannot start bzip2 decompression");
    }
    s.next_in = &raw[0];
    s.avail_in = static_cast<unsigned>(raw.size());
    std::vector<char> buf(1 << 20);
    int rc = BZ_OK;
    while (true) {
        s.next_out = buf.data();
        s.avail_out = static_cast<unsigned>(buf.size());
        rc = BZ2_bzDecompress(&s);
        out.append(buf.data(), buf.size() - s.avail_out);
        if (rc == BZ_STREAM_END) {
            // Concatenated streams (pbzip2): start the next one.
            if (s.avail_in == 0) break;
            const size_t used = raw.size() - s.avail_in;
            BZ2_bzDecompressEnd(&s);
            std::memset(&s, 0, sizeof s);
            if (BZ2_bzDecompressInit(&s, 0, 0) != BZ_OK) throw std::runtime_error("cannot start bzip2 decompression");
            s.next_in = &raw[used];
            s.avail_in = static_cast<unsigned>(raw.size() - used);
            continue;
        }
        if (rc != BZ_OK || (s.avail_in == 0 && s.avail_out != 0)) {
            BZ2_bzDecompressEnd(&s);
            throw std::runtime_error("'" + path + "' is not valid bzip2 data (error " + std::to_string(rc) + ")");
        }
    }
    BZ2_bzDecompressEnd(&s);
    return out;
}

std::vector<std::string> split_lines(const std::string &text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        lines.push_back(line);
    }
    return lines;
}

struct Scorer {
    llmrt_context *ctx;
    int32_t n_ctx;

    // Log-likelihood of cont after prefix; a sequence too long for the context loses tokens from
    // its start, as the harnesses truncate.
    std::pair<double, bool> score(std::vector<llmrt_token> prefix, const std::vector<llmrt_token> &cont) const {
        if (cont.empty()) return {0.0, true};
        if (static_cast<int64_t>(cont.size()) >= n_ctx) {
            throw std::runtime_error("a continuation of " + std::to_string(cont.size()) +
                                     " tokens does not fit in the context of " + std::to_string(n_ctx));
        }
        const int64_t over = static_cast<int64_t>(prefix.size() + cont.size()) - n_ctx;
        if (over > 0) prefix.erase(prefix.begin(), prefix.begin() + over);
        double logprob = 0.0;
        int32_t greedy = 0;
        const llmrt_status status = llmrt_score_continuation(
            ctx, prefix.data(), static_cast<int32_t>(prefix.size()), cont.data(),
            static_cast<int32_t>(cont.size()), &logprob, &greedy);
        if (status == LLMRT_CANCELLED && interrupt_requested()) throw Interrupted();
        check(status, "scoring failed");
        return {logprob, greedy != 0};
    }
};

double accuracy_stderr(double p, int64_t n) {
    return n > 1 ? std::sqrt(p * (1.0 - p) / static_cast<double>(n - 1)) : 0.0;
}

nlohmann::ordered_json run_lambada(const EvalOptions &o, const llmrt_model *model, const Scorer &scorer) {
    const std::vector<std::string> lines = split_lines(read_file(o.file));
    nlohmann::ordered_json examples = nlohmann::ordered_json::array();
    int64_t n = 0, correct = 0;
    double sum_nll = 0.0, sum_nll2 = 0.0;
    for (size_t i = 0; i < lines.size() && (o.limit < 0 || n < o.limit); ++i) {
        if (lines[i].empty()) continue;
        nlohmann::json doc;
        try {
            doc = nlohmann::json::parse(lines[i]);
        } catch (const nlohmann::json::exception &e) {
            throw std::runtime_error("'" + o.file + "' line " + std::to_string(i + 1) + ": " + e.what());
        }
        if (!doc.contains("text") || !doc["text"].is_string()) {
            throw std::runtime_error("'" + o.file + "' line " + std::to_string(i + 1) + " has no \"text\" string");
        }
        const std::string text = doc["text"].get<std::string>();
        const size_t space = text.rfind(' ');
        if (space == std::string::npos) {
            throw std::runtime_error("'" + o.file + "' line " + std::to_string(i + 1) + " has no space before a last word");
        }
        const std::string context = text.substr(0, space);
        const std::string target = text.substr(space);  // " " + last word
        const std::vector<llmrt_token> whole = tokenize(model, context + target, true);
        std::vector<llmrt_token> ctx_tokens = tokenize(model, context, true);
        if (ctx_tokens.size() >= whole.size()) {
            throw std::runtime_error("line " + std::to_string(i + 1) + ": the target adds no tokens");
        }
        const std::vector<llmrt_token> cont(whole.begin() + static_cast<std::ptrdiff_t>(ctx_tokens.size()), whole.end());
        ctx_tokens.assign(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(ctx_tokens.size()));
        const auto [logprob, greedy] = scorer.score(ctx_tokens, cont);
        ++n;
        correct += greedy;
        sum_nll -= logprob;
        sum_nll2 += logprob * logprob;
        examples.push_back({{"logprob", logprob}, {"greedy", greedy}, {"n_target_tokens", cont.size()}});
        if (!o.json && n % 100 == 0) {
            std::fprintf(stderr, "\r%lld passages, acc %.4f", static_cast<long long>(n), static_cast<double>(correct) / static_cast<double>(n));
        }
    }
    if (n == 0) throw std::runtime_error("'" + o.file + "' holds no passages");
    const double acc = static_cast<double>(correct) / static_cast<double>(n);
    const double mean = sum_nll / static_cast<double>(n);
    const double var = sum_nll2 / static_cast<double>(n) - mean * mean;
    const double ppl = std::exp(mean);
    const double ppl_stderr = n > 1 && var > 0 ? ppl * std::sqrt(var / static_cast<double>(n - 1)) : 0.0;
    return {{"task", "lambada_openai"}, {"n", n},
            {"acc", acc}, {"acc_stderr", accuracy_stderr(acc, n)},
            {"ppl", ppl}, {"ppl_stderr", ppl_stderr},
            {"examples", examples}};
}

nlohmann::ordered_json run_hellaswag(const EvalOptions &o, const llmrt_model *model, const Scorer &scorer) {
    const std::vector<std::string> lines = split_lines(read_maybe_bz2(o.file));
    if (lines.size() % 6 != 0) {
        throw std::runtime_error("'" + o.file + "' has " + std::to_string(lines.size()) +
                                 " lines, not a multiple of 6 (llama.cpp's hellaswag layout)");
    }
    const int64_t n_tasks = o.limit < 0 ? static_cast<int64_t>(lines.size() / 6)
                                        : std::min<int64_t>(o.limit, static_cast<int64_t>(lines.size() / 6));
    nlohmann::ordered_json examples = nlohmann::ordered_json::array();
    int64_t acc = 0, acc_norm = 0;
    for (int64_t t = 0; t < n_tasks; ++t) {
        const std::string *task = &lines[static_cast<size_t>(t * 6)];
        int gold = -1;
        try {
            gold = std::stoi(task[1]);
        } catch (const std::exception &) {
        }
        if (gold < 0 || gold > 3) {
            throw std::runtime_error("'" + o.file + "' task " + std::to_string(t + 1) + ": gold ending '" + task[1] + "' is not 0-3");
        }
        std::vector<llmrt_token> seq[4];
        for (int s = 0; s < 4; ++s) seq[s] = tokenize(model, task[0] + " " + task[2 + s], true);
        size_t common = 0;
        while (common < seq[0].size() && common < seq[1].size() && common < seq[2].size() &&
               common < seq[3].size() && seq[0][common] == seq[1][common] &&
               seq[0][common] == seq[2][common] && seq[0][common] == seq[3][common]) {
            ++common;
        }
        double total[4], norm[4];
        for (int s = 0; s < 4; ++s) {
            const std::vector<llmrt_token> prefix(seq[s].begin(), seq[s].begin() + static_cast<std::ptrdiff_t>(common));
            const std::vector<llmrt_token> ending(seq[s].begin() + static_cast<std::ptrdiff_t>(common), seq[s].end());
            if (ending.empty() || prefix.empty()) {
                total[s] = norm[s] = -INFINITY;
                continue;
            }
            total[s] = scorer.score(prefix, ending).first;
            norm[s] = total[s] / static_cast<double>(ending.size());
        }
        const int best = static_cast<int>(std::max_element(total, total + 4) - total);
        const int best_norm = static_cast<int>(std::max_element(norm, norm + 4) - norm);
        acc += best == gold;
        acc_norm += best_norm == gold;
        examples.push_back({{"gold", gold}, {"logprob", {total[0], total[1], total[2], total[3]}},
                            {"logprob_norm", {norm[0], norm[1], norm[2], norm[3]}}});
        if (!o.json && (t + 1) % 100 == 0) {
            std::fprintf(stderr, "\r%lld tasks, acc_norm %.4f", static_cast<long long>(t + 1),
                         static_cast<double>(acc_norm) / static_cast<double>(t + 1));
        }
    }
    if (n_tasks == 0) throw std::runtime_error("'" + o.file + "' holds no tasks");
    const double a = static_cast<double>(acc) / static_cast<double>(n_tasks);
    const double an = static_cast<double>(acc_norm) / static_cast<double>(n_tasks);
    return {{"task", "hellaswag"}, {"n", n_tasks},
            {"acc", a}, {"acc_stderr", accuracy_stderr(a, n_tasks)},
            {"acc_norm", an}, {"acc_norm_stderr", accuracy_stderr(an, n_tasks)},
            {"examples", examples}};
}

} // namespace

int run_eval(int argc, char **argv) {
    EvalOptions o;
    ArgParser args("eval", "--task lambada|hellaswag -m PATH -f FILE [--limit N] [-c N] [-t THREADS] [--weight-dtype T ...] [--json]",
                   "Zero-shot accuracy: lambada_openai (greedy accuracy and perplexity of the last "
                   "word) or hellaswag (acc_norm, llama.cpp's file layout, .bz2 or plain).");
    args.string(nullptr, "--task", "NAME", "lambada or hellaswag", &o.task);
    args.string("-m", "--model", "PATH", "model: GGUF file, llmrt file or Hugging Face directory",
                &o.model_path);
    args.string("-f", "--file", "FILE", "the task's data file", &o.file);
    args.integer(nullptr, "--limit", "N", "score only the first N examples; -1 = all", &o.limit, -1, 1 << 30);
    args.integer("-c", "--ctx-size", "N", "context window; 0 = the model's (at most 4096)", &o.n_ctx, 0, 1 << 20);
    args.integer("-t", "--threads", "N", "threads; 0 = all cores", &o.n_threads, 0, LLMRT_MAX_THREADS);
    add_quant_flags(args, &o.quant, QuantFlagUse::Load);
    args.flag(nullptr, "--json", "print JSON (with each example's scores)", &o.json);
    if (!args.parse(argc, argv)) {
        return 0;
    }
    args.require("--task");
    args.require("--model");
    args.require("--file");
    if (o.task != "lambada" && o.task != "lambada_openai" && o.task != "hellaswag") {
        throw UsageError("--task must be lambada or hellaswag, not '" + o.task + "'");
    }
    const QuantSettings quant = quant_settings(args, o.quant, QuantFlagUse::Load).front();

    ModelPtr model = load_model(o.model_path, quant);
    ContextOptions context_options;
    context_options.n_ctx = o.n_ctx;
    context_options.n_threads = o.n_threads;
    ContextPtr ctx = create_context(model.get(), context_options);
    CancelOnInterrupt cancel_on_ctrl_c(ctx.get());
    const Scorer scorer{ctx.get(), llmrt_context_n_ctx(ctx.get())};

    nlohmann::ordered_json result = o.task == "hellaswag" ? run_hellaswag(o, model.get(), scorer)
                                                          : run_lambada(o, model.get(), scorer);
    if (o.json) {
        std::printf("%s\n", result.dump(2).c_str());
        return 0;
    }
    std::fprintf(stderr, "\n");
    const long long n = result["n"].get<long long>();
    if (o.task == "hellaswag") {
        std::printf("hellaswag (%lld tasks): acc_norm = %.4f +/- %.4f, acc = %.4f +/- %.4f\n", n,
                    result["acc_norm"].get<double>(), result["acc_norm_stderr"].get<double>(),
                    result["acc"].get<double>(), result["acc_stderr"].get<double>());
    } else {
        std::printf("lambada_openai (%lld passages): acc = %.4f +/- %.4f, ppl = %.4f +/- %.4f\n", n,
                    result["acc"].get<double>(), result["acc_stderr"].get<double>(),
                    result["ppl"].get<double>(), result["ppl_stderr"].get<double>());
    }
    return 0;
}

} // namespace cli
