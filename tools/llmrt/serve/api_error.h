// A request the server refuses, with what OpenAI's error object carries. Thrown while a request
// is parsed and caught by the route that handles it, which answers with the status and object.
#pragma once

#include <stdexcept>
#include <string>

namespace cli::serve {

struct ApiError : std::runtime_error {
    ApiError(int status, const std::string &message, std::string type, std::string param = "",
             std::string code = "")
        : std::runtime_error(message), status(status), type(std::move(type)), param(std::move(param)),
          code(std::move(code)) {}
    int status;
    std::string type;   // "invalid_request_error", "authentication_error", "server_error", ...
    std::string param;  // the request field at fault; "" for none
    std::string code;   // a machine-readable reason; "" for none
};

// 400 invalid_request_error naming the field at fault.
inline ApiError invalid_request(const std::string &message, const std::string &param = "",
                                const std::string &code = "") {
    return ApiError(400, message, "invalid_request_error", param, code);
}

}  // namespace cli::serve
