// Read-only memory mapping of a whole file. Never writes to the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace llmrt {

class MappedFile {
public:
    // Throws Error(Status::Io) naming the path when the file cannot be opened or mapped.
    explicit MappedFile(const std::string &path);
    ~MappedFile();
    MappedFile(const MappedFile &) = delete;
    MappedFile &operator=(const MappedFile &) = delete;

    const uint8_t *data() const { return data_; }
    size_t size() const { return size_; }
    const std::string &path() const { return path_; }
    bool contains(const uint8_t *p) const { return p >= data_ && p < data_ + size_; }
    // Drops the resident pages wholly inside [p, p + n): they are read again from the file if
    // touched. Lets a quantizer stream through a model larger than what it keeps.
    void release(const uint8_t *p, size_t n) const;

private:
    std::string path_;
    const uint8_t *data_ = nullptr;
    size_t size_ = 0;
};

}  // namespace llmrt
