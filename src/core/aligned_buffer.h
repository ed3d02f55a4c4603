// Owned, 64-byte aligned storage for weights and scratch (cache-line and AVX512 friendly).
// Large buffers are aligned to 2 MiB and asked to be backed by transparent huge pages: decode
// streams every weight once per token, and with 4 KiB pages each page costs a TLB walk and stops
// the hardware prefetcher at its boundary.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>

namespace llmrt {

struct AlignedFree {
    void operator()(void *p) const { std::free(p); }
};

constexpr size_t kHugePageBytes = size_t{2} << 20;

template <class T>
class AlignedBuffer {
public:
    AlignedBuffer() = default;
    explicit AlignedBuffer(size_t count) : count_(count) {
        const size_t used = count * sizeof(T);
        const bool huge = used >= kHugePageBytes;
        const size_t align = huge ? kHugePageBytes : 64;
        const size_t bytes = (used + align - 1) / align * align;
        void *p = std::aligned_alloc(align, bytes == 0 ? align : bytes);
        if (!p) throw std::bad_alloc();
        // Only the whole huge pages: a huge page is faulted in whole, so a partly used last one
        // would hold up to 2 MiB of nothing per buffer. Advice only: 4 KiB pages still work.
        if (huge) madvise(p, used / kHugePageBytes * kHugePageBytes, MADV_HUGEPAGE);
        data_.reset(p);
    }
    T *data() { return static_cast<T *>(data_.get()); }
    const T *data() const { return static_cast<const T *>(data_.get()); }
    size_t size() const { return count_; }
    T &operator[](size_t i) { return data()[i]; }
    const T &operator[](size_t i) const { return data()[i]; }

private:
    std::unique_ptr<void, AlignedFree> data_;
    size_t count_ = 0;
};

}  // namespace llmrt
