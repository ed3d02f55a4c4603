#include "kernels/cpu_features.h"

#include <cpuid.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/log.h"

namespace llmrt {
namespace {

struct CpuidRegs {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
};

CpuidRegs cpuid(unsigned leaf, unsigned subleaf) {
    CpuidRegs r;
    if (!__get_cpuid_count(leaf, subleaf, &r.eax, &r.ebx, &r.ecx, &r.edx)) return CpuidRegs{};
    return r;
}

bool bit(unsigned reg, int n) { return (reg >> n) & 1u; }

// XGETBV is part of XSAVE (not AVX), so executing it here is safe once OSXSAVE says the OS
// enabled it. Inline asm, because the _xgetbv intrinsic would need -mxsave for this file.
uint64_t read_xcr0() {
    uint32_t eax = 0, edx = 0;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return (static_cast<uint64_t>(edx) << 32) | eax;
}

CpuFeatures detect() {
    CpuFeatures f;
    const unsigned max_leaf = __get_cpuid_max(0, nullptr);
    if (max_leaf < 1) return f;
    const CpuidRegs l1 = cpuid(1, 0);
    const bool osxsave = bit(l1.ecx, 27);
    const bool avx = bit(l1.ecx, 28);
    if (!osxsave || !avx) return f;

    const uint64_t xcr0 = read_xcr0();
    const bool os_avx = (xcr0 & 0x6) == 0x6;         // SSE and AVX (YMM) state
    const bool os_avx512 = (xcr0 & 0xe6) == 0xe6;    // + opmask, ZMM_Hi256, Hi16_ZMM
    if (!os_avx) return f;

    f.fma = bit(l1.ecx, 12);
    f.f16c = bit(l1.ecx, 29);
    if (max_leaf < 7) return f;
    const CpuidRegs l7 = cpuid(7, 0);
    f.avx2 = bit(l7.ebx, 5);
    if (!os_avx512) return f;
    f.avx512f = bit(l7.ebx, 16);
    f.avx512dq = bit(l7.ebx, 17);
    f.avx512bw = bit(l7.ebx, 30);
    f.avx512vl = bit(l7.ebx, 31);
    f.avx512vnni = bit(l7.ecx, 11);
    if (l7.eax >= 1) f.avx512bf16 = bit(cpuid(7, 1).eax, 5);
    return f;
}

// The avx2/ folder is compiled with -mavx2 -mfma -mf16c, the avx512/ folder additionally with
// AVX512 F/BW/VL/DQ, so an ISA level is usable only when all of those are present.
// (The avx512/ folder also gets -mavx512vnni/-mavx512bf16; the f32 code there uses neither, and
// kernels that need them must check the separate flags.)
bool has_avx2_level(const CpuFeatures &f) { return f.avx2 && f.fma && f.f16c; }
bool has_avx512_level(const CpuFeatures &f) {
    return has_avx2_level(f) && f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq;
}

bool parse_isa(const char *s, Isa *out) {
    if (std::strcmp(s, "scalar") == 0) *out = Isa::Scalar;
    else if (std::strcmp(s, "avx2") == 0) *out = Isa::Avx2;
    else if (std::strcmp(s, "avx512") == 0) *out = Isa::Avx512;
    else return false;
    return true;
}

Isa choose_isa() {
    const Isa best = best_supported_isa();
    const char *env = std::getenv("LLMRT_ISA");
    if (env == nullptr || *env == '\0') return best;
    Isa wanted;
    if (!parse_isa(env, &wanted)) {
        log_warn(std::string("LLMRT_ISA=") + env + " is not one of scalar, avx2, avx512; ignored");
        return best;
    }
    if (wanted > best) {
        log_info(std::string("LLMRT_ISA=") + env + " is not supported by this CPU; using " +
                 isa_name(best));
        return best;
    }
    return wanted;
}

}  // namespace

const CpuFeatures &cpu_features() {
    static const CpuFeatures features = detect();
    return features;
}

Isa best_supported_isa() {
    const CpuFeatures &f = cpu_features();
    if (has_avx512_level(f)) return Isa::Avx512;
    if (has_avx2_level(f)) return Isa::Avx2;
    return Isa::Scalar;
}

Isa selected_isa() {
    static const Isa isa = choose_isa();
    return isa;
}

const char *isa_name(Isa isa) {
    switch (isa) {
        case Isa::Avx512: return "avx512";
        case Isa::Avx2: return "avx2";
        default: return "scalar";
    }
}

}  // namespace llmrt
