#include "core/profiler.h"

namespace llmrt {

const char *profile_op_name(ProfileOp op) {
    switch (op) {
        case ProfileOp::Embedding: return "embedding";
        case ProfileOp::Norm: return "norm";
        case ProfileOp::MatmulAttnQkv: return "matmul.attn_qkv";
        case ProfileOp::MatmulAttnOutput: return "matmul.attn_output";
        case ProfileOp::MatmulFfnGateUp: return "matmul.ffn_gate_up";
        case ProfileOp::MatmulFfnDown: return "matmul.ffn_down";
        case ProfileOp::MatmulOutput: return "matmul.output";
        case ProfileOp::Attention: return "attention";
        case ProfileOp::Rope: return "rope";
        case ProfileOp::Elementwise: return "elementwise";
        case ProfileOp::KvStore: return "kv_store";
        case ProfileOp::Collective: return "collective";
        case ProfileOp::Count: break;
    }
    return "unknown";
}

void Profiler::begin_step(int64_t n_tokens, bool one_per_sequence) {
    in_prefill_ = !one_per_sequence;
    step_tokens_ = n_tokens;
}

void Profiler::add(ProfileOp op, double seconds, uint64_t bytes) {
    OpTotals &t = current().ops[static_cast<size_t>(op)];
    t.calls += 1;
    t.seconds += seconds;
    t.bytes += bytes;
}

void Profiler::end_step(double seconds, const PoolStats &pool) {
    PhaseTotals &phase = current();
    phase.steps += 1;
    phase.tokens += static_cast<uint64_t>(step_tokens_);
    phase.seconds += seconds;
    phase.barrier_wait_seconds += pool.barrier_wait_seconds;
    phase.pool_runs += pool.runs;
}

}  // namespace llmrt
