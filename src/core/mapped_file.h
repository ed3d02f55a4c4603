// Read-only memory mapping of a whole file. Never writes to the file. Or anonymous memory
// reserved without being committed (tensors made on demand: synthetic models), which release()
// gives back to the system.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace llmrt {

class MappedFile {
public:
    // Throws Error(Status::Io) naming the path when the file cannot be opened or mapped.
    explicit MappedFile(const std::string &path);
    // `size` bytes of zeroed anonymous memory under `name`, committed page by page as they are
    // written (mutable_data), not counted against the commit limit up front.
    static std::shared_ptr<MappedFile> anonymous(const std::string &name, size_t size);
    ~MappedFile();
    MappedFile(const MappedFile &) = delete;
    MappedFile &operator=(const MappedFile &) = delete;

    const uint8_t *data() const { return data_; }
    uint8_t *mutable_data() const;  // anonymous memory only; throws Status::Internal for a file
    size_t size() const { return size_; }
    const std::string &path() const { return path_; }
    bool contains(const uint8_t *p) const { return p >= data_ && p < data_ + size_; }
    // Drops the resident pages wholly inside [p, p + n): they are read again from the file (or
    // are zero, for anonymous memory) if touched. Lets a quantizer stream through a model larger than what it keeps.
    void release(const uint8_t *p, size_t n) const;

private:
    MappedFile() = default;
    std::string path_;
    bool anonymous_ = false;
    const uint8_t *data_ = nullptr;
    size_t size_ = 0;
};

}  // namespace llmrt
