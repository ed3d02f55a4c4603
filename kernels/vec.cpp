#include "kernels/vec.h"

namespace llmrt {

const VecKernels &vec_kernels_for(Isa isa) {
    switch (isa) {
        case Isa::Avx512: return vec_kernels_avx512();
        case Isa::Avx2: return vec_kernels_avx2();
        default: return vec_kernels_scalar();
    }
}

const VecKernels &vec_kernels() {
    static const VecKernels &table = vec_kernels_for(selected_isa());
    return table;
}

}  // namespace llmrt
