// llmrt serve: an OpenAI-compatible HTTP server (tools/llmrt/serve/). One model, one context
// whose sequences are the server's slots, a scheduler thread doing continuous batching over them,
// and cpp-httplib's worker threads for the connections. Built on the public C API only.
//
// Shutdown: SIGINT or SIGTERM stops accepting connections, lets the requests in flight finish,
// and exits 0. A second Ctrl-C exits at once (130), as elsewhere in the tool.
#include "args.h"
#include "interrupt.h"
#include "library.h"
#include "quant_flags.h"
#include "serve/options.h"
#include "serve/routes.h"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

namespace cli {

namespace {

using serve::ServeOptions;

// SIGTERM's handler can only set a flag; the main thread polls it (SIGINT goes through the
// tool's interrupt watcher instead).
volatile std::sig_atomic_t g_terminate = 0;

extern "C" void on_sigterm(int) { g_terminate = 1; }

void add_options(ArgParser &args, ServeOptions &o) {
    args.string("-m", "--model", "PATH", "model: GGUF file, llmrt file or Hugging Face directory", &o.model_path);
    const std::string synthetic_help = synthetic_shapes_help() + " instead of -m (for load tests)";
    args.string(nullptr, "--synthetic", "NAME", synthetic_help.c_str(), &o.synthetic);
    args.string(nullptr, "--host", "ADDR", "address to listen on", &o.host);
    args.integer(nullptr, "--port", "N", "port to listen on; 0 = any free one (logged)", &o.port, 0, 65535);
    args.integer(nullptr, "--parallel", "N", "requests decoded together (slots)", &o.parallel, 1, LLMRT_MAX_SEQUENCES);
    args.integer("-c", "--ctx-size", "N", "context window of each slot; 0 = the model's (capped)", &o.n_ctx, 0, 1 << 24);
    args.integer("-t", "--threads", "N", "threads; 0 = all cores", &o.n_threads, 0, LLMRT_MAX_THREADS);
    args.string(nullptr, "--api-key", "KEY", "require 'Authorization: Bearer KEY' (all routes but /health)", &o.api_key);
    args.string(nullptr, "--chat-template", "FILE", "chat template (Jinja) instead of the model's", &o.chat_template_path);
    args.integer(nullptr, "--max-queue", "N", "requests that may wait for a slot; more get 503", &o.max_queue, 0, 4096);
    args.integer(nullptr, "--timeout", "S", "most seconds a request may take, waiting included", &o.timeout_s, 1,
                 1 << 24);
    args.integer(nullptr, "--max-body", "BYTES", "largest request body accepted (413 above)", &o.max_body, 64,
                 1 << 30);
    args.integer(nullptr, "--prefill-chunk", "N", "prompt tokens evaluated per step, all slots together",
                 &o.prefill_chunk, 1, 1 << 16);
}

// The model's name in responses: its file or directory name.
std::string model_id(const ServeOptions &o) {
    if (!o.synthetic.empty()) return "synthetic-" + o.synthetic;
    std::string p = o.model_path;
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    const size_t slash = p.find_last_of('/');
    return slash == std::string::npos ? p : p.substr(slash + 1);
}

void configure(httplib::Server &server, const ServeOptions &o) {
    server.set_payload_max_length(static_cast<size_t>(o.max_body));
    // Headers and body go out in separate writes: without this, Nagle's algorithm holds the body
    // until the client's delayed ACK of the headers (40 ms a response).
    server.set_tcp_nodelay(true);
    // Every running and queued request holds a connection thread while it waits; a few more
    // keep /health and /metrics answering when all of them are taken.
    const size_t threads = static_cast<size_t>(o.parallel + o.max_queue + 4);
    server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
}

int bind(httplib::Server &server, const ServeOptions &o) {
    const int port = o.port == 0 ? server.bind_to_any_port(o.host) : (server.bind_to_port(o.host, o.port) ? o.port : -1);
    if (port < 0) throw std::runtime_error("cannot listen on " + o.host + ":" + std::to_string(o.port));
    return port;
}

bool shutdown_requested() { return g_terminate != 0 || interrupt_requested(); }

// Refuses new generation requests and waits for those in flight (at most their time limit).
void drain(serve::ServerState &state, const ServeOptions &o) {
    state.draining = true;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(o.timeout_s + 5);
    while (state.in_flight > 0 && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

}  // namespace

int run_serve(int argc, char **argv) {
    ServeOptions o;
    ArgParser args("serve", "-m PATH | --synthetic NAME [--host ADDR] [--port N] [--parallel N] [-c N] [-t N] [--api-key KEY] ...",
                   "Serves the model over HTTP with OpenAI's API: /v1/chat/completions, /v1/completions, "
                   "/v1/models, and /health, /tokenize, /detokenize, /metrics.");
    add_options(args, o);
    QuantFlags quant_flags;
    add_quant_flags(args, &quant_flags, QuantFlagUse::Load);
    if (!args.parse(argc, argv)) return 0;
    if (args.given("--model") == args.given("--synthetic")) {
        throw UsageError("give exactly one of -m/--model and --synthetic");
    }
    const QuantSettings quant = quant_settings(args, quant_flags, QuantFlagUse::Load).front();

    ModelPtr model = open_model(o.model_path, o.synthetic, 42, quant);
    ContextOptions context_options;
    context_options.n_ctx = o.n_ctx;
    context_options.n_threads = o.n_threads;
    context_options.n_seq_max = o.parallel;
    ContextPtr ctx = create_context(model.get(), context_options);
    serve::PromptBuilder prompts(model.get(), o.chat_template_path.empty() ? "" : read_file(o.chat_template_path));
    if (!prompts.has_template()) {
        std::fprintf(stderr, "llmrt serve: warning: the model has no chat template; chat requests use a plain "
                             "\"User: ...\\nAssistant:\" transcript (give one with --chat-template FILE)\n");
    }
    serve::Metrics metrics;
    serve::Scheduler scheduler(model.get(), ctx.get(), o.prefill_chunk, o.max_queue, metrics);
    serve::ServerState state{o, model.get(), model_id(o), llmrt_context_n_ctx(ctx.get()),
                             llmrt_model_n_vocab(model.get()), prompts, scheduler, metrics};

    httplib::Server server;
    configure(server, o);
    serve::install_routes(server, state);
    const int port = bind(server, o);

    StopOnInterrupt ctrl_c_stops;  // the first Ctrl-C only raises the flag polled below
    std::signal(SIGTERM, on_sigterm);
    std::signal(SIGPIPE, SIG_IGN);  // a client that hangs up is a failed write, not a fatal signal
    std::atomic<bool> listening_ended{false};
    std::thread listener([&] {
        server.listen_after_bind();
        listening_ended = true;
    });
    std::fprintf(stderr, "llmrt serve: listening on http://%s:%d (%d slots of %d tokens)\n", o.host.c_str(), port,
                 o.parallel, state.n_ctx);
    while (!shutdown_requested() && !listening_ended) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const bool failed = !shutdown_requested();  // the listener ended by itself
    std::fprintf(stderr, "llmrt serve: %s; finishing the requests in flight\n",
                 failed ? "error: the server stopped listening" : "shutting down");
    drain(state, o);
    server.stop();  // closes the connections: httplib would cut a stream still running
    listener.join();
    scheduler.stop();
    std::fprintf(stderr, "llmrt serve: stopped\n");
    return failed ? 1 : 0;
}

}  // namespace cli
