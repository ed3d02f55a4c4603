// The generation loop as a pull state machine: begin() evaluates the prompt, next() produces one
// token and the text it completes. The callback form of the API is a loop over next().
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "runtime/context.h"
#include "runtime/sampler.h"
#include "runtime/text_stream.h"

namespace llmrt {

struct GenerateOptions {
    int64_t max_new_tokens = 128;
    int64_t min_new_tokens = 0;
    bool stop_at_eos = true;
    bool add_special = true;
    std::vector<std::string> stop_strings;
    // Sees the ids generated so far (from the min_new_tokens-th on); true stops after that token.
    std::function<bool(const int32_t *generated, int64_t n_generated)> stop_callback;
    // StreamingLLM: when the next token would not fit, Context::shift(n_keep, n_discard, mode)
    // makes room instead of ending with ContextFull. These are the defaults of the C API too.
    ShiftMode shift_mode = ShiftMode::Off;
    int64_t n_keep = 4;      // StreamingLLM's attention sinks; -1: all the context holds once the prompt is in
    int64_t n_discard = -1;  // -1: half of the positions not kept, (n_ctx - n_keep) / 2
};

// Why a generation ended. The values are the C API's LLMRT_STOP_* (checked where they meet).
enum class StopReason : int32_t { None = 0, Length, Eos, StopString, ContextFull, Cancelled, Callback };
constexpr int32_t kStopReasonCount = 7;
// "" for None, then "length", "eos", "stop_string", "context_full", "cancelled", "callback".
const char *stop_reason_name(StopReason reason);

struct GeneratedPiece {
    std::string text;  // may be empty while a UTF-8 character or stop string is incomplete
    int32_t token = -1;
};

class Generation {
public:
    // Tokenizes and evaluates the prompt, and feeds it to the sampler's sequence (the n-gram ban
    // looks at prompt + output, as HF does). Throws Error (CONTEXT_FULL when the prompt does not fit).
    Generation(Context &ctx, Sampler &sampler, const std::string &prompt, const GenerateOptions &options);
    // The same with the prompt already tokenized: ids are appended to the cache as they are
    // (a chat session evaluates only the part of its prompt the cache does not hold).
    Generation(Context &ctx, Sampler &sampler, const std::vector<int32_t> &ids, const GenerateOptions &options);

    // False once a stop condition has been met (nothing is produced then).
    bool next(GeneratedPiece &out);
    StopReason stop_reason() const { return stop_reason_; }

    // Every token this generation has produced so far.
    const std::vector<int32_t> &generated() const { return generated_; }

private:
    void start(std::vector<int32_t> ids);
    bool is_end_of_generation(int32_t token) const;
    void mask_end_of_generation();
    bool callback_stops() const;
    void resolve_shift(int64_t n_past_after_prompt);
    void make_room();

    Context &ctx_;
    Sampler &sampler_;
    GenerateOptions opt_;
    TextStream stream_;
    std::vector<int32_t> eog_ids_;
    std::vector<float> masked_logits_;  // reused: min_new_tokens hides EOG without allocating
    std::vector<int32_t> generated_;  // what the stop callback sees
    int64_t n_generated_ = 0;
    int64_t n_keep_ = 0;     // opt_.n_keep and n_discard with their defaults resolved
    int64_t n_discard_ = 0;
    bool finished_ = false;
    bool flushed_ = false;
    StopReason stop_reason_ = StopReason::None;
};

}  // namespace llmrt
