#include "tokenizer/protobuf_reader.h"

#include <cstring>

#include "core/error.h"

namespace llmrt {

float ProtoField::as_float() const {
    float f = 0.0f;
    static_assert(sizeof(f) == sizeof(fixed32), "float must be 32 bits");
    std::memcpy(&f, &fixed32, sizeof(f));
    return f;
}

int32_t ProtoField::as_int32() const {
    // int32 fields keep only the low 32 bits; negative values are written sign-extended to 64.
    return static_cast<int32_t>(static_cast<uint32_t>(varint & 0xFFFFFFFFu));
}

ProtoReader::ProtoReader(std::string_view buffer, std::string what)
    : buffer_(buffer), what_(std::move(what)) {}

void ProtoReader::malformed(const std::string &problem) const {
    fail(Status::Format, what_ + ": malformed protobuf at byte " + std::to_string(pos_) + ": " + problem);
}

uint64_t ProtoReader::read_varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (pos_ >= buffer_.size()) malformed("varint runs past the end");
        const uint8_t b = static_cast<uint8_t>(buffer_[pos_++]);
        if (shift == 63 && (b & 0x7E) != 0) malformed("varint overflows 64 bits");
        value |= static_cast<uint64_t>(b & 0x7F) << shift;
        if ((b & 0x80) == 0) return value;
    }
    malformed("varint longer than 10 bytes");
}

bool ProtoReader::next(ProtoField &field) {
    if (pos_ >= buffer_.size()) return false;
    const uint64_t key = read_varint();
    const uint64_t number = key >> 3;
    if (number == 0 || number > 0x1FFFFFFF) malformed("invalid field number " + std::to_string(number));
    field = ProtoField{};
    field.number = static_cast<uint32_t>(number);
    const size_t remaining_after_key = buffer_.size() - pos_;
    switch (key & 7) {
    case 0:
        field.wire = ProtoField::Wire::Varint;
        field.varint = read_varint();
        return true;
    case 1:
        if (remaining_after_key < 8) malformed("fixed64 runs past the end");
        field.wire = ProtoField::Wire::Fixed64;
        std::memcpy(&field.fixed64, buffer_.data() + pos_, 8);  // little-endian hosts only
        pos_ += 8;
        return true;
    case 2: {
        field.wire = ProtoField::Wire::Bytes;
        const uint64_t length = read_varint();
        if (length > buffer_.size() - pos_) {
            malformed("field " + std::to_string(number) + " length " + std::to_string(length) +
                      " runs past the end");
        }
        field.bytes = buffer_.substr(pos_, static_cast<size_t>(length));
        pos_ += static_cast<size_t>(length);
        return true;
    }
    case 5:
        if (remaining_after_key < 4) malformed("fixed32 runs past the end");
        field.wire = ProtoField::Wire::Fixed32;
        std::memcpy(&field.fixed32, buffer_.data() + pos_, 4);
        pos_ += 4;
        return true;
    default:
        malformed("unsupported wire type " + std::to_string(key & 7));  // groups (3, 4) or junk
    }
}

void ProtoReader::expect(const ProtoField &field, ProtoField::Wire wire) const {
    if (field.wire != wire) {
        fail(Status::Format, what_ + ": field " + std::to_string(field.number) +
                                   " has wire type " + std::to_string(static_cast<int>(field.wire)) +
                                   ", expected " + std::to_string(static_cast<int>(wire)));
    }
}

}  // namespace llmrt
