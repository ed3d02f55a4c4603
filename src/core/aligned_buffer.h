// Owned, 64-byte aligned storage for weights and scratch (cache-line and AVX512 friendly).
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>

namespace llmrt {

struct AlignedFree {
    void operator()(void *p) const { std::free(p); }
};

template <class T>
class AlignedBuffer {
public:
    AlignedBuffer() = default;
    explicit AlignedBuffer(size_t count) : count_(count) {
        size_t bytes = (count * sizeof(T) + 63) / 64 * 64;
        void *p = std::aligned_alloc(64, bytes == 0 ? 64 : bytes);
        if (!p) throw std::bad_alloc();
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
