#include "core/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "core/error.h"

namespace llmrt {

MappedFile::MappedFile(const std::string &path) : path_(path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail(Status::Io, path + ": cannot open: " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        fail(Status::Io, path + ": not a regular file");
    }
    size_ = static_cast<size_t>(st.st_size);
    if (size_ > 0) {
        void *p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            int err = errno;
            ::close(fd);
            fail(Status::Io, path + ": cannot map: " + std::strerror(err));
        }
        data_ = static_cast<const uint8_t *>(p);
    }
    ::close(fd);
}

std::shared_ptr<MappedFile> MappedFile::anonymous(const std::string &name, size_t size) {
    std::shared_ptr<MappedFile> m(new MappedFile());
    m->path_ = name;
    m->anonymous_ = true;
    m->size_ = size;
    if (size > 0) {
        void *p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED)
            fail(Status::OutOfMemory, name + ": cannot reserve " + std::to_string(size) + " bytes: " + std::strerror(errno));
        m->data_ = static_cast<const uint8_t *>(p);
    }
    return m;
}

uint8_t *MappedFile::mutable_data() const {
    require(anonymous_, Status::Internal, path_ + ": a mapped file is read-only");
    return const_cast<uint8_t *>(data_);
}

void MappedFile::release(const uint8_t *p, size_t n) const {
    const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
    const uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + page - 1) / page * page;
    const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + n) / page * page;
    if (end > begin) ::madvise(reinterpret_cast<void *>(begin), end - begin, MADV_DONTNEED);
}

MappedFile::~MappedFile() {
    if (data_) ::munmap(const_cast<uint8_t *>(data_), size_);
}

}  // namespace llmrt
