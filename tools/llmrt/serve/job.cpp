#include "job.h"

namespace cli::serve {

llmrt_sampler_params JobSettings::bound_sampling() const {
    llmrt_sampler_params p = sampling;
    p.logit_bias = logit_bias.empty() ? nullptr : logit_bias.data();
    p.n_logit_bias = static_cast<int32_t>(logit_bias.size());
    return p;
}

JobUpdate Job::wait(Clock::time_point until) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_until(lock, until, [&] { return !text_.empty() || (finished_ && !taken_end_); });
    JobUpdate u;
    u.text.swap(text_);
    u.logprobs.swap(logprobs_);
    u.n_generated = n_generated_;
    if (finished_) {
        taken_end_ = true;
        u.finished = true;
        u.finish_reason = finish_reason_;
        u.error = error_;
        u.error_status = error_status_;
    }
    return u;
}

void Job::notify_locked(std::unique_lock<std::mutex> &lock) {
    lock.unlock();
    changed_.notify_all();
}

void Job::publish(const std::string &text, int32_t n_generated, const TokenLogprob *logprob) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (n_generated_ == 0 && n_generated > 0) first_token_ = Clock::now();
    text_ += text;
    if (logprob) logprobs_.push_back(*logprob);
    n_generated_ = n_generated;
    notify_locked(lock);
}

void Job::finish(const std::string &reason) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (finished_) return;
    finished_ = true;
    finish_reason_ = reason;
    ended_ = Clock::now();
    notify_locked(lock);
}

void Job::fail(const std::string &error, int status) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (finished_) return;
    finished_ = true;
    error_ = error;
    error_status_ = status;
    ended_ = Clock::now();
    notify_locked(lock);
}

double Job::seconds_to_first_token() const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (first_token_ == Clock::time_point{}) return 0.0;
    return std::chrono::duration<double>(first_token_ - submitted_).count();
}

double Job::seconds_generating() const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (first_token_ == Clock::time_point{} || ended_ == Clock::time_point{}) return 0.0;
    return std::chrono::duration<double>(ended_ - first_token_).count();
}

}  // namespace cli::serve
