#include "kernels/weight_types.h"

#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include "kernels/kernel_table.h"
#include "kernels/quant_families.h"

namespace llmrt {
namespace {

bool is_integer(QuantKind k) { return k == QuantKind::Int8 || k == QuantKind::Int4; }

// Types live for the process: matrices anywhere may point at them.
class Registry {
public:
    const WeightType &get(const QuantFormat &format, ComputeDtype compute) {
        const bool integer = is_integer(format.kind);
        // Keyed by what the type will run, so every request that ends on the same kernel shares one type.
        const ComputeDtype resolved = resolve_compute(integer ? KernelFamily::Int : KernelFamily::Lut, compute);
        const auto key = std::make_pair(quant_format_name(format), static_cast<int>(resolved));
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = types_.find(key);
        if (it == types_.end()) {
            auto made = integer ? make_int_weight_type(format, resolved) : make_lut_weight_type(format, resolved);
            it = types_.emplace(key, std::move(made)).first;
        }
        return *it->second;
    }

private:
    std::mutex mutex_;
    std::map<std::pair<std::string, int>, std::unique_ptr<WeightType>> types_;
};

Registry &registry() {
    static Registry instance;
    return instance;
}

}  // namespace

const WeightType &weight_type_for(const QuantFormat &format, ComputeDtype compute) {
    return registry().get(format, compute);
}

const WeightType *find_weight_type(const std::string &name, ComputeDtype compute) {
    if (name == "f32") return &weight_type_f32();
    const auto format = parse_quant_format(name);
    return format ? &weight_type_for(*format, compute) : nullptr;
}

QuantFormat gguf_block_format(GgufBlockType type) {
    QuantFormat f;
    f.group_size = 32;
    f.scale = ScaleDtype::F16;  // the blocks' own scales: no growth, no rounding
    f.kind = type == GgufBlockType::Q8_0 ? QuantKind::Int8 : QuantKind::Int4;
    f.asym = type == GgufBlockType::Q4_1;
    return f;
}

std::optional<GgufBlockType> gguf_block_type_for(const QuantFormat &format) {
    for (GgufBlockType t : {GgufBlockType::Q8_0, GgufBlockType::Q4_0, GgufBlockType::Q4_1})
        if (gguf_block_format(t) == format) return t;
    return std::nullopt;
}

}  // namespace llmrt
