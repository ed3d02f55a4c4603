#include "scheduler.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

namespace cli::serve {

namespace {

std::string last_error(const char *what, llmrt_status status) {
    return std::string(what) + ": " + llmrt_last_error() + " (" + llmrt_status_string(status) + ")";
}

// The token's log-probability and the top most likely tokens, from the row's raw logits.
TokenLogprob logprob_of(const llmrt_model *model, const float *logits, int32_t n_vocab, llmrt_token token, int32_t top) {
    const float max = *std::max_element(logits, logits + n_vocab);
    double sum = 0.0;
    for (int32_t v = 0; v < n_vocab; ++v) sum += std::exp(static_cast<double>(logits[v] - max));
    const double log_z = max + std::log(sum);
    TokenLogprob out;
    out.token = cli::token_piece(model, token);
    out.logprob = static_cast<float>(logits[token] - log_z);
    std::vector<llmrt_token> ids(static_cast<size_t>(n_vocab));
    std::iota(ids.begin(), ids.end(), 0);
    const auto n_top = static_cast<std::ptrdiff_t>(std::min(top, n_vocab));
    std::partial_sort(ids.begin(), ids.begin() + n_top, ids.end(),
                      [&](llmrt_token a, llmrt_token b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); });
    for (std::ptrdiff_t k = 0; k < n_top; ++k)
        out.top.emplace_back(cli::token_piece(model, ids[static_cast<size_t>(k)]),
                             static_cast<float>(logits[ids[static_cast<size_t>(k)]] - log_z));
    return out;
}

// The text a token's piece lets the client see now ("" if the library refuses, which it does not
// for valid arguments).
std::string pushed(llmrt_text_stream *stream, const std::string &piece) {
    const char *text = nullptr;
    size_t len = 0;
    if (llmrt_text_stream_push(stream, piece.data(), piece.size(), &text, &len) != LLMRT_OK) return "";
    return std::string(text, len);
}

std::string flushed(llmrt_text_stream *stream) {
    const char *text = nullptr;
    size_t len = 0;
    if (llmrt_text_stream_flush(stream, &text, &len) != LLMRT_OK) return "";
    return std::string(text, len);
}

}  // namespace

Scheduler::Scheduler(const llmrt_model *model, llmrt_context *ctx, int32_t prefill_chunk, int32_t max_queue,
                     Metrics &metrics)
    : model_(model), ctx_(ctx), n_ctx_(llmrt_context_n_ctx(ctx)), n_vocab_(llmrt_model_n_vocab(model)),
      prefill_chunk_(std::max(1, prefill_chunk)),
      max_queue_(static_cast<size_t>(std::max(0, max_queue))), metrics_(metrics),
      slots_(static_cast<size_t>(llmrt_context_n_seq_max(ctx))) {
    thread_ = std::thread([this] { run(); });
}

Scheduler::~Scheduler() { stop(); }

void Scheduler::stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

bool Scheduler::submit(const std::vector<std::shared_ptr<Job>> &jobs) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        const size_t free_slots = slots_.size() - static_cast<size_t>(n_active_);
        if (stopping_ || queue_.size() + jobs.size() > max_queue_ + free_slots) return false;
        queue_.insert(queue_.end(), jobs.begin(), jobs.end());
    }
    wake_.notify_all();
    return true;
}

int Scheduler::active_slots() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return n_active_;
}

int Scheduler::queued() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<int>(queue_.size());
}

bool Scheduler::has_work_locked() const { return n_active_ > 0 || !queue_.empty(); }

void Scheduler::run() {
    while (true) {
        {
            std::unique_lock<std::mutex> lock(mutex_);
            // Jobs still running or queued are finished first: stop() lets in-flight requests end.
            wake_.wait(lock, [&] { return stopping_ || has_work_locked(); });
            if (stopping_ && !has_work_locked()) return;
        }
        try {
            step();
        } catch (const std::exception &e) {
            // Out of memory in a string or vector: the running jobs fail, the server goes on.
            fail_all(std::string("internal error: ") + e.what());
        }
    }
}

void Scheduler::step() {
    drop_cancelled_and_late();
    expire_queued();
    admit();
    Batch batch = build_batch();
    if (batch.tokens.empty()) return;
    // Logits only for the rows a slot samples from: prompt rows before a prompt's last need none.
    std::vector<int8_t> want(batch.tokens.size(), 0);
    for (const Slot &slot : slots_)
        if (slot.job && slot.row >= 0) want[static_cast<size_t>(slot.row)] = 1;
    const llmrt_status status = llmrt_decode_multi_select(ctx_, batch.tokens.data(), batch.seq_ids.data(), want.data(),
                                                          static_cast<int32_t>(batch.tokens.size()));
    if (status != LLMRT_OK) {
        // Nothing was evaluated; the jobs in this batch cannot go on.
        fail_all(last_error("decoding failed", status));
        return;
    }
    sample_rows();
}

void Scheduler::fail_all(const std::string &error) {
    for (size_t seq = 0; seq < slots_.size(); ++seq) {
        if (slots_[seq].job) fail_slot(static_cast<int32_t>(seq), error);
    }
}

// Queued jobs whose client has gone or whose time is up leave the queue.
void Scheduler::expire_queued() {
    std::vector<std::shared_ptr<Job>> late;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        const Clock::time_point now = Clock::now();
        for (auto it = queue_.begin(); it != queue_.end();) {
            if ((*it)->cancelled() || (*it)->settings().deadline <= now) {
                late.push_back(std::move(*it));
                it = queue_.erase(it);
            } else {
                ++it;
            }
        }
    }
    for (const auto &job : late) {
        if (job->cancelled()) {
            job->finish("cancelled");  // its client has gone; nobody reads this
        } else {
            job->fail("timed out waiting for a free slot", 503);
        }
    }
}

void Scheduler::admit() {
    for (size_t seq = 0; seq < slots_.size(); ++seq) {
        Slot &slot = slots_[seq];
        if (slot.job) continue;
        std::shared_ptr<Job> job;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (queue_.empty()) return;
            job = std::move(queue_.front());
            queue_.pop_front();
            ++n_active_;
        }
        const llmrt_sampler_params params = job->settings().bound_sampling();
        llmrt_sampler *sampler = nullptr;
        const llmrt_status status = llmrt_sampler_create(&params, &sampler);
        slot = Slot{};
        slot.job = std::move(job);
        if (status != LLMRT_OK) {
            fail_slot(static_cast<int32_t>(seq), last_error("cannot create the sampler", status));
            continue;
        }
        slot.sampler.reset(sampler);
        std::vector<const char *> stops;
        for (const std::string &s : slot.job->settings().stop) stops.push_back(s.c_str());
        llmrt_text_stream *text = nullptr;
        const llmrt_status text_status = llmrt_text_stream_create(stops.data(), static_cast<int32_t>(stops.size()), &text);
        slot.text.reset(text);
        if (text_status != LLMRT_OK) {
            fail_slot(static_cast<int32_t>(seq), last_error("cannot create the text stream", text_status));
            continue;
        }
        llmrt_seq_remove(ctx_, static_cast<int32_t>(seq));
        metrics_.prompt_tokens += slot.job->settings().prompt.size();
    }
}

void Scheduler::drop_cancelled_and_late() {
    const Clock::time_point now = Clock::now();
    for (size_t seq = 0; seq < slots_.size(); ++seq) {
        Slot &slot = slots_[seq];
        if (!slot.job) continue;
        if (slot.job->cancelled()) {
            end_slot(static_cast<int32_t>(seq), "cancelled");
        } else if (slot.job->settings().deadline <= now) {
            // The request's time is up: it ends as if it had reached max_tokens.
            end_slot(static_cast<int32_t>(seq), "length");
        }
    }
}

Scheduler::Batch Scheduler::build_batch() {
    Batch batch;
    for (size_t seq = 0; seq < slots_.size(); ++seq) {
        Slot &slot = slots_[seq];
        slot.row = -1;
        if (slot.job && slot.next >= 0) {
            slot.row = static_cast<int32_t>(batch.tokens.size());
            batch.tokens.push_back(slot.next);
            batch.seq_ids.push_back(static_cast<int32_t>(seq));
        }
    }
    int32_t budget = prefill_chunk_;
    for (size_t k = 0; k < slots_.size() && budget > 0; ++k) {
        const size_t seq = (prefill_turn_ + k) % slots_.size();
        Slot &slot = slots_[seq];
        if (!slot.job || slot.next >= 0) continue;
        const std::vector<llmrt_token> &prompt = slot.job->settings().prompt;
        const size_t take = std::min(prompt.size() - slot.n_fed, static_cast<size_t>(budget));
        batch.tokens.insert(batch.tokens.end(), prompt.begin() + static_cast<long>(slot.n_fed),
                            prompt.begin() + static_cast<long>(slot.n_fed + take));
        batch.seq_ids.insert(batch.seq_ids.end(), take, static_cast<int32_t>(seq));
        slot.n_fed += take;
        budget -= static_cast<int32_t>(take);
        if (slot.n_fed == prompt.size()) slot.row = static_cast<int32_t>(batch.tokens.size()) - 1;
    }
    prefill_turn_ = (prefill_turn_ + 1) % slots_.size();
    return batch;
}

void Scheduler::sample_rows() {
    for (size_t seq = 0; seq < slots_.size(); ++seq) {
        Slot &slot = slots_[seq];
        if (!slot.job || slot.row < 0) continue;
        const float *logits = llmrt_get_logits_ith(ctx_, slot.row);
        llmrt_token token = -1;
        const llmrt_status status =
            logits ? llmrt_sampler_sample(slot.sampler.get(), logits, n_vocab_, &token) : LLMRT_ERR_INTERNAL;
        if (status != LLMRT_OK) {
            fail_slot(static_cast<int32_t>(seq), last_error("sampling failed", status));
            continue;
        }
        const int32_t top = slot.job->settings().top_logprobs;
        if (top >= 0) {
            const TokenLogprob logprob = logprob_of(model_, logits, n_vocab_, token, top);
            on_token(static_cast<int32_t>(seq), slot, token, &logprob);
        } else {
            on_token(static_cast<int32_t>(seq), slot, token, nullptr);
        }
    }
}

void Scheduler::on_token(int32_t seq, Slot &slot, llmrt_token token, const TokenLogprob *logprob) {
    if (llmrt_token_is_end_of_generation(model_, token)) {
        end_slot(seq, "stop");
        return;
    }
    ++slot.n_generated;
    ++metrics_.generated_tokens;
    slot.job->publish(pushed(slot.text.get(), cli::token_piece(model_, token)), slot.n_generated, logprob);
    if (llmrt_text_stream_stopped(slot.text.get())) {
        end_slot(seq, "stop");
        return;
    }
    const int32_t max_tokens = slot.job->settings().max_tokens;
    // The token just sampled still has to be evaluated: it needs a free position.
    const bool full = llmrt_seq_n_past(ctx_, seq) + 1 > n_ctx_;
    if ((max_tokens > 0 && slot.n_generated >= max_tokens) || full) {
        end_slot(seq, "length");
        return;
    }
    slot.next = token;
}

void Scheduler::end_slot(int32_t seq, const std::string &reason) {
    Slot &slot = slots_[static_cast<size_t>(seq)];
    if (slot.text && !llmrt_text_stream_stopped(slot.text.get())) slot.job->publish(flushed(slot.text.get()), slot.n_generated);
    slot.job->finish(reason);
    release(seq);
}

void Scheduler::fail_slot(int32_t seq, const std::string &error) {
    slots_[static_cast<size_t>(seq)].job->fail(error, 500);
    release(seq);
}

void Scheduler::release(int32_t seq) {
    llmrt_seq_remove(ctx_, seq);
    slots_[static_cast<size_t>(seq)] = Slot{};
    std::lock_guard<std::mutex> lock(mutex_);
    --n_active_;
}

}  // namespace cli::serve
