#include "generation.h"

#include "format.h"
#include "routes.h"

#include <httplib.h>

#include <cstdio>
#include <memory>

namespace cli::serve {

using json = nlohmann::ordered_json;

namespace {

// A streamed response's progress, shared by httplib's content provider calls.
struct StreamState {
    explicit StreamState(ServerState &server) : in_flight(server) {}
    InFlight in_flight;  // until httplib drops the provider, after the last byte
    std::shared_ptr<Job> job;
    ResponseMeta meta;
    int32_t n_prompt = 0;
    bool include_usage = false;
    bool role_sent = false;
    bool logged = false;
};

void send_error(httplib::Response &res, const ApiError &e) {
    res.status = e.status;
    res.set_content(dump(error_json(e)), "application/json");
}

// One line per generation request on stderr.
void log_request(const ResponseMeta &meta, int32_t n_prompt, const JobUpdate &end, const Job &job) {
    const double ttft = job.seconds_to_first_token();
    const double gen = job.seconds_generating();
    const double tps = gen > 0.0 && end.n_generated > 1 ? (end.n_generated - 1) / gen : 0.0;
    std::fprintf(stderr,
                 "llmrt serve: %s prompt_tokens=%d completion_tokens=%d ttft_ms=%.1f tokens_per_s=%.1f finish=%s%s\n",
                 meta.id.c_str(), n_prompt, end.n_generated, ttft * 1e3, tps,
                 end.error.empty() ? end.finish_reason.c_str() : "error",
                 end.error.empty() ? "" : (" error=\"" + end.error + "\"").c_str());
}

std::shared_ptr<Job> make_job(ServerState &s, const GenerationRequest &r, Prompt prompt) {
    JobSettings js;
    js.prompt = std::move(prompt.tokens);
    js.sampling = r.sampling;
    js.logit_bias = r.logit_bias;
    js.max_tokens = r.max_tokens;
    js.stop = r.stop;
    js.stop.insert(js.stop.end(), prompt.stop.begin(), prompt.stop.end());
    js.deadline = Clock::now() + std::chrono::seconds(s.options.timeout_s);
    return std::make_shared<Job>(std::move(js));
}

void check_prompt_length(const ServerState &s, const GenerationRequest &r, size_t n_prompt) {
    const char *param = r.chat ? "messages" : "prompt";
    if (n_prompt == 0) throw invalid_request("the prompt is empty", param);
    // One position must stay free for the first generated token.
    if (n_prompt >= static_cast<size_t>(s.n_ctx)) {
        throw invalid_request("the prompt has " + std::to_string(n_prompt) + " tokens; this server's context holds " +
                                  std::to_string(s.n_ctx) + ", answer included",
                              param, "context_length_exceeded");
    }
}

void respond_whole(const std::shared_ptr<Job> &job, const ResponseMeta &meta, int32_t n_prompt,
                   httplib::Response &res) {
    std::string text;
    JobUpdate u;
    do {
        u = job->wait(Clock::now() + std::chrono::seconds(1));
        text += u.text;
    } while (!u.finished);
    log_request(meta, n_prompt, u, *job);
    if (!u.error.empty()) {
        send_error(res, ApiError(u.error_status, u.error, "server_error"));
        return;
    }
    res.set_content(dump(completion_json(meta, text, u.finish_reason, n_prompt, u.n_generated)), "application/json");
}

// Writes what the job produced since the last call; false when the client has gone.
bool stream_step(StreamState &st, httplib::DataSink &sink) {
    auto write = [&](const std::string &event) { return sink.write(event.data(), event.size()); };
    if (!st.role_sent) {
        st.role_sent = true;
        if (st.meta.chat && !write(sse_event(chunk_json(st.meta, "", true, "")))) return false;
    }
    const JobUpdate u = st.job->wait(Clock::now() + std::chrono::milliseconds(200));
    if (!u.text.empty() && !write(sse_event(chunk_json(st.meta, u.text, false, "")))) return false;
    if (!u.finished) return sink.is_writable();
    st.logged = true;
    log_request(st.meta, st.n_prompt, u, *st.job);
    if (!u.error.empty()) {
        write(sse_event(error_json(ApiError(u.error_status, u.error, "server_error"))));
    } else {
        write(sse_event(chunk_json(st.meta, "", false, u.finish_reason)));
        if (st.include_usage) write(sse_event(usage_chunk_json(st.meta, st.n_prompt, u.n_generated)));
    }
    write(sse_done());
    sink.done();
    return true;
}

void respond_stream(std::shared_ptr<StreamState> st, httplib::Response &res) {
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider(
        "text/event-stream",
        [st](size_t, httplib::DataSink &sink) {
            if (stream_step(*st, sink)) return true;
            st->job->cancel();  // the client has gone: free its slot at once
            return false;
        },
        // Runs however the response ended; cancelling a finished job does nothing.
        [st](bool) {
            st->job->cancel();
            if (st->logged) return;
            JobUpdate u = st->job->wait(Clock::now());
            u.finish_reason = "disconnected";
            u.error.clear();
            log_request(st->meta, st->n_prompt, u, *st->job);
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
        Prompt prompt = s.prompts.build(r);
        const auto n_prompt = static_cast<int32_t>(prompt.tokens.size());
        check_prompt_length(s, r, prompt.tokens.size());
        std::shared_ptr<Job> job = make_job(s, r, std::move(prompt));
        if (!s.scheduler.submit(job)) {
            ++s.metrics.requests_rejected;
            res.set_header("Retry-After", "1");
            send_error(res, ApiError(503, "the server is busy: every slot and queue place is taken; retry later",
                                     "server_error", "", "server_busy"));
            return;
        }
        ++s.metrics.requests_total;
        const ResponseMeta meta = make_meta(chat, s.model_id, s.next_response++);
        if (!r.stream) {
            respond_whole(job, meta, n_prompt, res);
            return;
        }
        auto st = std::make_shared<StreamState>(s);
        st->job = std::move(job);
        st->meta = meta;
        st->n_prompt = n_prompt;
        st->include_usage = r.include_usage;
        respond_stream(std::move(st), res);
    } catch (const ApiError &e) {
        send_error(res, e);  // the server's logger writes its line
    } catch (const std::exception &e) {
        send_error(res, ApiError(500, e.what(), "server_error"));
    }
}

}  // namespace cli::serve
