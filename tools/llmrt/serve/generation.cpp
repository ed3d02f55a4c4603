#include "generation.h"

#include "format.h"
#include "routes.h"

#include <httplib.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <random>

namespace cli::serve {

using json = nlohmann::ordered_json;

namespace {

using Jobs = std::vector<std::shared_ptr<Job>>;

// A streamed response's progress, shared by httplib's content provider calls.
struct StreamState {
    explicit StreamState(ServerState &server) : in_flight(server) {}
    InFlight in_flight;  // until httplib drops the provider, after the last byte
    Jobs jobs;           // one per choice
    std::vector<JobUpdate> ends;  // each choice's last update once it finished
    std::vector<bool> done;
    ResponseMeta meta;
    int32_t n_prompt = 0;
    bool include_usage = false;
    bool with_logprobs = false;
    std::vector<size_t> text_offset;  // per choice: the bytes of its tokens sent so far (logprobs)
    bool started = false;
    bool logged = false;
};

void send_error(httplib::Response &res, const ApiError &e) {
    res.status = e.status;
    res.set_content(dump(error_json(e)), "application/json");
}

// One line per generation request on stderr; the timing is the first choice's.
void log_request(const ResponseMeta &meta, int32_t n_prompt, const Jobs &jobs, const std::vector<JobUpdate> &ends) {
    int32_t n_generated = 0;
    std::string finish, error;
    for (const JobUpdate &u : ends) {
        n_generated += u.n_generated;
        finish += (finish.empty() ? "" : ",") + (u.error.empty() ? u.finish_reason : std::string("error"));
        if (error.empty() && !u.error.empty()) error = " error=\"" + u.error + "\"";
    }
    const double ttft = jobs[0]->seconds_to_first_token();
    const double gen = jobs[0]->seconds_generating();
    const int32_t first = ends.empty() ? 0 : ends[0].n_generated;
    const double tps = gen > 0.0 && first > 1 ? (first - 1) / gen : 0.0;
    std::fprintf(stderr,
                 "llmrt serve: %s prompt_tokens=%d completion_tokens=%d ttft_ms=%.1f tokens_per_s=%.1f finish=%s%s\n",
                 meta.id.c_str(), n_prompt, n_generated, ttft * 1e3, tps, finish.c_str(), error.c_str());
}

// Choice i of n: the request's sampling, with seed + i so that the answers differ. Without a
// seed, one base seed is drawn for the request (samplers seeded from the clock at the same
// moment could draw alike).
Jobs make_jobs(ServerState &s, const GenerationRequest &r, const Prompt &prompt) {
    JobSettings js;
    js.prompt = prompt.tokens;
    js.sampling = r.sampling;
    js.logit_bias = r.logit_bias;
    js.max_tokens = r.max_tokens;
    js.stop = r.stop;
    js.top_logprobs = r.top_logprobs;
    js.stop.insert(js.stop.end(), prompt.stop.begin(), prompt.stop.end());
    js.deadline = Clock::now() + std::chrono::seconds(s.options.timeout_s);
    if (r.n > 1 && !r.seeded) js.sampling.seed = std::random_device{}();
    Jobs jobs;
    for (int32_t i = 0; i < r.n; ++i) {
        JobSettings choice = js;
        choice.sampling.seed = js.sampling.seed + static_cast<uint64_t>(i);
        jobs.push_back(std::make_shared<Job>(std::move(choice)));
    }
    return jobs;
}

void check_request(const ServerState &s, const GenerationRequest &r, size_t n_prompt) {
    const char *param = r.chat ? "messages" : "prompt";
    if (n_prompt == 0) throw invalid_request("the prompt is empty", param);
    // One position must stay free for the first generated token.
    if (n_prompt >= static_cast<size_t>(s.n_ctx)) {
        throw invalid_request("the prompt has " + std::to_string(n_prompt) + " tokens; this server's context holds " +
                                  std::to_string(s.n_ctx) + ", answer included",
                              param, "context_length_exceeded");
    }
    // The choices of a request run side by side, each in a slot.
    if (r.n > s.options.parallel) {
        throw invalid_request("n is at most the server's --parallel (" + std::to_string(s.options.parallel) + ")",
                              "n");
    }
}

void respond_whole(const Jobs &jobs, const ResponseMeta &meta, int32_t n_prompt, httplib::Response &res) {
    std::vector<Choice> choices(jobs.size());
    std::vector<JobUpdate> ends(jobs.size());
    int32_t n_completion = 0;
    for (size_t i = 0; i < jobs.size(); ++i) {
        choices[i].with_logprobs = jobs[i]->settings().top_logprobs >= 0;
        do {
            ends[i] = jobs[i]->wait(Clock::now() + std::chrono::seconds(1));
            choices[i].text += ends[i].text;
            for (TokenLogprob &t : ends[i].logprobs) choices[i].logprobs.push_back(std::move(t));
        } while (!ends[i].finished);
        choices[i].finish_reason = ends[i].finish_reason;
        n_completion += ends[i].n_generated;
    }
    log_request(meta, n_prompt, jobs, ends);
    for (const JobUpdate &u : ends) {
        if (!u.error.empty()) {
            if (u.error_status == 503) res.set_header("Retry-After", "1");  // it waited too long for a slot
            send_error(res, ApiError(u.error_status, u.error, "server_error"));
            return;
        }
    }
    res.set_content(dump(completion_json(meta, choices, n_prompt, n_completion)), "application/json");
}

// The last events: each choice's finish, the usage if asked, [DONE].
void finish_stream(StreamState &st, httplib::DataSink &sink) {
    auto write = [&](const std::string &event) { return sink.write(event.data(), event.size()); };
    st.logged = true;
    log_request(st.meta, st.n_prompt, st.jobs, st.ends);
    int32_t n_completion = 0;
    for (size_t i = 0; i < st.ends.size(); ++i) {
        const JobUpdate &u = st.ends[i];
        n_completion += u.n_generated;
        if (!u.error.empty()) {
            write(sse_event(error_json(ApiError(u.error_status, u.error, "server_error"))));
        } else {
            write(sse_event(chunk_json(st.meta, static_cast<int>(i), "", false, u.finish_reason)));
        }
    }
    if (st.include_usage) write(sse_event(usage_chunk_json(st.meta, st.n_prompt, n_completion)));
    write(sse_done());
    sink.done();
}

// The logprobs of one chunk of choice i (null when the request did not ask for them).
json chunk_logprobs(StreamState &st, size_t i, const JobUpdate &u) {
    if (!st.with_logprobs) return json();
    json out = logprobs_json(st.meta.chat, u.logprobs, st.text_offset[i]);
    for (const TokenLogprob &t : u.logprobs) st.text_offset[i] += t.token.size();
    return out;
}

// Writes what the jobs produced since the last call; false when the client has gone.
bool stream_step(StreamState &st, httplib::DataSink &sink) {
    auto write = [&](const std::string &event) { return sink.write(event.data(), event.size()); };
    if (!st.started) {
        st.started = true;
        for (size_t i = 0; st.meta.chat && i < st.jobs.size(); ++i) {
            if (!write(sse_event(chunk_json(st.meta, static_cast<int>(i), "", true, "")))) return false;
        }
    }
    // Waits on the first unfinished choice; the others are looked at without waiting.
    bool waited = false;
    for (size_t i = 0; i < st.jobs.size(); ++i) {
        if (st.done[i]) continue;
        const auto until = Clock::now() + std::chrono::milliseconds(waited ? 0 : 100);
        waited = true;
        JobUpdate u = st.jobs[i]->wait(until);
        // Tokens whose text is still held back have their logprobs sent with the next text.
        const bool send = !u.text.empty() || (u.finished && !u.logprobs.empty());
        if (send && !write(sse_event(chunk_json(st.meta, static_cast<int>(i), u.text, false, "", chunk_logprobs(st, i, u))))) {
            return false;
        }
        if (u.finished) {
            st.done[i] = true;
            st.ends[i] = std::move(u);
        }
    }
    if (std::find(st.done.begin(), st.done.end(), false) != st.done.end()) return sink.is_writable();
    finish_stream(st, sink);
    return true;
}

void cancel_all(const Jobs &jobs) {
    for (const auto &job : jobs) job->cancel();
}

void respond_stream(std::shared_ptr<StreamState> st, httplib::Response &res) {
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider(
        "text/event-stream",
        [st](size_t, httplib::DataSink &sink) {
            if (stream_step(*st, sink)) return true;
            cancel_all(st->jobs);  // the client has gone: free its slots at once
            return false;
        },
        // Runs however the response ended; cancelling a finished job does nothing.
        [st](bool) {
            cancel_all(st->jobs);
            if (st->logged) return;
            for (size_t i = 0; i < st->jobs.size(); ++i) {
                if (!st->done[i]) st->ends[i] = st->jobs[i]->wait(Clock::now());
                st->ends[i].finish_reason = "disconnected";
                st->ends[i].error.clear();
            }
            log_request(st->meta, st->n_prompt, st->jobs, st->ends);
        });
}

}  // namespace

void handle_generation(ServerState &s, const httplib::Request &req, httplib::Response &res, bool chat) {
    const InFlight in_flight(s);
    try {
        if (s.draining) {
            res.set_header("Retry-After", "1");
            throw ApiError(503, "the server is shutting down", "server_error", "", "shutting_down");
        }
        const GenerationRequest r = parse_generation_request(parse_json_object(req.body), chat, s.n_vocab);
        const Prompt prompt = s.prompts.build(r);
        const auto n_prompt = static_cast<int32_t>(prompt.tokens.size());
        check_request(s, r, prompt.tokens.size());
        Jobs jobs = make_jobs(s, r, prompt);
        if (!s.scheduler.submit(jobs)) {
            ++s.metrics.requests_rejected;
            res.set_header("Retry-After", "1");
            throw ApiError(503, "the server is busy: every slot and queue place is taken; retry later",
                           "server_error", "", "server_busy");
        }
        ++s.metrics.requests_total;
        const ResponseMeta meta = make_meta(chat, s.model_id, s.next_response++);
        if (!r.stream) {
            respond_whole(jobs, meta, n_prompt, res);
            return;
        }
        auto st = std::make_shared<StreamState>(s);
        st->ends.resize(jobs.size());
        st->done.assign(jobs.size(), false);
        st->jobs = std::move(jobs);
        st->meta = meta;
        st->n_prompt = n_prompt;
        st->include_usage = r.include_usage;
        st->with_logprobs = r.top_logprobs >= 0;
        st->text_offset.assign(st->jobs.size(), 0);
        respond_stream(std::move(st), res);
    } catch (const ApiError &e) {
        send_error(res, e);  // the server's logger writes its line
    } catch (const std::exception &e) {
        send_error(res, ApiError(500, e.what(), "server_error"));
    }
}

}  // namespace cli::serve
