#include "kld.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace cli {

namespace {

constexpr char kMagic[8] = {'L', 'L', 'M', 'R', 'T', 'K', 'L', 'D'};
constexpr uint32_t kVersion = 1;
constexpr double kRange = 24.0;          // log-probs stored down to max - kRange
constexpr size_t kRecordHead = 16;       // scale, lo, nll, top

size_t record_size(uint32_t n_vocab) { return kRecordHead + 2 * static_cast<size_t>(n_vocab); }

template <class T>
void put(std::vector<unsigned char> *out, T value) {
    unsigned char bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    out->insert(out->end(), bytes, bytes + sizeof(T));
}

template <class T>
T get(const unsigned char *p) {
    T value;
    std::memcpy(&value, p, sizeof(T));
    return value;
}

// Maximum (first index), log-sum-exp, in double.
struct RowStats {
    int32_t top = 0;
    double log_sum_exp = 0.0;  // ln sum exp(logit)
};

RowStats row_stats(const float *logits, int32_t n_vocab) {
    RowStats r;
    for (int32_t i = 1; i < n_vocab; ++i)
        if (logits[i] > logits[r.top]) r.top = i;
    const double max_logit = logits[r.top];
    double sum = 0.0;
    for (int32_t i = 0; i < n_vocab; ++i) sum += std::exp(static_cast<double>(logits[i]) - max_logit);
    r.log_sum_exp = max_logit + std::log(sum);
    return r;
}

// llama.cpp's mean_and_uncertainty: the mean and the standard error of the mean.
std::pair<double, double> mean_and_unc(double sum, double sum2, int64_t count) {
    if (count < 1) return {0.0, 0.0};
    const double mean = sum / static_cast<double>(count);
    const double var = sum2 / static_cast<double>(count) - mean * mean;
    return {mean, var > 0 && count > 10 ? std::sqrt(var / static_cast<double>(count - 1)) : 0.0};
}

// Linear interpolation between the two nearest ranks, as llama.cpp's percentile.
double percentile(const std::vector<float> &sorted, double fraction) {
    if (fraction <= 0) return sorted.front();
    if (fraction >= 1) return sorted.back();
    double p = fraction * static_cast<double>(sorted.size() - 1);
    const size_t ip = static_cast<size_t>(p);
    p -= static_cast<double>(ip);
    return (1 - p) * sorted[ip] + p * sorted[std::min(ip + 1, sorted.size() - 1)];
}

}  // namespace

uint64_t hash_tokens(const int32_t *tokens, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; ++i) {
        const uint32_t v = static_cast<uint32_t>(tokens[i]);
        for (int b = 0; b < 4; ++b) {
            h ^= (v >> (8 * b)) & 0xffu;
            h *= 1099511628211ull;
        }
    }
    return h;
}

KldBaseWriter::KldBaseWriter(const std::string &path, const KldHeader &h)
    : path_(path), n_vocab_(static_cast<int32_t>(h.n_vocab)) {
    file_ = std::fopen(path.c_str(), "wb");
    if (!file_) throw std::runtime_error("cannot write '" + path + "': " + std::strerror(errno));
    std::vector<unsigned char> head(kMagic, kMagic + 8);
    put(&head, kVersion);
    put(&head, h.n_ctx);
    put(&head, h.n_vocab);
    put(&head, h.n_chunks);
    put(&head, h.n_tokens);
    put(&head, h.token_hash);
    put(&head, static_cast<uint32_t>(h.model.size()));
    head.insert(head.end(), h.model.begin(), h.model.end());
    if (std::fwrite(head.data(), 1, head.size(), file_) != head.size())
        throw std::runtime_error("cannot write '" + path + "'");
    record_.resize(record_size(h.n_vocab));
}

KldBaseWriter::~KldBaseWriter() {
    if (file_) std::fclose(file_);
}

void KldBaseWriter::add(const float *logits, int32_t next) {
    const RowStats r = row_stats(logits, n_vocab_);
    const double hi = logits[r.top] - r.log_sum_exp;
    double lo = hi;
    for (int32_t i = 0; i < n_vocab_; ++i) lo = std::min(lo, logits[i] - r.log_sum_exp);
    lo = std::max(lo, hi - kRange);
    // Code 0 is kept for "below the range": stored values run from lo (code 1) to hi (65535).
    const double scale = hi > lo ? (hi - lo) / 65534.0 : 0.0;
    unsigned char *p = record_.data();
    const float scale_f = static_cast<float>(scale), lo_f = static_cast<float>(lo - scale);
    const float nll = static_cast<float>(r.log_sum_exp - logits[next]);
    std::memcpy(p, &scale_f, 4);
    std::memcpy(p + 4, &lo_f, 4);
    std::memcpy(p + 8, &nll, 4);
    std::memcpy(p + 12, &r.top, 4);
    for (int32_t i = 0; i < n_vocab_; ++i) {
        const double lp = logits[i] - r.log_sum_exp;
        uint16_t q = 0;
        if (lp >= lo) q = scale > 0 ? static_cast<uint16_t>(1 + std::lround((lp - lo) / scale)) : 1;
        std::memcpy(p + kRecordHead + 2 * static_cast<size_t>(i), &q, 2);
    }
    if (std::fwrite(record_.data(), 1, record_.size(), file_) != record_.size())
        throw std::runtime_error("cannot write '" + path_ + "'");
}

void KldBaseWriter::finish() {
    const bool ok = std::fflush(file_) == 0 && !std::ferror(file_);
    const bool closed = std::fclose(file_) == 0;
    file_ = nullptr;
    if (!ok || !closed) throw std::runtime_error("cannot write '" + path_ + "'");
}

KldBaseReader::KldBaseReader(const std::string &path) : path_(path) {
    file_ = std::fopen(path.c_str(), "rb");
    if (!file_) throw std::runtime_error("cannot open '" + path + "': " + std::strerror(errno));
    const std::string bad = "'" + path + "' is not an llmrt KL-divergence base file (llmrt perplexity --kl-divergence-base)";
    unsigned char head[44];
    if (std::fread(head, 1, sizeof head, file_) != sizeof head || std::memcmp(head, kMagic, 8) != 0)
        throw std::runtime_error(bad);
    if (get<uint32_t>(head + 8) != kVersion)
        throw std::runtime_error("'" + path + "' has KL-divergence base format version " +
                                 std::to_string(get<uint32_t>(head + 8)) + ", this llmrt reads " +
                                 std::to_string(kVersion));
    header_.n_ctx = get<uint32_t>(head + 12);
    header_.n_vocab = get<uint32_t>(head + 16);
    header_.n_chunks = get<uint32_t>(head + 20);
    header_.n_tokens = get<uint64_t>(head + 24);
    header_.token_hash = get<uint64_t>(head + 32);
    const uint32_t name_len = get<uint32_t>(head + 40);
    if (header_.n_ctx < 4 || header_.n_vocab == 0 || header_.n_vocab > (1u << 24) || name_len > 65536)
        throw std::runtime_error(bad + ": implausible header");
    header_.model.resize(name_len);
    if (name_len && std::fread(&header_.model[0], 1, name_len, file_) != name_len) throw std::runtime_error(bad);
    records_left_ = uint64_t{header_.n_chunks} * (header_.n_ctx - 1 - header_.n_ctx / 2);
    // The records must fill the rest of the file exactly: a truncated file is refused up front.
    const long here = std::ftell(file_);
    std::fseek(file_, 0, SEEK_END);
    const long end = std::ftell(file_);
    std::fseek(file_, here, SEEK_SET);
    if (end - here < 0 || static_cast<uint64_t>(end - here) != records_left_ * record_size(header_.n_vocab))
        throw std::runtime_error("'" + path + "' is truncated or damaged: its size does not match its header");
    record_.resize(record_size(header_.n_vocab));
    base_log_prob_.resize(header_.n_vocab);
}

KldBaseReader::~KldBaseReader() {
    if (file_) std::fclose(file_);
}

void KldBaseReader::compare(const float *logits, int32_t next, KldStats *s) {
    if (records_left_ == 0 || std::fread(record_.data(), 1, record_.size(), file_) != record_.size())
        throw std::runtime_error("'" + path_ + "' ended early");
    --records_left_;
    const unsigned char *p = record_.data();
    const double scale = get<float>(p), lo = get<float>(p + 4), nll_base = get<float>(p + 8);
    const int32_t top_base = get<int32_t>(p + 12);
    const int32_t n_vocab = static_cast<int32_t>(header_.n_vocab);
    const RowStats r = row_stats(logits, n_vocab);

    // The base distribution over the tokens it stored, renormalized there (a KL divergence of two
    // distributions is never negative, also after the 16-bit rounding).
    double max_lp = -1e300;
    for (int32_t i = 0; i < n_vocab; ++i) {
        const uint16_t q = get<uint16_t>(p + kRecordHead + 2 * static_cast<size_t>(i));
        base_log_prob_[static_cast<size_t>(i)] = q ? lo + scale * q : -INFINITY;
        max_lp = std::max(max_lp, base_log_prob_[static_cast<size_t>(i)]);
    }
    double sum = 0.0;
    for (double lp : base_log_prob_) sum += std::exp(lp - max_lp);
    const double norm = max_lp + std::log(sum);
    double kld = 0.0;
    for (int32_t i = 0; i < n_vocab; ++i) {
        const double lp_base = base_log_prob_[static_cast<size_t>(i)];
        if (lp_base == -INFINITY) continue;
        const double lpb = lp_base - norm;
        kld += std::exp(lpb) * (lpb - (logits[i] - r.log_sum_exp));
    }

    const double nll = r.log_sum_exp - logits[next];
    s->sum_nll += nll;
    s->sum_nll2 += nll * nll;
    s->sum_nll_base += nll_base;
    s->sum_nll_base2 += nll_base * nll_base;
    s->sum_nll_nll_base += nll * nll_base;
    s->sum_kld += kld;
    s->sum_kld2 += kld * kld;
    s->n_same_top += r.top == top_base;
    const double p_diff = std::exp(-nll) - std::exp(-nll_base);
    s->sum_p_diff += p_diff;
    s->sum_p_diff2 += p_diff * p_diff;
    s->sum_p_diff4 += p_diff * p_diff * p_diff * p_diff;
    ++s->count;
    s->kld_values.push_back(static_cast<float>(kld));
}

KldSummary summarize(KldStats s) {
    KldSummary o;
    o.count = s.count;
    if (s.count == 0) return o;
    const auto log_ppl = mean_and_unc(s.sum_nll, s.sum_nll2, s.count);
    const auto log_ppl_base = mean_and_unc(s.sum_nll_base, s.sum_nll_base2, s.count);
    const double n = static_cast<double>(s.count);
    const double cov = s.count < 10 ? 0.0
                                    : (s.sum_nll_nll_base / n - (s.sum_nll / n) * (s.sum_nll_base / n)) / (n - 1);
    o.ppl = std::exp(log_ppl.first);
    o.ppl_unc = o.ppl * log_ppl.second;
    o.ppl_base = std::exp(log_ppl_base.first);
    o.ppl_base_unc = o.ppl_base * log_ppl_base.second;
    const double denom = log_ppl.second * log_ppl_base.second;
    o.ppl_cor = denom > 0 ? cov / denom : 0.0;
    o.ln_ratio = log_ppl.first - log_ppl_base.first;
    o.ln_ratio_unc = std::sqrt(std::max(0.0, log_ppl.second * log_ppl.second +
                                                 log_ppl_base.second * log_ppl_base.second - 2.0 * cov));
    o.ratio = std::exp(o.ln_ratio);
    o.ratio_unc = o.ratio * o.ln_ratio_unc;
    o.dppl = o.ppl - o.ppl_base;
    o.dppl_unc = std::sqrt(std::max(0.0, o.ppl_unc * o.ppl_unc + o.ppl_base_unc * o.ppl_base_unc -
                                             2.0 * o.ppl * o.ppl_base * cov));
    const auto kld = mean_and_unc(s.sum_kld, s.sum_kld2, s.count);
    o.kld = kld.first;
    o.kld_unc = kld.second;
    std::vector<float> &v = s.kld_values;
    std::sort(v.begin(), v.end());
    o.kld_max = v.back();
    o.kld_min = v.front();
    o.kld_999 = percentile(v, 0.999);
    o.kld_99 = percentile(v, 0.99);
    o.kld_90 = percentile(v, 0.90);
    o.kld_median = v.size() % 2 == 0 ? 0.5 * (v[v.size() / 2] + v[v.size() / 2 - 1]) : v[v.size() / 2];
    const auto mse = mean_and_unc(s.sum_p_diff2, s.sum_p_diff4, s.count);
    o.rms_dp = std::sqrt(mse.first);
    o.rms_dp_unc = o.rms_dp > 0 ? 0.5 / o.rms_dp * mse.second : 0.0;
    o.same_top = static_cast<double>(s.n_same_top) / n;
    o.same_top_unc = s.count > 1 ? std::sqrt(o.same_top * (1 - o.same_top) / (n - 1)) : 0.0;
    return o;
}

}  // namespace cli
