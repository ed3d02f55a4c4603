// A minimal reader of the protobuf wire format: enough to walk the fields of a message.
// Every varint, length and fixed-size value is checked against the buffer; malformed input
// throws Error(Status::Format) with the given description of the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace llmrt {

struct ProtoField {
    enum class Wire { Varint = 0, Fixed64 = 1, Bytes = 2, Fixed32 = 5 };
    uint32_t number = 0;
    Wire wire = Wire::Varint;
    uint64_t varint = 0;     // Varint
    uint32_t fixed32 = 0;    // Fixed32
    uint64_t fixed64 = 0;    // Fixed64
    std::string_view bytes;  // Bytes (strings and sub-messages); points into the reader's buffer

    float as_float() const;   // Fixed32 reinterpreted
    int32_t as_int32() const; // Varint as protobuf int32 (negative values are sign-extended)
    bool as_bool() const { return varint != 0; }
};

class ProtoReader {
public:
    // `what` names the file (and part) for error messages.
    ProtoReader(std::string_view buffer, std::string what);

    // Reads the next field; returns false at the end of the buffer.
    bool next(ProtoField &field);

    // Throws unless the field has the expected wire type.
    void expect(const ProtoField &field, ProtoField::Wire wire) const;

private:
    uint64_t read_varint();
    [[noreturn]] void malformed(const std::string &problem) const;

    std::string_view buffer_;
    size_t pos_ = 0;
    std::string what_;
};

}  // namespace llmrt
