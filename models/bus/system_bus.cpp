#include "bus/system_bus.h"

#include <algorithm>
#include <stdexcept>

#include "common/memory_access.h"
#include "common/report.h"

namespace encvp {

system_bus::system_bus(const sc_core::sc_module_name& nm) : sc_module(nm), in("in"), out("out") {
    in.register_b_transport(this, &system_bus::b_transport);
    in.register_get_direct_mem_ptr(this, &system_bus::get_direct_mem_ptr);
    in.register_transport_dbg(this, &system_bus::transport_dbg);
    out.register_invalidate_direct_mem_ptr(this, &system_bus::invalidate_direct_mem_ptr);
}

void system_bus::map(unsigned port, uint64_t base, uint64_t size, const std::string& nm) {
    if (size == 0) throw std::invalid_argument(std::string(name()) + ": mapping '" + nm + "' has size 0");
    if (base + size < base)
        throw std::invalid_argument(std::string(name()) + ": mapping '" + nm + "' wraps around the address space");
    for (const mapping& m : map_) {
        if (base < m.base + m.size && m.base < base + size)
            throw std::invalid_argument(std::string(name()) + ": mapping '" + nm + "' [" + hex_string(base) + ", " +
                                        hex_string(base + size) + ") overlaps '" + m.name + "' [" +
                                        hex_string(m.base) + ", " + hex_string(m.base + m.size) + ")");
    }
    map_.push_back(mapping{nm, base, size, port});
    std::sort(map_.begin(), map_.end(), [](const mapping& a, const mapping& b) { return a.base < b.base; });
    last_ = nullptr;
    if (counters_.size() <= port) counters_.resize(port + 1);
}

const system_bus::mapping* system_bus::decode(uint64_t address) const {
    if (last_ && address >= last_->base && address - last_->base < last_->size) return last_;
    auto it = std::upper_bound(map_.begin(), map_.end(), address,
                               [](uint64_t a, const mapping& m) { return a < m.base; });
    if (it == map_.begin()) return nullptr;
    --it;
    if (address - it->base >= it->size) return nullptr;
    last_ = &*it;
    return last_;
}

const system_bus::mapping* system_bus::route(uint64_t address, uint64_t span) const {
    const mapping* m = decode(address);
    if (m == nullptr) return nullptr;
    if (span > m->size - (address - m->base)) return nullptr;  // access runs off the end of the target
    return m;
}

void system_bus::b_transport(int, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
    const uint64_t address = tx.get_address();
    const unsigned len = tx.get_data_length();
    const mapping* m = route(address, memory_access_span(tx));
    const unsigned beats = (len + timing_.width_bytes - 1) / timing_.width_bytes;
    delay += timing_.hop_latency + timing_.cycle * double(beats);
    if (m == nullptr) {
        ++unmapped_;
        tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        report_warning(name(), std::string(tx.is_read() ? "read of " : "write to ") + hex_string(address) + " (" +
                                   std::to_string(len) + " bytes) at " +
                                   time_string(sc_core::sc_time_stamp() + delay) +
                                   (decode(address) ? ": access runs past the end of " + decode(address)->name
                                                    : ": no target mapped at this address"));
        if (trace_) trace_transaction(name(), tx, delay);
        return;
    }
    port_counters& c = counters_[m->port];
    ++c.transactions;
    c.bytes += len;
    tx.set_address(address - m->base);
    out[m->port]->b_transport(tx, delay);
    tx.set_address(address);
    if (tx.is_response_error()) ++c.errors;
    if (trace_) trace_transaction(name(), tx, delay);
}

bool system_bus::get_direct_mem_ptr(int, tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi) {
    const uint64_t address = tx.get_address();
    const mapping* m = decode(address);
    if (m == nullptr) {
        // Tell the initiator which hole this is so it does not ask again for the same region.
        dmi.allow_none();
        dmi.set_start_address(address);
        dmi.set_end_address(address);
        return false;
    }
    tx.set_address(address - m->base);
    const bool ok = out[m->port]->get_direct_mem_ptr(tx, dmi);
    tx.set_address(address);
    // Translate back to bus addresses and clip to the window the map gives this target.
    uint64_t start = dmi.get_start_address();
    uint64_t end = dmi.get_end_address();
    if (end > m->size - 1) end = m->size - 1;
    if (ok) ++counters_[m->port].dmi_grants;
    dmi.set_start_address(start + m->base);
    dmi.set_end_address(end + m->base);
    dmi.set_read_latency(dmi.get_read_latency() + timing_.hop_latency);
    dmi.set_write_latency(dmi.get_write_latency() + timing_.hop_latency);
    return ok;
}

unsigned system_bus::transport_dbg(int, tlm::tlm_generic_payload& tx) {
    const uint64_t address = tx.get_address();
    const mapping* m = route(address, tx.get_data_length());
    if (m == nullptr) {
        tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return 0;
    }
    tx.set_address(address - m->base);
    const unsigned n = out[m->port]->transport_dbg(tx);
    tx.set_address(address);
    return n;
}

void system_bus::invalidate_direct_mem_ptr(int port, sc_dt::uint64 start, sc_dt::uint64 end) {
    for (const mapping& m : map_) {
        if (m.port != unsigned(port)) continue;
        if (start >= m.size) continue;
        const uint64_t lo = m.base + start;
        const uint64_t hi = m.base + std::min<uint64_t>(end, m.size - 1);
        for (unsigned i = 0; i < in.size(); ++i) in[i]->invalidate_direct_mem_ptr(lo, hi);
    }
}

void system_bus::stats(nlohmann::json& j) const {
    nlohmann::json targets = nlohmann::json::object();
    for (const mapping& m : map_) {
        const port_counters& c = counters_[m.port];
        targets[m.name] = {{"transactions", c.transactions}, {"bytes", c.bytes}, {"errors", c.errors},
                           {"dmi_grants", c.dmi_grants}};
    }
    j["targets"] = targets;
    j["unmapped_accesses"] = unmapped_;
}

}  // namespace encvp
