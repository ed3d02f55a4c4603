// KL divergence between a reference model's token distributions, saved once to a file, and another
// model's, over the tokens `llmrt perplexity` scores (llama.cpp's --kl-divergence-base /
// --kl-divergence, with the same statistics).
//
// Base file (little-endian), written by `llmrt perplexity --kl-divergence-base FILE`:
//   char[8]  magic "LLMRTKLD"
//   uint32   version (1)
//   uint32   n_ctx: tokens per chunk
//   uint32   n_vocab
//   uint32   n_chunks
//   uint64   n_tokens: tokens of the whole tokenized text file
//   uint64   FNV-1a 64 of the evaluated token ids (n_chunks * n_ctx int32, BOS already in place)
//   uint32   length of the model description, then its bytes (path and weight type; informative)
//   then n_chunks * (n_ctx - 1 - n_ctx/2) records, one per scored token, in order:
//     float32 scale, float32 lo: log-prob i = lo + scale * q[i]; q[i] = 0 marks a token below
//             the stored range (log-prob < max - 24), left out of the KL sum as llama.cpp does
//     float32 nll: exact -ln p(next token), so the base perplexity is exact
//     int32   the top token (first maximum), so top-1 agreement is exact
//     uint16  q[n_vocab]
// A file whose tokens, vocabulary or context size differ from the run's is refused.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace cli {

struct KldHeader {
    uint32_t n_ctx = 0;
    uint32_t n_vocab = 0;
    uint32_t n_chunks = 0;
    uint64_t n_tokens = 0;
    uint64_t token_hash = 0;
    std::string model;
};

uint64_t hash_tokens(const int32_t *tokens, size_t n);

class KldBaseWriter {
public:
    KldBaseWriter(const std::string &path, const KldHeader &header);
    ~KldBaseWriter();
    // One scored token: its logits and the id that follows it.
    void add(const float *logits, int32_t next);
    void finish();  // flushes and closes; throws on a write error

private:
    std::string path_;
    std::FILE *file_ = nullptr;
    int32_t n_vocab_;
    std::vector<unsigned char> record_;
};

// Running sums and per-token values of the comparison, as llama.cpp's kl_divergence keeps them.
struct KldStats {
    double sum_nll = 0, sum_nll2 = 0, sum_nll_base = 0, sum_nll_base2 = 0, sum_nll_nll_base = 0;
    double sum_kld = 0, sum_kld2 = 0;
    double sum_p_diff = 0, sum_p_diff2 = 0, sum_p_diff4 = 0;
    int64_t n_same_top = 0;
    int64_t count = 0;
    std::vector<float> kld_values;
};

class KldBaseReader {
public:
    explicit KldBaseReader(const std::string &path);
    ~KldBaseReader();
    const KldHeader &header() const { return header_; }
    // Compares the next scored token's logits with the base's record and adds it to stats.
    void compare(const float *logits, int32_t next, KldStats *stats);

private:
    std::string path_;
    std::FILE *file_ = nullptr;
    KldHeader header_;
    std::vector<unsigned char> record_;
    std::vector<double> base_log_prob_;
    uint64_t records_left_ = 0;
};

// The summary llama.cpp prints: mean PPL(Q) and PPL(base), their ratio and difference with
// uncertainties, mean KLD and its percentiles, RMS Δp, same top p.
struct KldSummary {
    double ppl = 0, ppl_unc = 0, ppl_base = 0, ppl_base_unc = 0, ppl_cor = 0;
    double ln_ratio = 0, ln_ratio_unc = 0, ratio = 0, ratio_unc = 0, dppl = 0, dppl_unc = 0;
    double kld = 0, kld_unc = 0, kld_max = 0, kld_999 = 0, kld_99 = 0, kld_90 = 0, kld_median = 0, kld_min = 0;
    double rms_dp = 0, rms_dp_unc = 0, same_top = 0, same_top_unc = 0;
    int64_t count = 0;
};

KldSummary summarize(KldStats stats);

}  // namespace cli
