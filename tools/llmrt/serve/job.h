// One generation request as the scheduler and the HTTP handler thread share it. The handler
// fills the settings, submits the job and waits for updates; the scheduler thread publishes text
// and the end. Text crosses under the job's own mutex, so the two never wait on anything else.
#pragma once

#include "llmrt.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace cli::serve {

using Clock = std::chrono::steady_clock;

// A generated token's log-probability under the model (the log-softmax of its logits, before the
// request's sampling settings) and the most likely tokens at that step: OpenAI's logprobs.
struct TokenLogprob {
    std::string token;  // its bytes (possibly part of a UTF-8 character)
    float logprob = 0.0f;
    std::vector<std::pair<std::string, float>> top;  // most likely first
};

// What the scheduler needs to run a request; fixed once submitted.
struct JobSettings {
    std::vector<llmrt_token> prompt;
    llmrt_sampler_params sampling{};  // logit_bias points into logit_bias below (see bound_sampling)
    std::vector<llmrt_logit_bias> logit_bias;
    int32_t max_tokens = -1;          // -1: until the context is full
    std::vector<std::string> stop;
    Clock::time_point deadline = Clock::time_point::max();
    int32_t top_logprobs = -1;        // -1: no logprobs; N >= 0: each token's, with the N most likely

    llmrt_sampler_params bound_sampling() const;
};

// What a handler learns from one wait.
struct JobUpdate {
    std::string text;             // new text since the last update
    std::vector<TokenLogprob> logprobs;  // the tokens since the last update, when asked for
    bool finished = false;
    std::string finish_reason;    // "stop" or "length" when finished without error
    std::string error;            // non-empty: the job failed
    int error_status = 500;
    int32_t n_generated = 0;
};

class Job {
public:
    explicit Job(JobSettings settings) : settings_(std::move(settings)), submitted_(Clock::now()) {}

    const JobSettings &settings() const { return settings_; }

    // Handler side. cancel() may come from any thread; the scheduler drops the job at its next step.
    void cancel() { cancelled_.store(true); }
    bool cancelled() const { return cancelled_.load(); }
    // Waits until there is news or until `until`, and takes it.
    JobUpdate wait(Clock::time_point until);

    // Scheduler side.
    // logprob: the token's, when the request asked for them (else nullptr).
    void publish(const std::string &text, int32_t n_generated, const TokenLogprob *logprob = nullptr);
    void finish(const std::string &reason);
    void fail(const std::string &error, int status);

    // Timing, for the request's log line: seconds from submission to the first token, and from the
    // first token to the end (0 until known).
    double seconds_to_first_token() const;
    double seconds_generating() const;

private:
    void notify_locked(std::unique_lock<std::mutex> &lock);

    const JobSettings settings_;
    const Clock::time_point submitted_;
    std::atomic<bool> cancelled_{false};

    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::string text_;
    std::vector<TokenLogprob> logprobs_;
    bool finished_ = false;
    bool taken_end_ = false;
    std::string finish_reason_;
    std::string error_;
    int error_status_ = 500;
    int32_t n_generated_ = 0;
    Clock::time_point first_token_{};
    Clock::time_point ended_{};
};

}  // namespace cli::serve
