// The text stream handle: the runtime's TextStream (what a generation streams through) for
// callers with their own decode loop.
#include "api/handles.h"
#include "runtime/text_stream.h"

using llmrt::guarded;
using llmrt::require_arg;

struct llmrt_text_stream {
    llmrt::TextStream impl;
    std::string text;  // what the last push or flush returned
};

extern "C" {

llmrt_status llmrt_text_stream_create(const char *const *stop_strings, int32_t n_stop_strings,
                                      llmrt_text_stream **out) {
    return guarded([&] {
        require_arg(out != nullptr, "out must not be NULL");
        *out = nullptr;
        require_arg(n_stop_strings >= 0 && (stop_strings || n_stop_strings == 0), "invalid stop strings");
        std::vector<std::string> stops;
        for (int32_t i = 0; i < n_stop_strings; ++i) {
            require_arg(stop_strings[i] != nullptr && *stop_strings[i] != '\0', "a stop string is NULL or empty");
            stops.emplace_back(stop_strings[i]);
        }
        *out = new llmrt_text_stream{llmrt::TextStream(std::move(stops)), {}};
    });
}

void llmrt_text_stream_free(llmrt_text_stream *stream) { delete stream; }

llmrt_status llmrt_text_stream_push(llmrt_text_stream *stream, const char *bytes, size_t len, const char **text,
                                    size_t *text_len) {
    return guarded([&] {
        require_arg(stream && text && text_len && (bytes || len == 0), "stream, text and text_len must not be NULL");
        stream->text = stream->impl.stopped() ? std::string() : stream->impl.push(std::string(bytes ? bytes : "", len));
        *text = stream->text.c_str();
        *text_len = stream->text.size();
    });
}

int32_t llmrt_text_stream_stopped(const llmrt_text_stream *stream) { return stream && stream->impl.stopped() ? 1 : 0; }

llmrt_status llmrt_text_stream_flush(llmrt_text_stream *stream, const char **text, size_t *text_len) {
    return guarded([&] {
        require_arg(stream && text && text_len, "stream, text and text_len must not be NULL");
        stream->text = stream->impl.flush();
        *text = stream->text.c_str();
        *text_len = stream->text.size();
    });
}

}  // extern "C"
