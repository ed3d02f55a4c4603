// Continuous batching over one context with n_seq_max slots. One thread owns the context: each
// step it gathers one decode row per generating slot and a bounded chunk of prompt tokens of the
// slots still prefilling (so a long prompt does not stall the others), evaluates them in one
// llmrt_decode_multi call, samples each slot's next token with that slot's own sampler, and
// publishes the text to the slot's job. Jobs join between steps from a bounded queue and leave
// (their sequence emptied) as soon as they finish, fail, time out or are cancelled.
#pragma once

#include "job.h"
#include "metrics.h"
#include "../library.h"

#include "llmrt.hpp"

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace cli::serve {

class Scheduler {
public:
    // ctx must hold n_seq_max sequences (the slots) and outlive the scheduler.
    Scheduler(const llmrt_model *model, llmrt_context *ctx, int32_t prefill_chunk, int32_t max_queue,
              Metrics &metrics);
    ~Scheduler();
    Scheduler(const Scheduler &) = delete;
    Scheduler &operator=(const Scheduler &) = delete;

    // Queues all of the jobs (the choices of one request), or none of them and returns false when
    // the queue has no room for them all (the caller answers 503).
    bool submit(const std::vector<std::shared_ptr<Job>> &jobs);
    // Finishes the jobs it has, then ends the thread. Called by the destructor too.
    void stop();

    int active_slots() const;
    int queued() const;

private:
    struct Slot {
        std::shared_ptr<Job> job;
        llmrt::sampler_ptr sampler;
        llmrt::text_stream_ptr text;  // the UTF-8 and stop-string hold-back of the answer
        size_t n_fed = 0;          // prompt tokens evaluated or in the current batch
        llmrt_token next = -1;     // a sampled token to evaluate in the next step; -1 while prefilling
        int32_t n_generated = 0;
        int32_t row = -1;          // the batch row whose logits this slot samples from, -1: none
    };
    struct Batch {
        std::vector<llmrt_token> tokens;
        std::vector<int32_t> seq_ids;
    };

    void run();
    void step();
    void fail_all(const std::string &error);
    bool has_work_locked() const;
    void admit();
    void expire_queued();
    void drop_cancelled_and_late();
    Batch build_batch();
    void sample_rows();
    void on_token(int32_t seq, Slot &slot, llmrt_token token, const TokenLogprob *logprob);
    void end_slot(int32_t seq, const std::string &reason);
    void fail_slot(int32_t seq, const std::string &error);
    void release(int32_t seq);

    const llmrt_model *model_;
    llmrt_context *ctx_;
    const int32_t n_ctx_;
    const int32_t n_vocab_;
    const int32_t prefill_chunk_;
    const size_t max_queue_;
    Metrics &metrics_;
    std::vector<Slot> slots_;   // index = sequence id; touched by the scheduler thread only
    size_t prefill_turn_ = 0;   // the slot whose prompt goes first, rotated for fairness

    mutable std::mutex mutex_;  // guards queue_, stopping_, n_active_
    std::condition_variable wake_;
    std::deque<std::shared_ptr<Job>> queue_;
    bool stopping_ = false;
    int n_active_ = 0;
    std::thread thread_;
};

}  // namespace cli::serve
