#include "core/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace llmrt {
namespace {

// The sink is process-wide by design (like llama_log_set); guarded so any thread may log.
struct LogSink {
    std::mutex mutex;
    llmrt_log_callback callback = nullptr;
    void *user_data = nullptr;
    std::atomic<int32_t> level{LLMRT_LOG_WARN};
};

LogSink &sink() {
    static LogSink instance;
    return instance;
}

const char *level_name(int32_t level) {
    switch (level) {
        case LLMRT_LOG_DEBUG: return "debug";
        case LLMRT_LOG_INFO: return "info";
        case LLMRT_LOG_WARN: return "warning";
        default: return "error";
    }
}

}  // namespace

void log_message(int32_t level, const std::string &message) {
    LogSink &s = sink();
    if (level < s.level.load(std::memory_order_relaxed)) return;
    // Set while this thread runs the callback: what the callback itself logs goes to stderr, so
    // a callback that logs (or calls into llmrt) cannot recurse without end.
    thread_local bool in_callback = false;
    llmrt_log_callback callback;
    void *user_data;
    {
        std::lock_guard<std::mutex> lock(s.mutex);
        callback = s.callback;
        user_data = s.user_data;
    }
    // Called without the lock: a callback may set the callback or log from other threads.
    if (callback && !in_callback) {
        in_callback = true;
        callback(level, message.c_str(), user_data);
        in_callback = false;
    } else {
        std::fprintf(stderr, "llmrt %s: %s\n", level_name(level), message.c_str());
    }
}

void set_log_callback(llmrt_log_callback callback, void *user_data) {
    LogSink &s = sink();
    std::lock_guard<std::mutex> lock(s.mutex);
    s.callback = callback;
    s.user_data = user_data;
}

void set_log_level(int32_t level) { sink().level.store(level, std::memory_order_relaxed); }

}  // namespace llmrt
