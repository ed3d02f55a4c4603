// An owned, 64-byte aligned, uninitialized array (for buffers the kernels stream through).
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>

namespace llmrt {

template <class T>
class AlignedBuffer {
public:
    static constexpr size_t kAlignment = 64;

    AlignedBuffer() = default;
    explicit AlignedBuffer(size_t count) : count_(count) {
        if (count == 0) return;
        // aligned_alloc wants the size to be a multiple of the alignment.
        const size_t bytes = (count * sizeof(T) + kAlignment - 1) / kAlignment * kAlignment;
        data_.reset(static_cast<T *>(std::aligned_alloc(kAlignment, bytes)));
        if (!data_) throw std::bad_alloc();
    }

    T *data() { return data_.get(); }
    const T *data() const { return data_.get(); }
    size_t size() const { return count_; }

private:
    struct Free {
        void operator()(T *p) const { std::free(p); }
    };
    std::unique_ptr<T, Free> data_;
    size_t count_ = 0;
};

}  // namespace llmrt
