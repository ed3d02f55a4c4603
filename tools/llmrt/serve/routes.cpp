#include "routes.h"

#include "format.h"
#include "generation.h"
#include "request.h"
#include "../library.h"

#include <httplib.h>

#include <chrono>
#include <cstdio>

namespace cli::serve {

using json = nlohmann::ordered_json;

namespace {

void send_json(httplib::Response &res, const json &value, int status = 200) {
    res.status = status;
    res.set_content(dump(value), "application/json");
}

void send_error(httplib::Response &res, const ApiError &e) { send_json(res, error_json(e), e.status); }

// Compares in time that depends on the expected key's length only, so a client cannot find the
// key byte by byte from response times.
bool same_key(const std::string &given, const std::string &expected) {
    unsigned char diff = given.size() == expected.size() ? 0 : 1;
    for (size_t i = 0; i < expected.size(); ++i) {
        const unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
        diff |= static_cast<unsigned char>(g ^ static_cast<unsigned char>(expected[i]));
    }
    return diff == 0;
}

bool is_generation_path(const std::string &path) {
    return path == "/v1/chat/completions" || path == "/chat/completions" || path == "/v1/completions" ||
           path == "/completions";
}

httplib::Server::HandlerResponse authorize(const ServerState &s, const httplib::Request &req,
                                           httplib::Response &res) {
    if (s.options.api_key.empty() || req.path == "/health") return httplib::Server::HandlerResponse::Unhandled;
    const std::string header = req.get_header_value("Authorization");
    const std::string prefix = "Bearer ";
    const bool ok = header.compare(0, prefix.size(), prefix) == 0 && same_key(header.substr(prefix.size()), s.options.api_key);
    if (ok) return httplib::Server::HandlerResponse::Unhandled;
    send_error(res, ApiError(401, "invalid or missing API key (Authorization: Bearer KEY)", "authentication_error", "",
                             "invalid_api_key"));
    return httplib::Server::HandlerResponse::Handled;
}

// Wraps a handler so that whatever it throws becomes OpenAI's error object.
template <typename Handler>
httplib::Server::Handler guarded(Handler handler) {
    return [handler](const httplib::Request &req, httplib::Response &res) {
        try {
            handler(req, res);
        } catch (const ApiError &e) {
            send_error(res, e);
        } catch (const std::exception &e) {
            send_error(res, ApiError(500, e.what(), "server_error"));
        }
    };
}

json models_json(const ServerState &s) {
    const int64_t now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    return {{"object", "list"},
            {"data", json::array({{{"id", s.model_id}, {"object", "model"}, {"created", now}, {"owned_by", "llmrt"},
                                   {"meta", {{"n_ctx", s.n_ctx}, {"n_vocab", s.n_vocab},
                                             {"n_parallel", s.options.parallel}}}}})}};
}

std::string detokenize(const llmrt_model *model, const std::vector<llmrt_token> &ids) {
    size_t length = 0;
    std::string text(ids.size() * 8 + 16, '\0');
    llmrt_status status = llmrt_detokenize_v2(model, ids.data(), static_cast<int32_t>(ids.size()), 0, text.data(),
                                              text.size(), &length);
    if (status == LLMRT_ERR_BUFFER_TOO_SMALL) {
        text.resize(length + 1);
        status = llmrt_detokenize_v2(model, ids.data(), static_cast<int32_t>(ids.size()), 0, text.data(), text.size(),
                                     &length);
    }
    if (status != LLMRT_OK) throw ApiError(500, llmrt_last_error(), "server_error");
    text.resize(length);
    return text;
}

void install_info_routes(httplib::Server &server, ServerState &s) {
    server.Get("/health", [](const httplib::Request &, httplib::Response &res) { send_json(res, {{"status", "ok"}}); });
    const auto models = [&s](const httplib::Request &, httplib::Response &res) { send_json(res, models_json(s)); };
    server.Get("/v1/models", models);
    server.Get("/models", models);
    server.Get("/metrics", [&s](const httplib::Request &, httplib::Response &res) {
        res.set_content(s.metrics.prometheus_text(s.scheduler.active_slots(), s.scheduler.queued()),
                        "text/plain; version=0.0.4");
    });
}

void install_token_routes(httplib::Server &server, ServerState &s) {
    server.Post("/tokenize", guarded([&s](const httplib::Request &req, httplib::Response &res) {
        const json body = parse_json_object(req.body);
        const std::string content = parse_tokenize_content(body);
        std::vector<llmrt_token> ids;
        try {
            ids = cli::tokenize(s.model, content, parse_add_special(body));
        } catch (const std::exception &e) {
            throw invalid_request(e.what(), "content");
        }
        send_json(res, {{"tokens", ids}});
    }));
    server.Post("/detokenize", guarded([&s](const httplib::Request &req, httplib::Response &res) {
        const json body = parse_json_object(req.body);
        if (!body.contains("tokens")) throw invalid_request("'tokens' is required", "tokens");
        send_json(res, {{"content", detokenize(s.model, parse_token_ids(body["tokens"], "tokens", s.n_vocab))}});
    }));
}

void install_generation_routes(httplib::Server &server, ServerState &s) {
    for (const char *path : {"/v1/chat/completions", "/chat/completions"}) {
        server.Post(path, [&s](const httplib::Request &req, httplib::Response &res) { handle_generation(s, req, res, true); });
    }
    for (const char *path : {"/v1/completions", "/completions"}) {
        server.Post(path, [&s](const httplib::Request &req, httplib::Response &res) { handle_generation(s, req, res, false); });
    }
}

}  // namespace

void install_routes(httplib::Server &server, ServerState &s) {
    server.set_pre_routing_handler(
        [&s](const httplib::Request &req, httplib::Response &res) { return authorize(s, req, res); });
    install_info_routes(server, s);
    install_token_routes(server, s);
    install_generation_routes(server, s);
    // httplib's own errors (404, 413 body too large, 400 unparsable request) get OpenAI's object;
    // responses that already have one keep it.
    server.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request &req,
                                                                     httplib::Response &res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        const std::string message = res.status == 404   ? "no route " + req.method + " " + req.path
                                    : res.status == 413 ? "the request body is too large"
                                                        : "the request was refused";
        send_error(res, ApiError(res.status, message, "invalid_request_error", "",
                                 res.status == 404 ? "not_found" : ""));
        return httplib::Server::HandlerResponse::Handled;
    }));
    // The generation routes log their own line with token counts and timing.
    server.set_logger([](const httplib::Request &req, const httplib::Response &res) {
        if (is_generation_path(req.path) && res.status < 400) return;
        std::fprintf(stderr, "llmrt serve: %s %s %d\n", req.method.c_str(), req.path.c_str(), res.status);
    });
}

}  // namespace cli::serve
