#include "formats/json_file.h"

#include "core/error.h"
#include "core/mapped_file.h"

namespace llmrt {

nlohmann::json read_json_file(const std::string &path) {
    const MappedFile file(path);
    const char *begin = reinterpret_cast<const char *>(file.data());
    try {
        return nlohmann::json::parse(begin, begin + file.size());
    } catch (const nlohmann::json::exception &e) {
        fail(Status::Format, path + ": not valid JSON: " + e.what());
    }
}

nlohmann::json read_json_object_file(const std::string &path) {
    nlohmann::json j = read_json_file(path);
    require(j.is_object(), Status::Format, path + ": not a JSON object");
    return j;
}

}  // namespace llmrt
