#include "formats/hf_gptq_writer.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/float16.h"

namespace llmrt {
namespace {

void put_u32(std::vector<uint8_t> &out, size_t word, uint32_t v) {
    std::memcpy(out.data() + 4 * word, &v, 4);  // little-endian hosts, like the readers
}

void io_fail(const std::string &what, int err) { fail(Status::Io, what + ": " + std::strerror(err)); }

void write_file(const std::string &path, const std::string &head, const std::vector<const std::vector<uint8_t> *> &parts) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    require(out.is_open(), Status::Io, "cannot create " + path);
    out.write(head.data(), static_cast<std::streamsize>(head.size()));
    for (const auto *p : parts) out.write(reinterpret_cast<const char *>(p->data()), static_cast<std::streamsize>(p->size()));
    out.flush();
    require(out.good(), Status::Io, "cannot write " + path);
}

// Removes the temporary directory (only files: the writer creates no subdirectories).
void remove_tree(const std::string &dir) {
    if (DIR *d = ::opendir(dir.c_str())) {
        while (const dirent *e = ::readdir(d)) {
            const std::string name = e->d_name;
            if (name != "." && name != "..") ::unlink((dir + "/" + name).c_str());
        }
        ::closedir(d);
    }
    ::rmdir(dir.c_str());
}

bool is_empty_dir(const std::string &dir) {
    DIR *d = ::opendir(dir.c_str());
    if (!d) return false;
    bool empty = true;
    while (const dirent *e = ::readdir(d)) {
        const std::string name = e->d_name;
        if (name != "." && name != "..") empty = false;
    }
    ::closedir(d);
    return empty;
}

}  // namespace

HfGptqWriter::HfGptqWriter(int bits, int64_t group_size, bool sym) : bits_(bits), group_size_(group_size), sym_(sym) {
    require(bits == 4 || bits == 8, Status::Unsupported,
            "HF GPTQ holds 4- or 8-bit weights, not " + std::to_string(bits) + "-bit");
    require(group_size == -1 || group_size > 0, Status::InvalidArgument, "GPTQ group size must be -1 or positive");
}

void HfGptqWriter::add_linear(const std::string &prefix, const HfQuantLinear &q) {
    const std::string what = "'" + prefix + "' (HF GPTQ " + std::to_string(bits_) + "-bit)";
    require(q.bits == bits_, Status::Unsupported,
            "tensor " + what + " is " + std::to_string(q.bits) + "-bit: one GPTQ checkpoint holds one bit width");
    const int64_t want_group = group_size_ < 0 ? q.cols : group_size_;
    require(q.group_size == want_group || (group_size_ < 0 && q.n_groups == 1), Status::Unsupported,
            "tensor " + what + " has groups of " + std::to_string(q.group_size) + ", the checkpoint's are " +
                std::to_string(group_size_));
    const int64_t per = 32 / bits_;
    // qweight packs inputs and qzeros outputs into whole 32-bit words.
    require(q.cols % per == 0 && q.rows % per == 0, Status::Unsupported,
            "tensor " + what + " of [" + std::to_string(q.rows) + ", " + std::to_string(q.cols) +
                "] does not fill whole 32-bit words of " + std::to_string(per) + " values");
    const uint32_t mask = (1u << bits_) - 1u;

    Blob qweight{"I32", {q.cols / per, q.rows}, std::vector<uint8_t>(static_cast<size_t>(q.cols / per * q.rows) * 4)};
    for (int64_t r = 0; r < q.cols / per; ++r)
        for (int64_t o = 0; o < q.rows; ++o) {
            uint32_t word = 0;
            const uint8_t *src = q.codes.data() + o * q.cols + r * per;
            for (int64_t j = 0; j < per; ++j) word |= (static_cast<uint32_t>(src[j]) & mask) << (bits_ * j);
            put_u32(qweight.bytes, static_cast<size_t>(r * q.rows + o), word);
        }

    // v1 ("gptq") stores zero - 1: a zero point of 0 would wrap to 2^bits - 1 and read back wrong.
    Blob qzeros{"I32", {q.n_groups, q.rows / per}, std::vector<uint8_t>(static_cast<size_t>(q.n_groups * q.rows / per) * 4)};
    for (int64_t g = 0; g < q.n_groups; ++g)
        for (int64_t c = 0; c < q.rows / per; ++c) {
            uint32_t word = 0;
            for (int64_t j = 0; j < per; ++j) {
                const int32_t zero = q.zeros[static_cast<size_t>((c * per + j) * q.n_groups + g)];
                require(zero >= 1 && zero <= static_cast<int32_t>(mask) + 1, Status::Unsupported,
                        "tensor " + what + ": zero point " + std::to_string(zero) + " of output " +
                            std::to_string(c * per + j) + ", group " + std::to_string(g) +
                            " cannot be stored (checkpoint_format \"gptq\" stores zero - 1 in " +
                            std::to_string(bits_) + " bits)");
                word |= (static_cast<uint32_t>(zero - 1) & mask) << (bits_ * j);
            }
            put_u32(qzeros.bytes, static_cast<size_t>(g * (q.rows / per) + c), word);
        }

    // scales [n_groups, rows].
    Blob scales{q.f16_scales ? "F16" : "F32", {q.n_groups, q.rows},
                std::vector<uint8_t>(static_cast<size_t>(q.n_groups * q.rows) * (q.f16_scales ? 2 : 4))};
    for (int64_t g = 0; g < q.n_groups; ++g)
        for (int64_t o = 0; o < q.rows; ++o) {
            const float s = q.scales[static_cast<size_t>(o * q.n_groups + g)];
            const size_t at = static_cast<size_t>(g * q.rows + o);
            if (q.f16_scales) {
                const uint16_t h = f32_to_f16(s);
                require(f16_to_f32(h) == s, Status::Unsupported,
                        "tensor " + what + ": scale " + std::to_string(s) + " is not a float16 number");
                std::memcpy(scales.bytes.data() + 2 * at, &h, 2);
            } else {
                std::memcpy(scales.bytes.data() + 4 * at, &s, 4);
            }
        }

    Blob g_idx{"I32", {q.cols}, std::vector<uint8_t>(static_cast<size_t>(q.cols) * 4)};
    for (int64_t i = 0; i < q.cols; ++i)
        put_u32(g_idx.bytes, static_cast<size_t>(i), static_cast<uint32_t>(q.g_idx[static_cast<size_t>(i)]));

    tensors_[prefix + ".qweight"] = std::move(qweight);
    tensors_[prefix + ".qzeros"] = std::move(qzeros);
    tensors_[prefix + ".scales"] = std::move(scales);
    tensors_[prefix + ".g_idx"] = std::move(g_idx);
}

void HfGptqWriter::add_f32(const std::string &name, const std::vector<int64_t> &shape, const float *data) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    Blob b{"F32", shape, std::vector<uint8_t>(static_cast<size_t>(n) * 4)};
    std::memcpy(b.bytes.data(), data, b.bytes.size());
    tensors_[name] = std::move(b);
}

std::string HfGptqWriter::safetensors_bytes_header() const {
    nlohmann::json header = nlohmann::json::object();
    header["__metadata__"] = {{"format", "pt"}};
    size_t offset = 0;
    for (const auto &kv : tensors_) {
        header[kv.first] = {{"dtype", kv.second.dtype},
                            {"shape", kv.second.shape},
                            {"data_offsets", {offset, offset + kv.second.bytes.size()}}};
        offset += kv.second.bytes.size();
    }
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');  // the data starts 8-byte aligned
    std::string head(8, '\0');
    const uint64_t n = text.size();
    std::memcpy(&head[0], &n, 8);
    return head + text;
}

void HfGptqWriter::write(const std::string &dir) const {
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0)
        require(S_ISDIR(st.st_mode) && is_empty_dir(dir), Status::Io,
                dir + " already exists: an HF GPTQ export replaces only an empty directory");

    std::string tmpl = dir + ".tmp-XXXXXX";
    if (!::mkdtemp(&tmpl[0])) io_fail("cannot create a directory next to " + dir, errno);
    const std::string tmp = tmpl;
    try {
        nlohmann::json config = config_;
        nlohmann::json q = {{"quant_method", "gptq"},     {"bits", bits_},
                            {"group_size", group_size_},  {"desc_act", false},
                            {"sym", sym_},                {"checkpoint_format", "gptq"},
                            {"true_sequential", true},    {"static_groups", false}};
        if (lm_head_) q["lm_head"] = true;
        config["quantization_config"] = q;
        const std::string config_text = config.dump(2) + "\n";
        write_file(tmp + "/config.json", config_text, {});
        // AutoGPTQ reads its settings from quantize_config.json; transformers from config.json.
        nlohmann::json quantize_config = q;
        quantize_config.erase("quant_method");
        write_file(tmp + "/quantize_config.json", quantize_config.dump(2) + "\n", {});
        std::vector<const std::vector<uint8_t> *> parts;
        for (const auto &kv : tensors_) parts.push_back(&kv.second.bytes);
        write_file(tmp + "/model.safetensors", safetensors_bytes_header(), parts);
        for (const auto &kv : files_) write_file(tmp + "/" + kv.first, kv.second, {});
        // rename() replaces an empty directory and refuses a non-empty one (checked above).
        if (::rename(tmp.c_str(), dir.c_str()) != 0) io_fail("cannot rename " + tmp + " to " + dir, errno);
    } catch (...) {
        remove_tree(tmp);
        throw;
    }
}

}  // namespace llmrt
