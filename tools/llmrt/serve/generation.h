// The two generation routes, /v1/completions and /v1/chat/completions: a request becomes a job
// for the scheduler, and the job's text becomes one JSON response or a stream of server-sent
// events in OpenAI's chunk format ending with "data: [DONE]".
#pragma once

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace cli::serve {

struct ServerState;

void handle_generation(ServerState &state, const httplib::Request &req, httplib::Response &res, bool chat);

}  // namespace cli::serve
