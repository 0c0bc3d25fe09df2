// The TLM-2.0 base-protocol checker: silent on well-behaved traffic (the real memories), and every
// rule it enforces is broken once, by a target or an initiator written to break it.
#include <cstring>
#include <vector>

#include <gtest/gtest.h>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "common/protocol_checker.h"
#include "common/sim_kernel.h"
#include "memory/dram.h"

namespace encvp {
namespace {

// A memory target that can be told to misbehave.
struct bad_target : sc_core::sc_module {
    tlm_utils::simple_target_socket<bad_target> in;
    std::vector<uint8_t> mem = std::vector<uint8_t>(256, 0);
    bool leave_incomplete = false, change_address = false, ignore_byte_enables = false, change_length = false;
    bool dmi_wrong_range = false, dmi_null = false, rewind_delay = false;

    explicit bad_target(const sc_core::sc_module_name& nm) : sc_module(nm), in("in") {
        in.register_b_transport(this, &bad_target::b_transport);
        in.register_get_direct_mem_ptr(this, &bad_target::get_dmi);
        in.register_transport_dbg(this, &bad_target::dbg);
    }
    void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
        const uint64_t a = tx.get_address();
        const unsigned len = tx.get_data_length();
        for (unsigned i = 0; i < len; ++i) {
            const unsigned be_len = tx.get_byte_enable_length();
            const bool on = ignore_byte_enables || !tx.get_byte_enable_ptr() || be_len == 0 ||
                            tx.get_byte_enable_ptr()[i % be_len] == TLM_BYTE_ENABLED;
            if (!on) continue;
            if (tx.is_read()) tx.get_data_ptr()[i] = mem[a + i];
            else mem[a + i] = tx.get_data_ptr()[i];
        }
        if (!leave_incomplete) tx.set_response_status(tlm::TLM_OK_RESPONSE);
        if (change_address) tx.set_address(a + 4);
        if (change_length) tx.set_data_length(len / 2);
        if (rewind_delay) delay = sc_core::SC_ZERO_TIME;
        else delay += sc_core::sc_time(10, sc_core::SC_NS);
    }
    bool get_dmi(tlm::tlm_generic_payload& tx, tlm::tlm_dmi& d) {
        d.allow_read_write();
        d.set_dmi_ptr(dmi_null ? nullptr : mem.data());
        d.set_start_address(dmi_wrong_range ? 128 : 0);
        d.set_end_address(mem.size() - 1);
        return true;
    }
    unsigned dbg(tlm::tlm_generic_payload& tx) { return tx.get_data_length() + 1; }  // claims one byte too many
};

struct initiator : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<initiator> out;
    explicit initiator(const sc_core::sc_module_name& nm) : sc_module(nm), out("out") {}
    // A well-formed access, unless the test spoils the payload first.
    tlm::tlm_response_status access(tlm::tlm_command cmd, uint64_t a, uint8_t* data, unsigned len,
                                    const uint8_t* be = nullptr, unsigned be_len = 0, bool spoil = false) {
        tlm::tlm_generic_payload tx;
        tx.set_command(cmd);
        tx.set_address(a);
        tx.set_data_ptr(data);
        tx.set_data_length(len);
        tx.set_streaming_width(len);
        tx.set_byte_enable_ptr(const_cast<uint8_t*>(be));
        tx.set_byte_enable_length(be_len);
        tx.set_dmi_allowed(spoil);
        tx.set_response_status(spoil ? tlm::TLM_OK_RESPONSE : tlm::TLM_INCOMPLETE_RESPONSE);
        sc_core::sc_time d = sc_core::sc_time(5, sc_core::SC_NS);
        out->b_transport(tx, d);
        return tx.get_response_status();
    }
    bool dmi(uint64_t a) {
        tlm::tlm_generic_payload tx;
        tx.set_address(a);
        tx.set_command(tlm::TLM_READ_COMMAND);
        tlm::tlm_dmi d;
        return out->get_direct_mem_ptr(tx, d);
    }
};

class protocol_checker_test : public ::testing::Test {
protected:
    void SetUp() override {
        fresh_simulation_kernel();
        sc_core::sc_report_handler::set_actions(sc_core::SC_WARNING, sc_core::SC_DO_NOTHING);
    }
    void TearDown() override { sc_core::sc_report_handler::set_actions(sc_core::SC_WARNING, sc_core::SC_DISPLAY); }
};

struct bench {
    initiator init{"init"};
    protocol_checker check{"check"};
    bad_target target{"target"};
    bench() {
        init.out.bind(check.in);
        check.out.bind(target.in);
        sc_core::sc_start(sc_core::SC_ZERO_TIME);
    }
};

TEST_F(protocol_checker_test, well_behaved_traffic_through_a_real_memory_is_silent) {
    initiator init("init");
    protocol_checker check("check");
    dram mem("mem", 4096);
    init.out.bind(check.in);
    check.out.bind(mem.in);
    sc_core::sc_start(sc_core::SC_ZERO_TIME);
    ASSERT_TRUE(init.dmi(0));
    uint8_t data[16];
    for (unsigned i = 0; i < 16; ++i) data[i] = uint8_t(i + 1);
    const uint8_t be[4] = {0xFF, 0, 0xFF, 0};
    EXPECT_EQ(init.access(tlm::TLM_WRITE_COMMAND, 64, data, 16), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(init.access(tlm::TLM_WRITE_COMMAND, 64, data, 16, be, 4), tlm::TLM_OK_RESPONSE);
    uint8_t back[16] = {};
    EXPECT_EQ(init.access(tlm::TLM_READ_COMMAND, 64, back, 16), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(init.access(tlm::TLM_READ_COMMAND, 4090, back, 16), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    mem.invalidate_dmi();
    EXPECT_EQ(check.violations(), 0u);
    nlohmann::json j;
    check.stats(j);
    EXPECT_EQ(j["dmi_data_checks"].get<uint64_t>(), 3u) << j.dump();
    EXPECT_EQ(j["invalidations"].get<uint64_t>(), 1u);
}

TEST_F(protocol_checker_test, a_response_left_incomplete_is_a_violation) {
    bench b;
    b.target.leave_incomplete = true;
    uint8_t d[4] = {};
    b.init.access(tlm::TLM_READ_COMMAND, 0, d, 4);
    EXPECT_EQ(b.check.violations(), 1u);
}

TEST_F(protocol_checker_test, attributes_changed_by_the_target_are_violations) {
    bench b;
    uint8_t d[8] = {};
    b.target.change_address = true;
    b.init.access(tlm::TLM_READ_COMMAND, 0, d, 8);
    EXPECT_EQ(b.check.violations(), 1u);
    b.target.change_address = false;
    b.target.change_length = true;
    b.init.access(tlm::TLM_READ_COMMAND, 0, d, 8);
    EXPECT_EQ(b.check.violations(), 2u);
    b.target.change_length = false;
    b.target.rewind_delay = true;
    b.init.access(tlm::TLM_READ_COMMAND, 0, d, 8);
    EXPECT_EQ(b.check.violations(), 3u);
}

TEST_F(protocol_checker_test, an_initiator_must_hand_over_a_clean_payload) {
    bench b;
    uint8_t d[4] = {};
    b.init.access(tlm::TLM_READ_COMMAND, 0, d, 4, nullptr, 0, true);  // response OK and DMI hint set on entry
    EXPECT_EQ(b.check.violations(), 2u);
    const uint8_t be[1] = {0xFF};
    b.init.access(tlm::TLM_WRITE_COMMAND, 0, d, 4, be, 0);  // byte enables without a length
    EXPECT_EQ(b.check.violations(), 3u);
    b.init.access(tlm::TLM_WRITE_COMMAND, 0, d, 0);  // empty: data length 0 and streaming width 0
    EXPECT_EQ(b.check.violations(), 5u);
}

TEST_F(protocol_checker_test, byte_enables_ignored_inside_a_dmi_region_are_caught) {
    bench b;
    ASSERT_TRUE(b.init.dmi(0));
    b.target.ignore_byte_enables = true;
    uint8_t d[4] = {1, 2, 3, 4};
    const uint8_t be[4] = {0xFF, 0, 0xFF, 0};
    b.init.access(tlm::TLM_WRITE_COMMAND, 8, d, 4, be, 4);
    EXPECT_EQ(b.check.violations(), 1u);
}

TEST_F(protocol_checker_test, bad_dmi_grants_and_debug_lengths_are_violations) {
    bench b;
    b.target.dmi_wrong_range = true;  // [128, 255] for a request at 0
    b.init.dmi(0);
    EXPECT_EQ(b.check.violations(), 1u);
    b.target.dmi_wrong_range = false;
    b.target.dmi_null = true;
    b.init.dmi(0);
    EXPECT_EQ(b.check.violations(), 2u);
    tlm::tlm_generic_payload tx;
    uint8_t d[4];
    tx.set_command(tlm::TLM_READ_COMMAND);
    tx.set_data_ptr(d);
    tx.set_data_length(4);
    b.init.out->transport_dbg(tx);
    EXPECT_EQ(b.check.violations(), 3u);
    EXPECT_EQ(protocol_checker::total_violations() >= 3, true);
}

}  // namespace
}  // namespace encvp
