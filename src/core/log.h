// Process-wide logging routed to the user's llmrt_set_log_callback (default: stderr, warn+).
#pragma once

#include <string>

#include "llmrt.h"

namespace llmrt {

void log_message(int32_t level, const std::string &message);
inline void log_debug(const std::string &m) { log_message(LLMRT_LOG_DEBUG, m); }
inline void log_info(const std::string &m) { log_message(LLMRT_LOG_INFO, m); }
inline void log_warn(const std::string &m) { log_message(LLMRT_LOG_WARN, m); }
inline void log_error(const std::string &m) { log_message(LLMRT_LOG_ERROR, m); }

void set_log_callback(llmrt_log_callback callback, void *user_data);
void set_log_level(int32_t level);

}  // namespace llmrt
