// The families of quantized weight types behind weight_type_for(). Each family is one file
// with its formats' layouts and pack/unpack; its kernels are rows of the kernel table. A type
// made for `compute` (Auto too) runs resolve_compute(family, compute) with best_kernel's row
// (kernel_table.h), and reports that compute type.
#pragma once

#include <memory>

#include "kernels/matrix.h"
#include "kernels/quant_format.h"

namespace llmrt {

// int8 and int4, symmetric or asymmetric (weight_int.cpp).
std::unique_ptr<WeightType> make_int_weight_type(const QuantFormat &format, ComputeDtype compute);
// nf4, fp4 (E2M1), fp8 E4M3 / E5M2: codes looked up in a table of values (weight_lut.cpp).
std::unique_ptr<WeightType> make_lut_weight_type(const QuantFormat &format, ComputeDtype compute);

}  // namespace llmrt
