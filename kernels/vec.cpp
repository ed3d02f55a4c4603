#include "kernels/vec.h"

#include "kernels/cpu_features.h"

namespace llmrt {
namespace {

const VecKernels &choose() {
    switch (selected_isa()) {
        case Isa::Avx512: return vec_kernels_avx512();
        case Isa::Avx2: return vec_kernels_avx2();
        default: return vec_kernels_scalar();
    }
}

}  // namespace

const VecKernels &vec_kernels() {
    static const VecKernels &table = choose();
    return table;
}

}  // namespace llmrt
