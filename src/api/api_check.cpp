// Verifying an llmrt file's checksums without loading the model.
#include "api/handles.h"
#include "formats/llmrt_file.h"

using llmrt::guarded;
using llmrt::require_arg;

extern "C" {

llmrt_status llmrt_check_file(const char *path, llmrt_check_callback callback, void *user_data) {
    return guarded([&] {
        require_arg(path != nullptr && *path != '\0', "path is NULL or empty");
        llmrt::LlmrtCheckVisitor visit;
        if (callback) {
            visit = [callback, user_data](const char *kind, const std::string &name, bool intact) {
                return callback(kind, name.c_str(), intact ? 1 : 0, user_data) == 0;
            };
        }
        llmrt::check_llmrt_file(path, visit);
    });
}

}  // extern "C"
