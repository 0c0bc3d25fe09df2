// Small test harness shared by the model unit tests: a TLM initiator the test drives (from the test
// body between sc_start() calls, or from its own SC_THREAD), a plain memory target that records
// what reaches it, an interrupt-line probe that records edges with their times, and a capture of
// the warnings the models report.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "sc_test.h"

namespace encvp::test {

inline sc_core::sc_time ns(double v) { return sc_core::sc_time(v, sc_core::SC_NS); }
inline sc_core::sc_time us(double v) { return sc_core::sc_time(v, sc_core::SC_US); }

inline uint32_t le32(const uint8_t* p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
inline void put_le32(uint8_t* p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (8 * i));
}

inline std::string hex(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}

// Declare as the first member of a fixture whose modules are members: they must be built on a
// fresh kernel, and sc_test::SetUp() only runs after the members exist.
struct fresh_kernel {
    fresh_kernel() { encvp::fresh_simulation_kernel(); }
};

// Collects the SystemC warnings reported while it is alive (they are still displayed).
class report_capture {
public:
    report_capture() : prev_(active()) {
        active() = this;
        sc_core::sc_report_handler::set_handler(&handler);
    }
    ~report_capture() {
        active() = prev_;
        if (prev_ == nullptr) sc_core::sc_report_handler::set_handler(sc_core::sc_report_handler::default_handler);
    }
    report_capture(const report_capture&) = delete;
    report_capture& operator=(const report_capture&) = delete;

    const std::vector<std::string>& warnings() const { return warnings_; }
    std::size_t count() const { return warnings_.size(); }
    void clear() { warnings_.clear(); }
    // True if one warning contains every one of the given pieces.
    bool any(std::initializer_list<std::string> pieces) const {
        for (const std::string& w : warnings_) {
            bool all = true;
            for (const std::string& p : pieces) all = all && w.find(p) != std::string::npos;
            if (all) return true;
        }
        return false;
    }
    std::string dump() const {
        std::string s;
        for (const std::string& w : warnings_) s += "  " + w + "\n";
        return s;
    }

private:
    static report_capture*& active() {
        static report_capture* current = nullptr;
        return current;
    }
    static void handler(const sc_core::sc_report& r, const sc_core::sc_actions& a) {
        if (r.get_severity() == sc_core::SC_WARNING && active() != nullptr)
            active()->warnings_.push_back(std::string(r.get_msg_type()) + ": " + r.get_msg());
        sc_core::sc_report_handler::default_handler(r, a);
    }

    report_capture* prev_;
    std::vector<std::string> warnings_;
};

// A TLM initiator under the test's control. The access functions never wait: they return the
// annotated delay, and simulated time only advances through sc_start() (test body) or wait()
// (inside a script run on this module's thread).
class test_initiator : public sc_core::sc_module {
public:
    tlm_utils::simple_initiator_socket<test_initiator> socket;

    struct invalidation {
        uint64_t start, end;
    };
    std::vector<invalidation> invalidations;  // invalidate_direct_mem_ptr calls received

    struct result {
        tlm::tlm_response_status status = tlm::TLM_INCOMPLETE_RESPONSE;
        sc_core::sc_time delay;     // annotated delay after the call
        bool dmi_allowed = false;   // the target's DMI hint
        uint64_t address_after = 0; // payload address when the call returned
        bool ok() const { return status == tlm::TLM_OK_RESPONSE; }
    };

    SC_HAS_PROCESS(test_initiator);
    explicit test_initiator(const sc_core::sc_module_name& nm) : sc_module(nm), socket("socket") {
        socket.register_invalidate_direct_mem_ptr(this, &test_initiator::invalidate);
        SC_THREAD(main);
    }

    // Script run by this initiator's thread when the simulation starts (it may call wait()).
    void run(std::function<void()> script) { script_ = std::move(script); }
    bool script_done() const { return done_; }

    result transport(tlm::tlm_command cmd, uint64_t addr, uint8_t* data, unsigned len,
                     const sc_core::sc_time& delay = sc_core::SC_ZERO_TIME, const uint8_t* be = nullptr,
                     unsigned be_len = 0, unsigned streaming_width = 0) {
        tlm::tlm_generic_payload tx;
        tx.set_command(cmd);
        tx.set_address(addr);
        tx.set_data_ptr(data);
        tx.set_data_length(len);
        tx.set_streaming_width(streaming_width ? streaming_width : len);
        tx.set_byte_enable_ptr(const_cast<uint8_t*>(be));
        tx.set_byte_enable_length(be ? (be_len ? be_len : len) : 0);
        tx.set_dmi_allowed(false);
        tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        result r;
        r.delay = delay;
        socket->b_transport(tx, r.delay);
        r.status = tx.get_response_status();
        r.dmi_allowed = tx.is_dmi_allowed();
        r.address_after = tx.get_address();
        return r;
    }
    result write(uint64_t addr, const void* src, unsigned len, const sc_core::sc_time& delay = sc_core::SC_ZERO_TIME) {
        std::vector<uint8_t> buf(static_cast<const uint8_t*>(src), static_cast<const uint8_t*>(src) + len);
        return transport(tlm::TLM_WRITE_COMMAND, addr, buf.data(), len, delay);
    }
    result read(uint64_t addr, void* dst, unsigned len, const sc_core::sc_time& delay = sc_core::SC_ZERO_TIME) {
        return transport(tlm::TLM_READ_COMMAND, addr, static_cast<uint8_t*>(dst), len, delay);
    }
    result write32(uint64_t addr, uint32_t v, const sc_core::sc_time& delay = sc_core::SC_ZERO_TIME) {
        uint8_t b[4];
        put_le32(b, v);
        return transport(tlm::TLM_WRITE_COMMAND, addr, b, 4, delay);
    }
    result read32(uint64_t addr, uint32_t& v, const sc_core::sc_time& delay = sc_core::SC_ZERO_TIME) {
        uint8_t b[4] = {0xEE, 0xEE, 0xEE, 0xEE};
        result r = transport(tlm::TLM_READ_COMMAND, addr, b, 4, delay);
        v = le32(b);
        return r;
    }
    // Register accesses that must succeed (a failure is reported, naming the address).
    uint32_t rd(uint64_t addr) {
        uint32_t v = 0;
        const result r = read32(addr, v);
        EXPECT_TRUE(r.ok()) << "read of " << hex(addr) << " answered " << r.status;
        return v;
    }
    void wr(uint64_t addr, uint32_t v) {
        const result r = write32(addr, v);
        EXPECT_TRUE(r.ok()) << "write of " << hex(v) << " to " << hex(addr) << " answered " << r.status;
    }

    struct dbg_result {
        unsigned bytes = 0;
        tlm::tlm_response_status status = tlm::TLM_INCOMPLETE_RESPONSE;
        uint64_t address_after = 0;
    };
    dbg_result debug(tlm::tlm_command cmd, uint64_t addr, uint8_t* data, unsigned len) {
        tlm::tlm_generic_payload tx;
        tx.set_command(cmd);
        tx.set_address(addr);
        tx.set_data_ptr(data);
        tx.set_data_length(len);
        tx.set_streaming_width(len);
        tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        dbg_result r;
        r.bytes = socket->transport_dbg(tx);
        r.status = tx.get_response_status();
        r.address_after = tx.get_address();
        return r;
    }

    bool get_dmi(uint64_t addr, tlm::tlm_dmi& dmi, tlm::tlm_command cmd = tlm::TLM_READ_COMMAND) {
        tlm::tlm_generic_payload tx;
        tx.set_command(cmd);
        tx.set_address(addr);
        tx.set_data_length(0);
        tx.set_data_ptr(nullptr);
        dmi.init();
        return socket->get_direct_mem_ptr(tx, dmi);
    }

private:
    void main() {
        if (script_) script_();
        done_ = true;
    }
    void invalidate(sc_dt::uint64 start, sc_dt::uint64 end) { invalidations.push_back({start, end}); }

    std::function<void()> script_;
    bool done_ = false;
};

// A plain byte-addressed memory target that records what reaches it and offers DMI on a
// configurable (possibly larger than mapped) range.
class memory_target : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<memory_target> socket;
    std::vector<uint8_t> mem;
    sc_core::sc_time latency;

    bool dmi_enabled = true;
    uint64_t dmi_start = 0, dmi_end = 0;  // offered range, target offsets, inclusive
    sc_core::sc_time dmi_read_latency = ns(1), dmi_write_latency = ns(2);

    unsigned transactions = 0, dmi_requests = 0, dbg_requests = 0;
    uint64_t last_address = ~uint64_t(0), last_dmi_address = ~uint64_t(0), last_dbg_address = ~uint64_t(0);
    unsigned last_length = 0;
    tlm::tlm_response_status forced_status = tlm::TLM_OK_RESPONSE;  // answer every access with this error

    memory_target(const sc_core::sc_module_name& nm, std::size_t size,
                  const sc_core::sc_time& lat = sc_core::SC_ZERO_TIME)
        : sc_module(nm), socket("socket"), mem(size, 0), latency(lat), dmi_end(size - 1) {
        socket.register_b_transport(this, &memory_target::b_transport);
        socket.register_get_direct_mem_ptr(this, &memory_target::get_direct_mem_ptr);
        socket.register_transport_dbg(this, &memory_target::transport_dbg);
    }

    // Withdraws DMI for [start, end] (target offsets).
    void invalidate(uint64_t start, uint64_t end) { socket->invalidate_direct_mem_ptr(start, end); }

private:
    void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
        ++transactions;
        last_address = tx.get_address();
        last_length = tx.get_data_length();
        unsigned sw = tx.get_streaming_width();
        if (sw == 0 || sw > last_length) sw = last_length;
        if (forced_status != tlm::TLM_OK_RESPONSE) {
            tx.set_response_status(forced_status);
            return;
        }
        if (last_address + sw > mem.size()) {
            tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
            return;
        }
        for (unsigned i = 0; i < last_length; ++i) {
            uint8_t& cell = mem[last_address + i % sw];
            if (tx.is_read()) tx.get_data_ptr()[i] = cell;
            else if (tx.is_write()) cell = tx.get_data_ptr()[i];
        }
        delay += latency;
        tx.set_dmi_allowed(dmi_enabled);
        tx.set_response_status(tlm::TLM_OK_RESPONSE);
    }
    bool get_direct_mem_ptr(tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi) {
        ++dmi_requests;
        last_dmi_address = tx.get_address();
        if (!dmi_enabled) {
            dmi.allow_none();
            return false;
        }
        dmi.set_dmi_ptr(mem.data() + dmi_start);
        dmi.set_start_address(dmi_start);
        dmi.set_end_address(dmi_end);
        dmi.allow_read_write();
        dmi.set_read_latency(dmi_read_latency);
        dmi.set_write_latency(dmi_write_latency);
        return true;
    }
    unsigned transport_dbg(tlm::tlm_generic_payload& tx) {
        ++dbg_requests;
        last_dbg_address = tx.get_address();
        const uint64_t a = tx.get_address();
        const unsigned len = tx.get_data_length();
        if (a + len > mem.size()) {
            tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
            return 0;
        }
        if (tx.is_read()) std::memcpy(tx.get_data_ptr(), mem.data() + a, len);
        else if (tx.is_write()) std::memcpy(mem.data() + a, tx.get_data_ptr(), len);
        tx.set_response_status(tlm::TLM_OK_RESPONSE);
        return len;
    }
};

// Records every change of a boolean line with its simulated time.
class irq_probe : public sc_core::sc_module {
public:
    sc_core::sc_in<bool> in;

    struct edge {
        sc_core::sc_time time;
        bool level;
    };
    std::vector<edge> edges;

    SC_HAS_PROCESS(irq_probe);
    explicit irq_probe(const sc_core::sc_module_name& nm) : sc_module(nm), in("in") {
        SC_METHOD(sample);
        sensitive << in;
        dont_initialize();
    }

    bool level() const { return in.read(); }
    unsigned rises() const { return count(true); }
    unsigned falls() const { return count(false); }
    // Time of the first rising (falling) edge; sc_max_time() if there was none.
    sc_core::sc_time first(bool level) const {
        for (const edge& e : edges)
            if (e.level == level) return e.time;
        return sc_core::sc_max_time();
    }
    sc_core::sc_time last(bool level) const {
        sc_core::sc_time t = sc_core::sc_max_time();
        for (const edge& e : edges)
            if (e.level == level) t = e.time;
        return t;
    }

private:
    unsigned count(bool level) const {
        unsigned n = 0;
        for (const edge& e : edges) n += e.level == level;
        return n;
    }
    void sample() { edges.push_back({sc_core::sc_time_stamp(), in.read()}); }
};

}  // namespace encvp::test
