#include "formats/llmrt_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <random>
#include <set>
#include <utility>

#include "core/error.h"
#include "core/log.h"
#include "core/mapped_file.h"
#include "formats/byte_reader.h"
#include "formats/checked_math.h"
#include "formats/checksum.h"
#include "formats/metadata_json.h"

namespace llmrt {
namespace {

using nlohmann::json;

constexpr size_t kPreambleSize = 8 + 4 + 4 + 8;  // magic, version, header_crc32c, header_len
// nlohmann copies and dumps JSON recursively, so a crafted header nested a million levels deep
// must be refused before anyone (here or in the layers above) walks it.
constexpr size_t kMaxJsonDepth = 64;
constexpr size_t kWriteBufferSize = size_t{1} << 20;
// Progress is reported (and cancellation checked) at least this often while streaming a tensor.
constexpr size_t kProgressChunk = size_t{8} << 20;

// ---------------------------------------------------------------------------------------------
// Names

struct DTypeFileName {
    DType dtype;
    const char *name;
};
constexpr DTypeFileName kDTypeFileNames[] = {
    {DType::F32, "f32"},   {DType::F16, "f16"},   {DType::BF16, "bf16"},     {DType::Q8_0, "q8_0"},
    {DType::Q4_0, "q4_0"}, {DType::Q4_1, "q4_1"}, {DType::Packed, "packed"},
};

const char *file_dtype_name(DType t) {
    for (const DTypeFileName &d : kDTypeFileNames) {
        if (d.dtype == t) return d.name;
    }
    fail(Status::Internal, "no llmrt file name for DType " + std::to_string(static_cast<int>(t)));
}

bool dtype_from_file_name(const std::string &name, DType &out) {
    for (const DTypeFileName &d : kDTypeFileNames) {
        if (name == d.name) {
            out = d.dtype;
            return true;
        }
    }
    return false;
}

const char *source_name(Checkpoint::Source s) { return s == Checkpoint::Source::Gguf ? "gguf" : "hf"; }

// Embedded files are looked up by name and may be extracted next to the model; a name must not
// reach outside that directory.
bool is_plain_file_name(const std::string &name) {
    return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
           name.find('\0') == std::string::npos;
}

// ---------------------------------------------------------------------------------------------
// Helpers

// Deepest nesting of objects and arrays in JSON text, found without parsing; brackets inside
// strings do not count. Malformed text just gets some depth and then fails to parse.
size_t json_nesting_depth(const char *text, size_t n) {
    size_t depth = 0, deepest = 0;
    bool in_string = false, escaped = false;
    for (size_t i = 0; i < n; ++i) {
        const char c = text[i];
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            deepest = std::max(deepest, ++depth);
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

void store_le(uint8_t *p, uint64_t v, size_t n) {
    for (size_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// ---------------------------------------------------------------------------------------------
// Writing

[[noreturn]] void invalid(const std::string &message) {
    fail(Status::InvalidArgument, "write_llmrt_file: " + message);
}

void validate_tensor(const LlmrtFileTensor &t) {
    const std::string what = "tensor '" + t.name + "'";
    if (t.name.empty()) invalid("a tensor has an empty name");
    if (t.nbytes > 0 && !t.data) invalid(what + " has no data");
    int64_t n = 0;
    if (!checked_element_count(t.shape, n)) {
        invalid(what + " has an invalid shape " + shape_to_string(t.shape));
    }
    if (t.dtype == DType::Packed) {
        if (t.packed_type.empty()) invalid(what + " is packed but has no packed_type");
        return;
    }
    if (!t.packed_type.empty()) invalid(what + " is " + dtype_name(t.dtype) + " but has a packed_type");
    const int64_t row = t.shape.empty() ? 1 : t.shape.back();
    size_t expected = 0;
    if (row % dtype_block_size(t.dtype) != 0 || !checked_dtype_bytes(t.dtype, n, expected) ||
        expected != t.nbytes) {
        invalid(what + ": " + std::to_string(t.nbytes) + " bytes do not match " + dtype_name(t.dtype) +
                " shape " + shape_to_string(t.shape));
    }
}

void validate_contents(const LlmrtFileContents &c) {
    if (!c.hf_config.is_object()) invalid("hf_config is not a JSON object");
    if (!c.quantization_info.is_object()) invalid("quantization_info is not a JSON object");
    for (const auto &file : c.embedded_files) {
        if (!is_plain_file_name(file.first)) {
            invalid("embedded file name '" + file.first + "' is not a plain file name");
        }
    }
    std::set<std::string> names;
    for (const LlmrtFileTensor &t : c.tensors) {
        validate_tensor(t);
        if (!names.insert(t.name).second) invalid("duplicate tensor '" + t.name + "'");
    }
}

// Offsets relative to the data section: embedded files (in name order), then tensors (in order).
struct Layout {
    std::vector<uint64_t> file_offsets;
    std::vector<uint64_t> tensor_offsets;
    std::vector<uint32_t> file_crcs;
    std::vector<uint32_t> tensor_crcs;
    uint64_t data_size = 0;  // ends with the last byte of the last region: no trailing padding
};

uint64_t place_region(uint64_t &cursor, uint64_t size) {
    uint64_t offset = 0;
    if (!checked_align_up(cursor, kLlmrtFileAlignment, offset) || !checked_add(offset, size, cursor)) {
        invalid("the file would be larger than 2^64 bytes");
    }
    return offset;
}

Layout plan_layout(const LlmrtFileContents &c) {
    Layout layout;
    uint64_t cursor = 0;
    for (const auto &file : c.embedded_files) {
        layout.file_offsets.push_back(place_region(cursor, file.second.size()));
        layout.file_crcs.push_back(
            crc32c(reinterpret_cast<const uint8_t *>(file.second.data()), file.second.size()));
    }
    for (const LlmrtFileTensor &t : c.tensors) {
        layout.tensor_offsets.push_back(place_region(cursor, t.nbytes));
        layout.tensor_crcs.push_back(crc32c(t.data, t.nbytes));
    }
    layout.data_size = cursor;
    return layout;
}

json tensor_entry(const LlmrtFileTensor &t, uint64_t offset, uint32_t crc) {
    json entry = {{"name", t.name},
                  {"dtype", file_dtype_name(t.dtype)},
                  {"shape", t.shape},
                  {"offset", offset},
                  {"nbytes", static_cast<uint64_t>(t.nbytes)},
                  {"crc32c", crc}};
    if (t.dtype == DType::Packed) entry["packed_type"] = t.packed_type;
    return entry;
}

std::string header_text(const LlmrtFileContents &c, const Layout &layout) {
    json metadata = metadata_to_json(c.gguf_metadata);
    json files = json::object();
    size_t i = 0;
    for (const auto &[name, content] : c.embedded_files) {
        files[name] = {{"offset", layout.file_offsets[i]},
                       {"size", static_cast<uint64_t>(content.size())},
                       {"crc32c", layout.file_crcs[i]}};
        ++i;
    }
    json tensors = json::array();
    for (size_t t = 0; t < c.tensors.size(); ++t) {
        tensors.push_back(tensor_entry(c.tensors[t], layout.tensor_offsets[t], layout.tensor_crcs[t]));
    }

    const json header = {{"format", "llmrt"},
                         {"version", kLlmrtFileVersion},
                         {"source", source_name(c.source)},
                         {"architecture", c.architecture},
                         {"hf_config", c.hf_config},
                         {"gguf_metadata", std::move(metadata)},
                         {"embedded_files", std::move(files)},
                         {"tensors", std::move(tensors)},
                         {"quantization", c.quantization_info}};
    std::string text;
    try {
        text = header.dump();
    } catch (const json::exception &e) {
        // Names, keys and hf_config/quantization strings must be UTF-8 to be JSON at all.
        invalid(std::string("the header cannot be written as JSON: ") + e.what());
    }
    // What the reader would refuse must not be written.
    if (json_nesting_depth(text.data(), text.size()) > kMaxJsonDepth) {
        invalid("the header nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    }
    return text;
}

// A name nobody else is using: path + ".tmp-" + 6 random characters.
std::string temp_name(const std::string &path) {
    static std::atomic<uint64_t> counter{0};
    const uint64_t seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
                          (static_cast<uint64_t>(::getpid()) << 32) ^ counter.fetch_add(1);
    std::mt19937_64 rng(seed);
    static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    std::string name = path + ".tmp-";
    for (int i = 0; i < 6; ++i) name += chars[rng() % (sizeof chars - 1)];
    return name;
}

// A new file next to the destination, written through a buffer; removed on destruction unless
// commit() renamed it into place. mkstemp would create it 0600; opening it ourselves with
// O_EXCL gives the usual 0666 & ~umask of a model file.
class TempOutput {
public:
    explicit TempOutput(std::string path) : path_(std::move(path)) {
        for (int attempt = 0; attempt < 100 && fd_ < 0; ++attempt) {
            tmp_path_ = temp_name(path_);
            fd_ = ::open(tmp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
            if (fd_ < 0 && errno != EEXIST) io_fail("cannot create a temporary file next to it", errno);
        }
        if (fd_ < 0) io_fail("cannot find an unused temporary file name next to it", EEXIST);
        buffer_.reserve(kWriteBufferSize);
    }
    ~TempOutput() {
        if (fd_ >= 0) ::close(fd_);
        if (!committed_) ::unlink(tmp_path_.c_str());
    }
    TempOutput(const TempOutput &) = delete;
    TempOutput &operator=(const TempOutput &) = delete;

    uint64_t written() const { return written_; }

    void write(const uint8_t *data, size_t n) {
        written_ += n;
        if (n <= kWriteBufferSize - buffer_.size()) {
            buffer_.insert(buffer_.end(), data, data + n);
            return;
        }
        flush();
        if (n < kWriteBufferSize) {
            buffer_.insert(buffer_.end(), data, data + n);
        } else {
            write_all(data, n);  // large pieces go straight from the caller's memory
        }
    }

    // Zero bytes up to an absolute offset (less than one alignment unit away).
    void pad_to(uint64_t offset) {
        static const uint8_t zeros[kLlmrtFileAlignment] = {};
        while (written_ < offset) {
            write(zeros, static_cast<size_t>(std::min<uint64_t>(offset - written_, sizeof zeros)));
        }
    }

    void commit() {
        flush();
        if (::fsync(fd_) != 0) io_fail("cannot sync " + tmp_path_, errno);
        const int fd = fd_;
        fd_ = -1;
        if (::close(fd) != 0) io_fail("cannot close " + tmp_path_, errno);
        if (::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
            io_fail("cannot rename " + tmp_path_ + " to it", errno);
        }
        committed_ = true;
        sync_directory();
    }

private:
    void flush() {
        write_all(buffer_.data(), buffer_.size());
        buffer_.clear();
    }

    void write_all(const uint8_t *data, size_t n) {
        while (n > 0) {
            const ssize_t w = ::write(fd_, data, std::min<size_t>(n, size_t{1} << 30));
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) io_fail("cannot write " + tmp_path_, w < 0 ? errno : EIO);
            data += w;
            n -= static_cast<size_t>(w);
        }
    }

    // The rename is durable only once the directory is synced. The file is complete either
    // way, and some file systems refuse to sync directories, so failures are ignored.
    void sync_directory() const {
        std::string dir = std::filesystem::path(path_).parent_path().string();
        if (dir.empty()) dir = ".";
        const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) return;
        (void)::fsync(fd);
        ::close(fd);
    }

    [[noreturn]] void io_fail(const std::string &what, int err) const {
        fail(Status::Io, path_ + ": " + what + ": " + std::strerror(err));
    }

    std::string path_;
    std::string tmp_path_;
    int fd_ = -1;
    std::vector<uint8_t> buffer_;
    uint64_t written_ = 0;
    bool committed_ = false;
};

class Progress {
public:
    Progress(const LlmrtFileContents &c, uint64_t total, const std::string &path)
        : callback_(c.progress), total_(total), path_(path) {}

    void report(uint64_t written) const {
        if (callback_ && !callback_(static_cast<size_t>(written), static_cast<size_t>(total_))) {
            fail(Status::Cancelled, path_ + ": writing was cancelled");
        }
    }

private:
    const std::function<bool(size_t, size_t)> &callback_;
    uint64_t total_;
    const std::string &path_;
};

void write_region(TempOutput &out, const Progress &progress, uint64_t at, const uint8_t *data, size_t n) {
    out.pad_to(at);
    for (size_t done = 0; done < n;) {
        const size_t chunk = std::min(kProgressChunk, n - done);
        out.write(data + done, chunk);
        done += chunk;
        progress.report(out.written());
    }
}

// ---------------------------------------------------------------------------------------------
// Reading

// A non-negative JSON integer that fits in int64 (shape dimensions, offsets, sizes).
bool is_count(const json &j) {
    return j.is_number_unsigned() &&
           j.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
}

std::string hex32(uint32_t v) {
    static const char digits[] = "0123456789abcdef";
    std::string s = "0x";
    for (int shift = 28; shift >= 0; shift -= 4) s += digits[(v >> shift) & 0xf];
    return s;
}

// A tensor or embedded file and the checksum the header records for it (version 3 on).
struct ChecksummedRegion {
    const char *kind;  // "tensor" or "embedded file"
    std::string name;
    const uint8_t *data;
    size_t size;
    uint32_t crc;
};

class LlmrtFileParser {
public:
    explicit LlmrtFileParser(std::shared_ptr<MappedFile> file) : file_(std::move(file)) {}

    uint32_t version() const { return version_; }
    // Every tensor and embedded file with its recorded checksum, in file order; empty before
    // parse() and for version 2, which has no checksums.
    const std::vector<ChecksummedRegion> &regions() const { return regions_; }

    Checkpoint parse() {
        read_preamble();
        json header = parse_header();
        Checkpoint ckpt;
        ckpt.path = file_->path();
        ckpt.packed_file = true;
        ckpt.files.push_back(file_);
        read_identity(header, ckpt);
        ckpt.hf_config = std::move(field(header, "hf_config", json::value_t::object));
        ckpt.quantization_info = std::move(field(header, "quantization", json::value_t::object));
        ckpt.gguf_metadata = metadata_from_json(field(header, "gguf_metadata", json::value_t::object),
                                                path() + ": gguf_metadata");
        read_embedded_files(field(header, "embedded_files", json::value_t::object), ckpt);
        read_tensors(field(header, "tensors", json::value_t::array), ckpt);
        return ckpt;
    }

private:
    const std::string &path() const { return file_->path(); }

    [[noreturn]] void bad(const std::string &problem) const {
        fail(Status::Format, path() + ": " + problem);
    }

    void read_preamble() {
        const uint64_t size = file_->size();
        if (size < kPreambleSize) bad("too small for an llmrt file (" + std::to_string(size) + " bytes)");
        ByteReader r(file_->data(), file_->size(), path());
        r.set_context("the llmrt file preamble");
        r.skip(kLlmrtFileMagicSize);
        if (std::memcmp(file_->data(), kLlmrtFileMagic, kLlmrtFileMagicSize) != 0) {
            bad(std::string("not an llmrt file (the first 8 bytes are not \"") + kLlmrtFileMagic + "\")");
        }
        version_ = r.u32();
        require(version_ == kLlmrtFileVersion || version_ == kLlmrtFileVersionWithoutChecksums,
                Status::Unsupported,
                path() + ": llmrt file version " + std::to_string(version_) + " is not supported (only " +
                    std::to_string(kLlmrtFileVersionWithoutChecksums) + " and " +
                    std::to_string(kLlmrtFileVersion) + " are): quantize the model again");
        const uint32_t header_crc = r.u32();
        if (version_ == kLlmrtFileVersionWithoutChecksums && header_crc != 0) {
            bad("reserved preamble field is " + std::to_string(header_crc) + ", not 0");
        }
        header_len_ = r.u64();
        if (header_len_ > r.remaining()) {
            bad("header length " + std::to_string(header_len_) + " exceeds the file (" +
                std::to_string(size) + " bytes)");
        }
        // Checked before the header is parsed: a damaged header may still be valid JSON (a digit
        // of a shape, a flipped letter in a name) and would otherwise describe the wrong model.
        if (version_ != kLlmrtFileVersionWithoutChecksums) {
            const uint32_t actual = crc32c(file_->data() + kPreambleSize, static_cast<size_t>(header_len_));
            if (actual != header_crc) {
                bad("the header is corrupt: its checksum (CRC-32C) is " + hex32(actual) + ", the preamble records " +
                    hex32(header_crc));
            }
        }
        // Cannot overflow: kPreambleSize + header_len_ <= size.
        checked_align_up(kPreambleSize + header_len_, kLlmrtFileAlignment, data_start_);
        if (data_start_ > size) {
            bad("the data section would start at " + std::to_string(data_start_) +
                ", past the end of the file (" + std::to_string(size) + " bytes)");
        }
        data_size_ = size - data_start_;
    }

    json parse_header() const {
        const char *text = reinterpret_cast<const char *>(file_->data() + kPreambleSize);
        const size_t len = static_cast<size_t>(header_len_);
        if (json_nesting_depth(text, len) > kMaxJsonDepth) {
            bad("header nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
        }
        json header = json::parse(text, text + len, nullptr, /*allow_exceptions=*/false);
        if (header.is_discarded()) bad("header is not valid JSON");
        if (!header.is_object()) bad("header is not a JSON object");
        return header;
    }

    json &field(json &object, const char *key, json::value_t type) const {
        auto it = object.find(key);
        if (it == object.end()) bad(std::string("header has no \"") + key + "\"");
        if (it->type() != type) {
            bad(std::string("header \"") + key + "\" is a " + it->type_name() + ", not a " +
                json(type).type_name());
        }
        return *it;
    }

    void read_identity(json &header, Checkpoint &ckpt) const {
        if (field(header, "format", json::value_t::string) != "llmrt") {
            bad("header \"format\" is not \"llmrt\"");
        }
        auto version = header.find("version");
        if (version == header.end() || !version->is_number_unsigned() || version->get<uint64_t>() != version_) {
            bad("header \"version\" is not " + std::to_string(version_) + " as the preamble says");
        }
        const json &source = field(header, "source", json::value_t::string);
        if (source == "hf") {
            ckpt.source = Checkpoint::Source::HuggingFace;
        } else if (source == "gguf") {
            ckpt.source = Checkpoint::Source::Gguf;
        } else {
            bad("header \"source\" is neither \"hf\" nor \"gguf\"");
        }
        ckpt.architecture = field(header, "architecture", json::value_t::string).get<std::string>();
    }

    uint64_t count(const json &entry, const char *key, const std::string &what) const {
        auto it = entry.find(key);
        if (it == entry.end() || !is_count(*it)) {
            bad(what + " has no \"" + key + "\" (a non-negative integer)");
        }
        return it->get<uint64_t>();
    }

    // Version 3 on: the entry's "crc32c", remembered with its region for verification.
    void add_checksummed(const json &entry, const char *kind, const std::string &name, const std::string &what,
                         const uint8_t *data, uint64_t size) {
        if (version_ == kLlmrtFileVersionWithoutChecksums) return;
        auto it = entry.find("crc32c");
        if (it == entry.end() || !it->is_number_unsigned() ||
            it->get<uint64_t>() > std::numeric_limits<uint32_t>::max()) {
            bad(what + " has no \"crc32c\" (a 32-bit unsigned integer)");
        }
        regions_.push_back({kind, name, data, static_cast<size_t>(size), static_cast<uint32_t>(it->get<uint64_t>())});
    }

    // The bytes [offset, offset + size) of the data section, after checking they lie inside it.
    const uint8_t *region(uint64_t offset, uint64_t size, const std::string &what) const {
        if (offset % kLlmrtFileAlignment != 0) {
            bad(what + " offset " + std::to_string(offset) + " is not a multiple of " +
                std::to_string(kLlmrtFileAlignment));
        }
        uint64_t end = 0;
        if (!checked_add(offset, size, end) || end > data_size_) {
            bad(what + " (" + std::to_string(size) + " bytes at offset " + std::to_string(offset) +
                ") lies outside the data section (" + std::to_string(data_size_) + " bytes)");
        }
        return file_->data() + data_start_ + offset;
    }

    void read_embedded_files(const json &files, Checkpoint &ckpt) {
        for (const auto &item : files.items()) {
            const std::string what = "embedded file '" + item.key() + "'";
            if (!is_plain_file_name(item.key())) bad(what + " is not a plain file name");
            if (!item.value().is_object()) bad(what + " is not described by a JSON object");
            const uint64_t offset = count(item.value(), "offset", what);
            const uint64_t size = count(item.value(), "size", what);
            const uint8_t *data = region(offset, size, what);
            add_checksummed(item.value(), "embedded file", item.key(), what, data, size);
            ckpt.embedded_files.emplace(item.key(),
                                        std::string(reinterpret_cast<const char *>(data), static_cast<size_t>(size)));
        }
    }

    void read_tensors(const json &tensors, Checkpoint &ckpt) {
        for (size_t i = 0; i < tensors.size(); ++i) {
            TensorView t = read_tensor(tensors[i], i);
            const std::string name = t.name;
            if (!ckpt.tensors.emplace(name, std::move(t)).second) bad("duplicate tensor name '" + name + "'");
        }
    }

    std::vector<int64_t> read_shape(const json &entry, const std::string &what) const {
        auto it = entry.find("shape");
        if (it == entry.end() || !it->is_array()) bad(what + " has no \"shape\" array");
        std::vector<int64_t> shape;
        for (const json &d : *it) {
            if (!is_count(d)) bad(what + " shape holds something other than a non-negative integer");
            shape.push_back(d.get<int64_t>());
        }
        return shape;
    }

    TensorView read_tensor(const json &entry, size_t index) {
        std::string what = "tensor #" + std::to_string(index);
        if (!entry.is_object()) bad(what + " is not described by a JSON object");
        auto name = entry.find("name");
        if (name == entry.end() || !name->is_string() || name->get<std::string>().empty()) {
            bad(what + " has no \"name\" (a non-empty string)");
        }
        TensorView t;
        t.name = name->get<std::string>();
        what = "tensor '" + t.name + "'";

        auto dtype = entry.find("dtype");
        if (dtype == entry.end() || !dtype->is_string()) bad(what + " has no \"dtype\" string");
        if (!dtype_from_file_name(dtype->get<std::string>(), t.dtype)) {
            bad(what + " has unknown dtype \"" + dtype->get<std::string>() + "\"");
        }
        read_packed_type(entry, what, t);
        t.shape = read_shape(entry, what);
        const uint64_t offset = count(entry, "offset", what);
        const uint64_t nbytes = count(entry, "nbytes", what);
        t.nbytes = static_cast<size_t>(nbytes);
        check_size(t, what);
        t.data = region(offset, nbytes, what);
        add_checksummed(entry, "tensor", t.name, what, t.data, nbytes);
        return t;
    }

    void read_packed_type(const json &entry, const std::string &what, TensorView &t) const {
        auto packed_type = entry.find("packed_type");
        if (t.dtype != DType::Packed) {
            if (packed_type != entry.end()) bad(what + " is not packed but has a \"packed_type\"");
            return;
        }
        if (packed_type == entry.end() || !packed_type->is_string() ||
            packed_type->get<std::string>().empty()) {
            bad(what + " is packed but has no \"packed_type\" (a non-empty string)");
        }
        t.packed_type = packed_type->get<std::string>();
    }

    // Packed tensors are sized by their weight type, which formats does not know; every other
    // dtype's size follows from the shape.
    void check_size(const TensorView &t, const std::string &what) const {
        int64_t n = 0;
        if (!checked_element_count(t.shape, n)) {
            bad(what + " shape " + shape_to_string(t.shape) + " is too large");
        }
        if (t.dtype == DType::Packed) return;
        const int64_t block = dtype_block_size(t.dtype);
        const int64_t row = t.shape.empty() ? 1 : t.shape.back();
        if (row % block != 0) {
            bad(what + " row length " + std::to_string(row) + " is not a multiple of the " +
                dtype_name(t.dtype) + " block size " + std::to_string(block));
        }
        size_t expected = 0;
        if (!checked_dtype_bytes(t.dtype, n, expected) || expected != t.nbytes) {
            bad(what + " shape " + shape_to_string(t.shape) + " of " + dtype_name(t.dtype) +
                " does not take " + std::to_string(t.nbytes) + " bytes");
        }
    }

    std::shared_ptr<MappedFile> file_;
    uint32_t version_ = 0;
    std::vector<ChecksummedRegion> regions_;
    uint64_t header_len_ = 0;
    uint64_t data_start_ = 0;
    uint64_t data_size_ = 0;
};

}  // namespace

LlmrtFileContents llmrt_file_contents_of(const Checkpoint &ckpt) {
    LlmrtFileContents c;
    c.source = ckpt.source;
    c.architecture = ckpt.architecture;
    c.hf_config = ckpt.hf_config;
    c.gguf_metadata = ckpt.gguf_metadata;
    c.embedded_files = ckpt.embedded_files;
    c.quantization_info = ckpt.quantization_info;
    for (const auto &[name, t] : ckpt.tensors) {
        c.tensors.push_back(LlmrtFileTensor{name, t.dtype, t.packed_type, t.shape, t.data, t.nbytes});
    }
    return c;
}

void write_llmrt_file(const std::string &path, const LlmrtFileContents &contents) {
    validate_contents(contents);
    const Layout layout = plan_layout(contents);
    const std::string header = header_text(contents, layout);

    uint8_t preamble[kPreambleSize] = {};
    std::memcpy(preamble, kLlmrtFileMagic, kLlmrtFileMagicSize);
    store_le(preamble + 8, kLlmrtFileVersion, 4);
    store_le(preamble + 12, crc32c(reinterpret_cast<const uint8_t *>(header.data()), header.size()), 4);
    store_le(preamble + 16, header.size(), 8);
    uint64_t data_start = 0, total = 0;
    if (!checked_align_up(kPreambleSize + header.size(), kLlmrtFileAlignment, data_start) ||
        !checked_add(data_start, layout.data_size, total) || total > std::numeric_limits<size_t>::max()) {
        invalid("the file would be too large");
    }

    TempOutput out(path);
    const Progress progress(contents, total, path);
    out.write(preamble, sizeof preamble);
    out.write(reinterpret_cast<const uint8_t *>(header.data()), header.size());
    out.pad_to(data_start);
    progress.report(out.written());
    size_t i = 0;
    for (const auto &file : contents.embedded_files) {
        write_region(out, progress, data_start + layout.file_offsets[i++],
                     reinterpret_cast<const uint8_t *>(file.second.data()), file.second.size());
    }
    for (size_t t = 0; t < contents.tensors.size(); ++t) {
        const LlmrtFileTensor &tensor = contents.tensors[t];
        write_region(out, progress, data_start + layout.tensor_offsets[t], tensor.data, tensor.nbytes);
    }
    require(out.written() == total, Status::Internal,
            path + ": wrote " + std::to_string(out.written()) + " bytes instead of " + std::to_string(total));
    out.commit();
}

namespace {

Checkpoint parse(LlmrtFileParser &parser, const std::string &path) {
    try {
        return parser.parse();
    } catch (const json::exception &e) {
        // Every JSON access above is type-checked first; this only turns a missed check into a
        // format error instead of a foreign exception escaping to the C API.
        fail(Status::Format, path + ": malformed header: " + e.what());
    }
}

bool region_intact(const ChecksummedRegion &r) { return crc32c(r.data, r.size) == r.crc; }

std::string region_name(const ChecksummedRegion &r) { return std::string(r.kind) + " '" + r.name + "'"; }

}  // namespace

Checkpoint read_llmrt_file(const std::string &path) {
    LlmrtFileParser parser(std::make_shared<MappedFile>(path));
    Checkpoint ckpt = parse(parser, path);
    if (parser.version() == kLlmrtFileVersionWithoutChecksums) {
        log_warn(path + ": llmrt file version " + std::to_string(kLlmrtFileVersionWithoutChecksums) +
                 " has no checksums, so damage to its weights cannot be detected; quantize the model again to add "
                 "them");
    }
    for (const ChecksummedRegion &r : parser.regions()) {
        if (!region_intact(r)) {
            fail(Status::Format, path + ": " + region_name(r) + " is corrupt: its checksum (CRC-32C) is " +
                                       hex32(crc32c(r.data, r.size)) + ", the header records " + hex32(r.crc) +
                                       " (llmrt check lists every damaged tensor)");
        }
    }
    return ckpt;
}

size_t check_llmrt_file(const std::string &path, const LlmrtCheckVisitor &visit) {
    LlmrtFileParser parser(std::make_shared<MappedFile>(path));
    parse(parser, path);
    require(parser.version() != kLlmrtFileVersionWithoutChecksums, Status::Unsupported,
            path + ": llmrt file version " + std::to_string(kLlmrtFileVersionWithoutChecksums) +
                " has no checksums to verify; quantize the model again to add them");
    std::vector<std::string> damaged;
    for (const ChecksummedRegion &r : parser.regions()) {
        const bool ok = region_intact(r);
        if (!ok) damaged.push_back(region_name(r));
        if (visit && !visit(r.kind, r.name, ok)) fail(Status::Cancelled, path + ": the check was cancelled");
    }
    if (!damaged.empty()) {
        // The message lists a few; the visitor saw them all.
        constexpr size_t kListed = 8;
        std::string list;
        for (size_t i = 0; i < damaged.size() && i < kListed; ++i) list += (i ? ", " : "") + damaged[i];
        if (damaged.size() > kListed) list += " and " + std::to_string(damaged.size() - kListed) + " more";
        fail(Status::Format, path + ": " + std::to_string(damaged.size()) + " of " +
                                   std::to_string(parser.regions().size()) +
                                   " tensors and embedded files are corrupt (their checksums do not match): " + list);
    }
    return parser.regions().size();
}

}  // namespace llmrt
