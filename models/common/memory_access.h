// The one implementation of a byte-addressed memory access, shared by every target that holds
// storage (DRAM, weight SRAM, the encoder's buffers): honours byte enables and streaming width.
#pragma once

#include <cstdint>
#include <cstring>

#include <tlm>

namespace encvp {

// Performs tx on storage[offset ...]; the caller has already checked offset + length fits.
// Returns the number of bytes the access touched; sets the response status.
inline unsigned memory_access(tlm::tlm_generic_payload& tx, uint8_t* storage, uint64_t offset) {
    const unsigned len = tx.get_data_length();
    unsigned char* data = tx.get_data_ptr();
    const unsigned char* be = tx.get_byte_enable_ptr();
    const unsigned be_len = tx.get_byte_enable_length();
    unsigned sw = tx.get_streaming_width();
    if (sw == 0 || sw > len) sw = len;

    if (be == nullptr && sw == len) {  // fast path: plain contiguous access
        if (tx.is_read()) std::memcpy(data, storage + offset, len);
        else if (tx.is_write()) std::memcpy(storage + offset, data, len);
    } else {
        for (unsigned i = 0; i < len; ++i) {
            if (be != nullptr && be_len != 0 && be[i % be_len] == TLM_BYTE_DISABLED) continue;
            uint8_t* cell = storage + offset + (i % sw);
            if (tx.is_read()) data[i] = *cell;
            else if (tx.is_write()) *cell = data[i];
        }
    }
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
    return len;
}

// Bytes of storage an access reaches from its start address (streaming width wraps).
inline uint64_t memory_access_span(const tlm::tlm_generic_payload& tx) {
    const unsigned len = tx.get_data_length();
    const unsigned sw = tx.get_streaming_width();
    return (sw == 0 || sw > len) ? len : sw;
}

}  // namespace encvp
