#include "formats/safetensors.h"

#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "core/error.h"

namespace llmrt {
namespace {

using nlohmann::json;

// The reference implementation refuses headers above 100 MB; a larger length is corruption.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

struct DataArea {
    const uint8_t *data;
    uint64_t size;
};

bool dtype_from_name(const std::string &name, DType &out) {
    if (name == "F32") {
        out = DType::F32;
    } else if (name == "F16") {
        out = DType::F16;
    } else if (name == "BF16") {
        out = DType::BF16;
    } else if (name == "I32") {
        out = DType::I32;  // GPTQ/AWQ packed weights (formats/hf_quantized.h)
    } else {
        return false;
    }
    return true;
}

// A non-negative JSON integer that fits in int64 (shape dimensions, offsets).
bool is_count(const json &j) {
    return j.is_number_unsigned() &&
           j.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
}

std::vector<int64_t> parse_shape(const json &entry, const std::string &where) {
    auto it = entry.find("shape");
    require(it != entry.end() && it->is_array(), Status::Format, where + " has no \"shape\" array");
    std::vector<int64_t> shape;
    for (const json &d : *it) {
        require(is_count(d), Status::Format,
                where + " shape " + it->dump() + " holds something other than a non-negative integer");
        shape.push_back(d.get<int64_t>());
    }
    return shape;
}

TensorView parse_entry(const std::string &path, const std::string &name, const json &entry,
                       const DataArea &area) {
    const std::string where = path + ": tensor '" + name + "'";
    require(entry.is_object(), Status::Format, where + " is not described by a JSON object");

    TensorView t;
    t.name = name;
    auto dtype = entry.find("dtype");
    require(dtype != entry.end() && dtype->is_string(), Status::Format, where + " has no \"dtype\" string");
    if (!dtype_from_name(dtype->get<std::string>(), t.dtype)) {
        fail(Status::Unsupported, where + " has dtype " + dtype->get<std::string>() +
                                        ", which is not supported (F32, F16, BF16 and I32 are)");
    }
    t.shape = parse_shape(entry, where);

    auto offsets = entry.find("data_offsets");
    require(offsets != entry.end() && offsets->is_array() && offsets->size() == 2 &&
                is_count((*offsets)[0]) && is_count((*offsets)[1]),
            Status::Format, where + " has no \"data_offsets\" pair of non-negative integers");
    const uint64_t begin = (*offsets)[0].get<uint64_t>();
    const uint64_t end = (*offsets)[1].get<uint64_t>();
    require(begin <= end && end <= area.size, Status::Format,
            where + " data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                ") lie outside the data area (" + std::to_string(area.size) + " bytes)");

    int64_t n = 0;
    require(checked_element_count(t.shape, n) && checked_dtype_bytes(t.dtype, n, t.nbytes), Status::Format,
            where + " shape " + shape_to_string(t.shape) + " is too large");
    require(t.nbytes == end - begin, Status::Format,
            where + " shape " + shape_to_string(t.shape) + " of " + dtype_name(t.dtype) + " needs " +
                std::to_string(t.nbytes) + " bytes but data_offsets [" + std::to_string(begin) + ", " +
                std::to_string(end) + ") hold " + std::to_string(end - begin));
    t.data = area.data + begin;
    return t;
}

}  // namespace

std::vector<TensorView> read_safetensors(const MappedFile &file) {
    const std::string &path = file.path();
    const uint64_t size = file.size();
    require(size >= 8, Status::Format,
            path + ": too small for a safetensors file (" + std::to_string(size) + " bytes)");
    uint64_t header_len = 0;
    for (int i = 0; i < 8; ++i) header_len |= static_cast<uint64_t>(file.data()[i]) << (8 * i);
    require(header_len <= kMaxHeaderBytes, Status::Format,
            path + ": header length " + std::to_string(header_len) + " is not sane (the limit is " +
                std::to_string(kMaxHeaderBytes) + ")");
    require(header_len <= size - 8, Status::Format,
            path + ": header length " + std::to_string(header_len) + " exceeds the file (" +
                std::to_string(size) + " bytes)");

    const char *text = reinterpret_cast<const char *>(file.data() + 8);
    const json header = json::parse(text, text + header_len, nullptr, /*allow_exceptions=*/false);
    require(!header.is_discarded(), Status::Format, path + ": header is not valid JSON");
    require(header.is_object(), Status::Format, path + ": header is not a JSON object");

    const DataArea area{file.data() + 8 + header_len, size - 8 - header_len};
    std::vector<TensorView> tensors;
    for (const auto &item : header.items()) {
        if (item.key() == "__metadata__") continue;  // free-form string map; nothing we need
        tensors.push_back(parse_entry(path, item.key(), item.value(), area));
    }
    return tensors;
}

}  // namespace llmrt
