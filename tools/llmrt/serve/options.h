// The settings of `llmrt serve`, filled from the command line by cmd_serve.cpp.
#pragma once

#include <cstdint>
#include <string>

namespace cli::serve {

struct ServeOptions {
    std::string model_path;
    std::string synthetic;           // a random-weight model of a known shape instead (benchmarks)
    std::string host = "127.0.0.1";  // loopback unless asked: the server has no TLS
    int32_t port = 8080;             // 0: any free port (the log line says which)
    int32_t parallel = 4;            // slots: sequences decoded together
    int32_t n_ctx = 0;               // per slot; 0: the library's default
    int32_t n_threads = 0;
    std::string api_key;
    std::string chat_template_path;
    int32_t max_queue = 64;          // requests waiting for a slot before 503
    int32_t timeout_s = 600;         // per request, queue time included
    int32_t max_body = 1 << 20;      // bytes of a request body
    int32_t prefill_chunk = 128;     // prompt tokens per scheduler step, all slots together
};

}  // namespace cli::serve
