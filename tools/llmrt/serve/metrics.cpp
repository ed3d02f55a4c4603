#include "metrics.h"

namespace cli::serve {

namespace {

void add(std::string &out, const char *name, const char *type, const char *help, uint64_t value) {
    out += std::string("# HELP llmrt_") + name + " " + help + "\n";
    out += std::string("# TYPE llmrt_") + name + " " + type + "\n";
    out += std::string("llmrt_") + name + " " + std::to_string(value) + "\n";
}

}  // namespace

std::string Metrics::prometheus_text(int active_slots, int queued) const {
    std::string out;
    add(out, "requests_total", "counter", "Generation requests accepted.", requests_total.load());
    add(out, "requests_rejected_total", "counter", "Generation requests refused because the queue was full.",
        requests_rejected.load());
    add(out, "prompt_tokens_total", "counter", "Prompt tokens evaluated.", prompt_tokens.load());
    add(out, "tokens_generated_total", "counter", "Tokens generated.", generated_tokens.load());
    add(out, "active_slots", "gauge", "Slots running a request.", static_cast<uint64_t>(active_slots));
    add(out, "queue_length", "gauge", "Requests waiting for a slot.", static_cast<uint64_t>(queued));
    return out;
}

}  // namespace cli::serve
