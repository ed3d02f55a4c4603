#include "kernels/dnnl_f32.h"

#include "kernels/row_split.h"

#if LLMRT_HAVE_DNNL

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <unordered_map>

#include <dnnl.hpp>

#include "core/log.h"
#include "core/aligned_buffer.h"
#include "kernels/cpu_features.h"

namespace llmrt {
namespace {

// Measured (2 threads of an AVX512 Zen 5 VM, K = 2048, libdnnl 2.6 brg:avx512_core, best of 8):
//   m    N     ours       oneDNN (this file)
//   32   2048  0.79 ms    0.73 ms    (but m=48 = 32 oneDNN + 16 ours lost 7-10%)
//   64   2048  1.87 ms    1.61 ms
//   64   5632  4.80 ms    3.88 ms
//   100  2048  2.71 ms    2.87 ms    (64 + 36 rows ours: the extra pass over W costs)
//   100  5632  7.65 ms    6.84 ms
//   128  2048  3.21 ms    2.51 ms    (335 vs 429 GFLOP/s)
//   128  5632  9.65 ms    7.30 ms    (306 vs 404 GFLOP/s)
//   256  5632  17.96 ms   13.00 ms   (329 vs 454 GFLOP/s)
// oneDNN driving its own OpenMP threads reaches 410-458 GFLOP/s at m=128, so running it per pool
// thread loses little. Below 64 rows our kernel is as fast or faster, hence kDnnlMinRows = 64.
//
// oneDNN wants fixed shapes (its runtime-M matmul falls back to gemm:jit, 2-6x slower), so m is
// cut into power-of-two batches of kDnnlMinRows..kMaxBatchRows rows; the last m % kDnnlMinRows
// rows go to our kernel. That bounds the cache to a few primitives per weight shape and needs no
// padding copies, at the price of one pass over W per batch.
constexpr int64_t kMaxBatchRows = 512;
// A model has a handful of weight shapes; only a caller with ever-changing shapes reaches this.
constexpr size_t kMaxCachedPrimitives = 256;

int64_t batch_rows(int64_t remaining) {
    int64_t rows = kMaxBatchRows;
    while (rows > remaining) rows /= 2;
    return rows;
}

int64_t rows_for_dnnl(int64_t m) {
    int64_t total = 0;
    for (int64_t rest = m; rest >= kDnnlMinRows; rest -= batch_rows(rest)) total += batch_rows(rest);
    return total;
}

// Debian's libdnnl threads with OpenMP. Each pool thread runs its own single-threaded
// primitive, so OpenMP must be held to one thread on the pool threads. libdnnl already loads
// the OpenMP runtime; we look its two controls up rather than link it ourselves.
struct OmpApi {
    int (*get_max_threads)() = nullptr;
    void (*set_num_threads)(int) = nullptr;
};

bool resolve_omp(OmpApi *omp) {
#if DNNL_CPU_THREADING_RUNTIME == DNNL_RUNTIME_OMP
    omp->get_max_threads = reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "omp_get_max_threads"));
    omp->set_num_threads = reinterpret_cast<void (*)(int)>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
    return omp->get_max_threads != nullptr && omp->set_num_threads != nullptr;
#elif DNNL_CPU_THREADING_RUNTIME == DNNL_RUNTIME_SEQ
    (void)omp;
    return true;  // already single-threaded
#else
    (void)omp;
    return false;  // TBB or threadpool builds would not follow our pool's thread count
#endif
}

// Holds OpenMP to one thread on the calling thread, and restores the previous setting after
// (the caller of matmul may be an application thread that uses OpenMP itself).
class SingleThreadedOmp {
public:
    explicit SingleThreadedOmp(const OmpApi &omp) : omp_(omp) {
        if (omp_.set_num_threads == nullptr) return;
        saved_ = omp_.get_max_threads();
        omp_.set_num_threads(1);
    }
    ~SingleThreadedOmp() {
        if (omp_.set_num_threads != nullptr) omp_.set_num_threads(saved_);
    }
    SingleThreadedOmp(const SingleThreadedOmp &) = delete;
    SingleThreadedOmp &operator=(const SingleThreadedOmp &) = delete;

private:
    const OmpApi &omp_;
    int saved_ = 1;
};

// One cached primitive: y[m, n] = x[m, k] . W[n, k]^T with dense x and y.
struct Gemm {
    dnnl::matmul primitive;
    dnnl::memory::desc src, weights, dst, scratchpad;
};

struct ShapeKey {
    int64_t m, k, n;
    bool operator<(const ShapeKey &o) const { return std::tie(m, k, n) < std::tie(o.m, o.k, o.n); }
};

class DnnlRuntime {
public:
    // nullptr when oneDNN must not be used. Decided once.
    static DnnlRuntime *instance() {
        static const std::unique_ptr<DnnlRuntime> runtime = create();
        return runtime.get();
    }

    const dnnl::engine &engine() const { return engine_; }
    const OmpApi &omp() const { return omp_; }

    // The primitive for this shape, created on first use. Must be called with OpenMP held to
    // one thread, because oneDNN sizes its work split when the primitive is created.
    Gemm gemm(int64_t m, int64_t k, int64_t n) {
        std::lock_guard<std::mutex> lock(mutex_);
        const ShapeKey key{m, k, n};
        const auto it = cache_.find(key);
        if (it != cache_.end()) return it->second;
        if (cache_.size() >= kMaxCachedPrimitives) cache_.clear();
        return cache_.emplace(key, create_gemm(m, k, n)).first->second;
    }

private:
    DnnlRuntime(dnnl::engine engine, OmpApi omp) : engine_(std::move(engine)), omp_(omp) {}

    static std::unique_ptr<DnnlRuntime> create() {
        const char *off = std::getenv("LLMRT_NO_DNNL");
        if (off != nullptr && *off != '\0' && std::strcmp(off, "0") != 0) return nullptr;
        if (selected_isa() == Isa::Scalar) return nullptr;
        OmpApi omp;
        if (!resolve_omp(&omp)) {
            log_info("oneDNN's threading runtime cannot be held to the pool's thread count; not used");
            return nullptr;
        }
        // LLMRT_ISA=avx2 on an AVX512 machine should measure an AVX2 machine, oneDNN included.
        // Best effort: it is refused once any oneDNN primitive exists in the process.
        if (selected_isa() == Isa::Avx2 && best_supported_isa() != Isa::Avx2)
            dnnl::set_max_cpu_isa(dnnl::cpu_isa::avx2);
        try {
            return std::unique_ptr<DnnlRuntime>(
                new DnnlRuntime(dnnl::engine(dnnl::engine::kind::cpu, 0), omp));
        } catch (const dnnl::error &e) {
            log_warn(std::string("oneDNN CPU engine unavailable: ") + e.what());
            return nullptr;
        }
    }

    Gemm create_gemm(int64_t m, int64_t k, int64_t n) const {
        using dt = dnnl::memory::data_type;
        Gemm g;
        g.src = dnnl::memory::desc({m, k}, dt::f32, {k, 1});
        // oneDNN's weights are [k, n]; W is [n, k] row-major, i.e. its transpose: strides {1, k}.
        g.weights = dnnl::memory::desc({k, n}, dt::f32, {1, k});
        // Dense, because oneDNN 2.6's fast brgemm matmul refuses a strided dst (falls back to
        // gemm:jit, 20% slower); each thread writes its columns to a private buffer instead.
        g.dst = dnnl::memory::desc({m, n}, dt::f32, {n, 1});
        dnnl::primitive_attr attr;
        // The library-managed scratchpad ties a primitive to the thread that created it; ours may
        // run on any pool thread, so we pass scratch memory ourselves.
        attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
        const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(g.src, g.weights, g.dst), attr,
                                              engine_);
        g.scratchpad = pd.scratchpad_desc();
        g.primitive = dnnl::matmul(pd);
        return g;
    }

    dnnl::engine engine_;
    OmpApi omp_;
    std::mutex mutex_;
    std::map<ShapeKey, Gemm> cache_;
};

// Output columns [n0, n1) of the first m_dnnl rows, in power-of-two batches.
void dnnl_slice(DnnlRuntime &rt, const Matrix &w, const float *x, int64_t m_dnnl, float *y,
                int64_t n0, int64_t n1) {
    const int64_t k = w.cols, n = w.rows, ns = n1 - n0;
    SingleThreadedOmp single_threaded(rt.omp());
    dnnl::stream stream(rt.engine());
    // A slice of all columns is y's own rows; otherwise oneDNN writes a private dense buffer.
    const bool direct = ns == n;
    AlignedBuffer<float> out(direct ? 0 : static_cast<size_t>(std::min(m_dnnl, kMaxBatchRows) * ns));
    AlignedBuffer<uint8_t> scratch;
    // oneDNN's memory takes non-const pointers; it only reads src and weights.
    float *w_slice = const_cast<float *>(reinterpret_cast<const float *>(w.row(n0)));
    for (int64_t i0 = 0; i0 < m_dnnl;) {
        const int64_t mb = batch_rows(m_dnnl - i0);
        const Gemm g = rt.gemm(mb, k, ns);
        float *dst = direct ? y + i0 * n : out.data();
        std::unordered_map<int, dnnl::memory> args{
            {DNNL_ARG_SRC, dnnl::memory(g.src, rt.engine(), const_cast<float *>(x + i0 * k))},
            {DNNL_ARG_WEIGHTS, dnnl::memory(g.weights, rt.engine(), w_slice)},
            {DNNL_ARG_DST, dnnl::memory(g.dst, rt.engine(), dst)}};
        const size_t scratch_bytes = g.scratchpad.get_size();
        if (scratch_bytes > 0) {
            if (scratch.size() < scratch_bytes) scratch = AlignedBuffer<uint8_t>(scratch_bytes);
            args.emplace(DNNL_ARG_SCRATCHPAD, dnnl::memory(g.scratchpad, rt.engine(), scratch.data()));
        }
        g.primitive.execute(stream, args);
        stream.wait();
        if (!direct) {
            for (int64_t r = 0; r < mb; ++r)
                std::memcpy(y + (i0 + r) * n + n0, out.data() + r * ns, static_cast<size_t>(ns) * sizeof(float));
        }
        i0 += mb;
    }
}

}  // namespace

bool dnnl_f32_available() { return DnnlRuntime::instance() != nullptr; }

void dnnl_f32_matmul(const Matrix &w, const float *x, int64_t m, float *y, ThreadPool &pool) {
    DnnlRuntime *rt = DnnlRuntime::instance();
    const int64_t k = w.cols, n = w.rows;
    const int64_t m_dnnl = rt != nullptr ? rows_for_dnnl(m) : 0;
    const WeightType &type = *w.type;
    pool.run([&](int ith, int nth) {
        const RowRange r = split_rows(n, ith, nth);
        if (r.begin >= r.end) return;
        int64_t done = 0;
        if (m_dnnl > 0) {
            // Nothing may escape a pool thread; on failure this slice is computed by our kernel.
            try {
                dnnl_slice(*rt, w, x, m_dnnl, y, r.begin, r.end);
                done = m_dnnl;
            } catch (const std::exception &e) {
                log_warn(std::string("oneDNN matmul failed, using the built-in kernel: ") + e.what());
            }
        }
        if (done < m) type.matmul_rows(w, x + done * k, nullptr, m - done, k, y + done * n, n, r.begin, r.end);
    });
}

}  // namespace llmrt

#else  // !LLMRT_HAVE_DNNL

namespace llmrt {

bool dnnl_f32_available() { return false; }

void dnnl_f32_matmul(const Matrix &w, const float *x, int64_t m, float *y, ThreadPool &pool) {
    pool.run([&](int ith, int nth) {
        const RowRange r = split_rows(w.rows, ith, nth);
        if (r.begin < r.end) w.type->matmul_rows(w, x, nullptr, m, w.cols, y, w.rows, r.begin, r.end);
    });
}

}  // namespace llmrt

#endif
