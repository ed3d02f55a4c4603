// The HTTP routes of `llmrt serve` on a cpp-httplib server: OpenAI's /v1/chat/completions,
// /v1/completions and /v1/models, and /health, /tokenize, /detokenize, /metrics. Each handler
// catches everything: a bad request is answered with OpenAI's error object, never a crash.
#pragma once

#include "metrics.h"
#include "options.h"
#include "prompt.h"
#include "scheduler.h"

#include <atomic>
#include <string>

namespace httplib {
class Server;
}

namespace cli::serve {

// What the handlers share; lives as long as the server.
struct ServerState {
    const ServeOptions &options;
    const llmrt_model *model;
    std::string model_id;       // what /v1/models lists and responses name
    int32_t n_ctx;              // per slot
    int32_t n_vocab;
    PromptBuilder prompts;
    Scheduler &scheduler;
    Metrics &metrics;
    std::atomic<uint64_t> next_response{1};
    // Shutdown: once draining, new generation requests get 503; in_flight counts those still
    // answering (a stream until its last byte), which the server waits for before it stops.
    std::atomic<bool> draining{false};
    std::atomic<int> in_flight{0};
};

// Holds one count of ServerState::in_flight while alive.
class InFlight {
public:
    explicit InFlight(ServerState &state) : state_(state) { ++state_.in_flight; }
    ~InFlight() { --state_.in_flight; }
    InFlight(const InFlight &) = delete;
    InFlight &operator=(const InFlight &) = delete;

private:
    ServerState &state_;
};

void install_routes(httplib::Server &server, ServerState &state);

}  // namespace cli::serve
