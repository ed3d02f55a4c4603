// What every model family provides: its hyper-parameters, its weights and a forward pass over a
// batch of tokens that appends to a KV cache. One implementation file per family.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/aligned_buffer.h"
#include "core/error.h"
#include "core/profiler.h"
#include "core/thread_pool.h"
#include "formats/checkpoint.h"
#include "models/kv_cache.h"
#include "models/weights.h"

namespace llmrt {

struct HyperParams {
    std::string family;  // registry name, e.g. "llama"
    int64_t n_vocab = 0;
    int64_t n_embd = 0;
    int64_t n_layer = 0;
    int64_t n_head = 0;
    int64_t n_head_kv = 0;
    int64_t head_dim = 0;
    int64_t n_ff = 0;
    int64_t n_ctx_train = 0;
    int64_t max_positions = 0;  // learned position tables end here; 0: no limit
};

// Points in a block's forward pass an observer may read (calibration collects the inputs of the
// linear layers through them; tests compare per-layer values). Unset, they cost one test each.
enum class Tap {
    AttnInput,     // input of q/k/v (after the norm)
    AttnOutInput,  // input of the attention output projection
    MlpInput,      // input of gate/up (and of the router)
    DownInput,     // input of the down projection (dense MLPs)
    BlockOutput,   // the residual stream after the block
};

// For progress and logs.
inline const char *tap_name(Tap t) {
    switch (t) {
        case Tap::AttnInput: return "attention input";
        case Tap::AttnOutInput: return "attention output";
        case Tap::MlpInput: return "mlp input";
        case Tap::DownInput: return "mlp down";
        case Tap::BlockOutput: return "block output";
    }
    return "?";
}

class TapObserver {
public:
    virtual ~TapObserver() = default;
    // x: n rows of width floats, valid during the call.
    virtual void observe(Tap tap, int64_t layer, const float *x, int64_t n, int64_t width) = 0;
};

struct ForwardBatch {
    const int32_t *tokens = nullptr;  // n ids, already checked to be < n_vocab
    int64_t n = 0;
    int64_t pos = 0;                  // position of tokens[0]; cache holds [0, pos)
    bool all_logits = false;          // logits for every token, else only for the last
    Profiler *profiler = nullptr;     // times each op when set (a step begun by the caller)
    TapObserver *taps = nullptr;      // sees the taps when set
    // Several sequences in one pass (Context::decode_multi): when set, token i goes to sequence
    // seq_ids[i] at position positions[i] (pos is unused), and attends over that sequence's
    // cache [0, positions[i]]. Rows of one sequence come in position order.
    const int32_t *seq_ids = nullptr;
    const int64_t *positions = nullptr;
    // With all_logits: when set, logits only for these n_logit_rows rows (ascending), written one
    // after another: a step that prefills prompts of several sequences needs only their last rows.
    const int64_t *logit_rows = nullptr;
    int64_t n_logit_rows = 0;

    int64_t position(int64_t i) const { return positions ? positions[i] : pos + i; }
};

// A linear layer of a block as a calibrating quantizer sees it: the tap that feeds it, the name
// its weight is stored under (WeightStore::tensors), and the matrix, which it may replace.
struct BlockLinear {
    Tap input;
    std::string name;
    Matrix *matrix;
};

class Architecture {
public:
    virtual ~Architecture() = default;
    const HyperParams &hparams() const { return hp_; }

    // Floats of keys (and of values) per token in this process's KV cache: every kv head, or
    // under tensor parallelism this rank's share of them.
    virtual int64_t kv_dim() const { return hp_.n_head_kv * hp_.head_dim; }
    // Floats of scratch a forward pass of up to n_batch tokens needs with a cache of n_ctx.
    virtual size_t workspace_floats(int64_t n_batch, int64_t n_ctx, int n_threads) const = 0;
    // Weight bytes one decoded token reads: every matrix and vector once, but one row of the
    // token embedding table (unless the output head is the same matrix). Decode speed is bounded
    // by this over the memory bandwidth.
    virtual uint64_t decode_read_bytes() const = 0;
    // Writes n_vocab logits per returned token (n of them when all_logits, else 1) to logits.
    virtual void forward(const ForwardBatch &batch, KvCache &cache, float *workspace, ThreadPool &pool,
                         float *logits) const = 0;

    // The same pass a block at a time, for calibration: embed writes the n_embd-wide input of the
    // first block for batch.tokens to x; forward_block runs one block over x in place (batch.tokens
    // unused). The workspace is workspace_floats(batch.n, cache.n_ctx(), threads) floats.
    virtual void embed(const ForwardBatch &batch, float *x) const = 0;
    virtual void forward_block(int64_t layer, const ForwardBatch &batch, KvCache &cache, float *x, float *workspace,
                               ThreadPool &pool) const = 0;
    // The block's linear layers in true-sequential order: q, k, v (or qkv); o; gate, up; down.
    // Experts are not listed (their inputs are the routed tokens only).
    virtual std::vector<BlockLinear> block_linears(int64_t layer) = 0;
    // The output head's input from the last block's output x (the final norm), and the head
    // itself (its input tap is BlockOutput); nullptr matrix when it is the embedding table.
    virtual void final_norm(const float *x, int64_t n, float *out) const = 0;
    virtual BlockLinear output_linear() = 0;
    // For AWQ: divides the block's input of the linears at `tap` channel-wise by 1/inv_scale, i.e.
    // multiplies it by inv_scale (cols of that tap's width), by folding into the op before them:
    // the attention norm's weight and bias (AttnInput), the MLP's norm (MlpInput), the rows of up
    // (DownInput: act(gate) * up is linear in up). The model's output is then unchanged once the
    // tap's linears have their columns multiplied by 1/inv_scale. Returns false, changing nothing,
    // where folding is impossible (a norm shared by attention and MLP, experts' router, a plain
    // MLP's activation, up already quantized); with inv_scale null only says whether it could.
    virtual bool scale_block_input(int64_t /*layer*/, Tap /*tap*/, const float * /*inv_scale*/) { return false; }
    // StreamingLLM's shift_roped_k: changes the cached keys of positions [first, first + n) in every
    // layer to what they would be at positions delta further on (delta < 0: earlier), so the rows
    // can move down without being evaluated again. Throws Error(Unsupported), changing nothing,
    // where keys cannot be re-positioned; n = 0 only checks that. Default: unsupported.
    virtual void shift_cached_keys(KvCache & /*cache*/, int64_t /*first*/, int64_t /*n*/, int64_t /*delta*/) const {
        fail(Status::Unsupported, hp_.family + ": moving cached keys to other positions is not supported");
    }

protected:
    HyperParams hp_;
};

}  // namespace llmrt
