// Register decoding (models/common/register.*) and the peripheral base block
// (models/common/peripheral.*): access rules from the generated definitions, every rejected access
// answered with the right TLM error and without changing state, debug transport without side
// effects, windows, latency and counters.
#include <array>
#include <cstring>
#include <stdexcept>

#include "common/peripheral.h"
#include "common/register.h"
#include "encvp_regs.h"
#include "harness.h"
#include "regs/encvp_regdefs.h"

namespace encvp::test {
namespace {

namespace rd = regdefs;

// A register with one field of each kind: bits 15:8 rw, 7:4 w1c, 3:0 (and 31:16) read-only.
constexpr rd::reg_def MIXED{"MIXED", 0x8, 0x000000A5u, rd::access::rw, 0x0000FF00u, 0x000000F0u, "test", nullptr, 0};

// Bank layout used by most tests (offset: register, kind):
//   0x00 ID (ro)   0x04 SCRATCH (rw)   0x08 MIXED (rw/w1c/ro fields)   0x0C ACK (wo)
//   0x10 DMA STATUS (ro/w1c fields)   0x14 TIMER_CTRL (rw, mask 0x3)   0x18 hole   0x1C EXIT (wo, mask 0xFF)
class register_bank_test : public sc_test {
protected:
    register_bank bank{"blk"};
    reg32 id{rd::sysctrl::ID, 0x00, "ID"};
    reg32 scratch{rd::sysctrl::SCRATCH, 0x04, "SCRATCH"};
    reg32 mixed{MIXED, 0x08, "MIXED"};
    reg32 ack{rd::intc::ACK, 0x0C, "ACK"};
    reg32 status{rd::dma::ch::STATUS, 0x10, "STATUS"};
    reg32 timer_ctrl{rd::sysctrl::TIMER_CTRL, 0x14, "TIMER_CTRL"};
    reg32 exit_reg{rd::sysctrl::EXIT, 0x1C, "EXIT"};
    std::array<reg32*, 7> all{&id, &scratch, &mixed, &ack, &status, &timer_ctrl, &exit_reg};
    unsigned write_hooks = 0, read_hooks = 0;
    report_capture log;

    void SetUp() override {
        sc_test::SetUp();
        for (reg32* r : all) {
            bank.add(*r);
            r->on_write([this](uint32_t, uint32_t) { ++write_hooks; });
            r->on_read([this](uint32_t v) {
                ++read_hooks;
                return v;
            });
        }
    }

    std::array<uint32_t, 7> snapshot() const {
        std::array<uint32_t, 7> s{};
        for (std::size_t i = 0; i < all.size(); ++i) s[i] = all[i]->get();
        return s;
    }

    tlm::tlm_response_status access(tlm::tlm_command cmd, uint64_t offset, uint8_t* data, unsigned len,
                                    unsigned streaming_width = 0, uint8_t* be = nullptr) {
        tlm::tlm_generic_payload tx;
        tx.set_command(cmd);
        tx.set_address(offset);
        tx.set_data_ptr(data);
        tx.set_data_length(len);
        tx.set_streaming_width(streaming_width ? streaming_width : len);
        tx.set_byte_enable_ptr(be);
        tx.set_byte_enable_length(be ? len : 0);
        tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        bank.transport(tx, offset);
        return tx.get_response_status();
    }
    tlm::tlm_response_status write32(uint64_t offset, uint32_t v) {
        uint8_t b[4];
        put_le32(b, v);
        return access(tlm::TLM_WRITE_COMMAND, offset, b, 4);
    }
    uint32_t read32(uint64_t offset, tlm::tlm_response_status* st = nullptr) {
        uint8_t b[4] = {0xEE, 0xEE, 0xEE, 0xEE};
        const tlm::tlm_response_status s = access(tlm::TLM_READ_COMMAND, offset, b, 4);
        if (st) *st = s;
        return le32(b);
    }
    unsigned debug(tlm::tlm_command cmd, uint64_t offset, uint8_t* data, unsigned len, tlm::tlm_response_status* st) {
        tlm::tlm_generic_payload tx;
        tx.set_command(cmd);
        tx.set_address(offset);
        tx.set_data_ptr(data);
        tx.set_data_length(len);
        tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        const unsigned n = bank.debug(tx, offset);
        *st = tx.get_response_status();
        return n;
    }
};

TEST_F(register_bank_test, ResetValuesComeFromTheGeneratedDefinitions) {
    // Every register of every block starts at the reset value of its definition.
    const rd::reg_def* const* tables[] = {rd::sysctrl::REGISTERS, rd::intc::REGISTERS, rd::dma::REGISTERS,
                                          rd::dma::ch::REGISTERS, rd::encoder::REGISTERS, rd::encoder::layer::REGISTERS};
    const std::size_t sizes[] = {std::size(rd::sysctrl::REGISTERS), std::size(rd::intc::REGISTERS),
                                 std::size(rd::dma::REGISTERS), std::size(rd::dma::ch::REGISTERS),
                                 std::size(rd::encoder::REGISTERS), std::size(rd::encoder::layer::REGISTERS)};
    for (std::size_t t = 0; t < std::size(tables); ++t)
        for (std::size_t i = 0; i < sizes[t]; ++i) {
            reg32 r(*tables[t][i]);
            EXPECT_EQ(r.get(), tables[t][i]->reset) << tables[t][i]->name;
            EXPECT_EQ(r.offset(), tables[t][i]->offset) << tables[t][i]->name;
        }
    // The two generated headers agree (firmware macros vs model definitions).
    EXPECT_EQ(rd::sysctrl::ID.reset, SYSCTRL_ID_RESET);
    EXPECT_EQ(rd::dma::ch::ROWS.reset, DMA_CH_ROWS_RESET);
    EXPECT_EQ(rd::dma::ch::ROWS.reset, 1u);
    EXPECT_EQ(rd::encoder::CAPS.reset, ENCODER_CAPS_RESET);
    EXPECT_EQ(rd::dma::ch::STATUS.w1c_mask, DMA_CH_STATUS_DONE_MASK | DMA_CH_STATUS_ERR_MASK);

    // Through the bank: reads return the reset values, reset_all restores them after writes.
    EXPECT_EQ(read32(0x00), 0x454E4350u);
    EXPECT_EQ(read32(0x08), 0xA5u);
    EXPECT_EQ(write32(0x04, 0x12345678), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(write32(0x14, 0x3), tlm::TLM_OK_RESPONSE);
    mixed.set(0xFFFFFFFF);
    bank.reset_all();
    EXPECT_EQ(scratch.get(), 0u);
    EXPECT_EQ(timer_ctrl.get(), 0u);
    EXPECT_EQ(mixed.get(), 0xA5u);
    EXPECT_EQ(id.get(), 0x454E4350u);
}

TEST_F(register_bank_test, ReadsAreLittleEndianWords) {
    scratch.set(0x11223344);
    uint8_t b[4] = {};
    EXPECT_EQ(access(tlm::TLM_READ_COMMAND, 0x04, b, 4), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(b[0], 0x44);
    EXPECT_EQ(b[1], 0x33);
    EXPECT_EQ(b[2], 0x22);
    EXPECT_EQ(b[3], 0x11);
}

TEST_F(register_bank_test, ReadWriteRegisterStoresOnlyItsMaskBits) {
    EXPECT_EQ(write32(0x04, 0xDEADBEEF), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(read32(0x04), 0xDEADBEEFu);
    EXPECT_EQ(write32(0x14, 0xFFFFFFFF), tlm::TLM_OK_RESPONSE);  // TIMER_CTRL: EN and IRQ_EN only
    EXPECT_EQ(timer_ctrl.get(), 0x3u);
    EXPECT_EQ(write32(0x14, 0xFFFFFFFE), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(timer_ctrl.get(), 0x2u);
    EXPECT_EQ(write32(0x1C, 0x1FF), tlm::TLM_OK_RESPONSE);  // EXIT (wo): CODE is 8 bits
    EXPECT_EQ(exit_reg.get(), 0xFFu);
    EXPECT_EQ(bank.errors(), 0u);
}

TEST_F(register_bank_test, MixedFieldsRwW1cAndReadOnly) {
    mixed.set(0x000000F5);
    // rw bits 15:8 take the written value; w1c bits 7:4 clear where 1 is written (0x3 -> bits 5:4);
    // read-only bits 3:0 keep 0x5 whatever is written.
    EXPECT_EQ(write32(0x08, 0xFFFFAB3A), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(mixed.get(), 0x0000ABC5u);
    // Writing 0 to w1c bits leaves them alone.
    EXPECT_EQ(write32(0x08, 0x00000000), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(mixed.get(), 0x000000C5u);
}

TEST_F(register_bank_test, StatusW1cClearsOnlyTheBitsWrittenWithOne) {
    status.set(0x00000307);  // BUSY, DONE, ERR, ERR_CODE 3
    EXPECT_EQ(write32(0x10, DMA_CH_STATUS_DONE_MASK), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(status.get(), 0x305u);
    EXPECT_EQ(write32(0x10, 0), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(status.get(), 0x305u);
    EXPECT_EQ(write32(0x10, DMA_CH_STATUS_ERR_MASK), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(status.get(), 0x301u);
    EXPECT_EQ(write32(0x10, 0xFFFFFFFF), tlm::TLM_OK_RESPONSE);  // BUSY and ERR_CODE are read-only
    EXPECT_EQ(status.get(), 0x301u);
}

TEST_F(register_bank_test, HooksSeeTheStoredValueAndComputeReads) {
    uint32_t seen_now = 0, seen_before = 0;
    scratch.on_write([&](uint32_t now, uint32_t before) {
        seen_now = now;
        seen_before = before;
    });
    scratch.on_read([](uint32_t stored) { return stored + 1; });
    scratch.set(7);
    EXPECT_EQ(write32(0x04, 100), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(seen_now, 100u);
    EXPECT_EQ(seen_before, 7u);
    EXPECT_EQ(read32(0x04), 101u);  // bus read goes through the hook
    EXPECT_EQ(scratch.peek(), 100u);
    EXPECT_EQ(scratch.get(), 100u);
    // The write hook of a masked register sees the masked value.
    uint32_t ctrl_now = 0;
    timer_ctrl.on_write([&](uint32_t now, uint32_t) { ctrl_now = now; });
    EXPECT_EQ(write32(0x14, 0xF0000001), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(ctrl_now, 0x1u);
}

TEST_F(register_bank_test, WriteToReadOnlyIsACommandErrorAndChangesNothing) {
    const auto before = snapshot();
    EXPECT_EQ(write32(0x00, 0x12345678), tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_EQ(snapshot(), before);
    EXPECT_EQ(write_hooks, 0u);
    EXPECT_EQ(bank.errors(), 1u);
    EXPECT_TRUE(log.any({"blk", "ID", "read-only"})) << log.dump();
}

TEST_F(register_bank_test, ReadOfWriteOnlyIsACommandErrorAndReturnsNothing) {
    ack.set(0x55);
    uint8_t b[4] = {0xEE, 0xEE, 0xEE, 0xEE};
    EXPECT_EQ(access(tlm::TLM_READ_COMMAND, 0x0C, b, 4), tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_EQ(le32(b), 0xEEEEEEEEu);
    EXPECT_EQ(read_hooks, 0u);
    EXPECT_EQ(bank.errors(), 1u);
    EXPECT_TRUE(log.any({"ACK", "write-only"})) << log.dump();
    // Writing it is fine.
    EXPECT_EQ(write32(0x0C, 0xFFFFFFFF), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(ack.get(), 0xFFFFFFFFu);
    EXPECT_EQ(write_hooks, 1u);
}

TEST_F(register_bank_test, IgnoreCommandIsAcceptedWithoutEffect) {
    const auto before = snapshot();
    uint8_t b[4] = {1, 2, 3, 4};
    EXPECT_EQ(access(tlm::TLM_IGNORE_COMMAND, 0x04, b, 4), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(snapshot(), before);
    EXPECT_EQ(write_hooks + read_hooks, 0u);
    EXPECT_EQ(bank.errors(), 0u);
}

// Every access the hardware rejects: the response, and nothing changed.
struct bad_access {
    const char* name;
    tlm::tlm_command cmd;
    uint64_t offset;
    unsigned len;
    unsigned streaming_width;
    bool byte_enables;
    tlm::tlm_response_status expect;
};

std::ostream& operator<<(std::ostream& os, const bad_access& b) { return os << b.name; }

class register_bank_reject : public register_bank_test, public ::testing::WithParamInterface<bad_access> {};

TEST_P(register_bank_reject, AnswersTheErrorAndChangesNothing) {
    const bad_access& p = GetParam();
    const auto before = snapshot();
    std::vector<uint8_t> data(p.len, 0xFF), be(p.len, TLM_BYTE_ENABLED);
    const std::vector<uint8_t> pattern = data;
    EXPECT_EQ(access(p.cmd, p.offset, data.data(), p.len, p.streaming_width, p.byte_enables ? be.data() : nullptr),
              p.expect);
    EXPECT_EQ(snapshot(), before);
    EXPECT_EQ(write_hooks, 0u);
    EXPECT_EQ(read_hooks, 0u);
    if (p.cmd == tlm::TLM_READ_COMMAND) {
        EXPECT_EQ(data, pattern) << "a rejected read must not return data";
    }
    EXPECT_EQ(bank.errors(), 1u);
    EXPECT_EQ(log.count(), 1u) << "one warning per rejected access";
}

INSTANTIATE_TEST_SUITE_P(
    Rejected, register_bank_reject,
    ::testing::Values(
        bad_access{"Read16", tlm::TLM_READ_COMMAND, 0x04, 2, 0, false, tlm::TLM_BURST_ERROR_RESPONSE},
        bad_access{"Write16", tlm::TLM_WRITE_COMMAND, 0x04, 2, 0, false, tlm::TLM_BURST_ERROR_RESPONSE},
        bad_access{"Write8", tlm::TLM_WRITE_COMMAND, 0x04, 1, 0, false, tlm::TLM_BURST_ERROR_RESPONSE},
        bad_access{"Write64", tlm::TLM_WRITE_COMMAND, 0x04, 8, 0, false, tlm::TLM_BURST_ERROR_RESPONSE},
        bad_access{"Read64", tlm::TLM_READ_COMMAND, 0x04, 8, 0, false, tlm::TLM_BURST_ERROR_RESPONSE},
        bad_access{"NarrowStreaming", tlm::TLM_WRITE_COMMAND, 0x04, 4, 2, false, tlm::TLM_BURST_ERROR_RESPONSE},
        bad_access{"MisalignedWrite", tlm::TLM_WRITE_COMMAND, 0x06, 4, 0, false, tlm::TLM_ADDRESS_ERROR_RESPONSE},
        bad_access{"MisalignedRead", tlm::TLM_READ_COMMAND, 0x05, 4, 0, false, tlm::TLM_ADDRESS_ERROR_RESPONSE},
        bad_access{"ByteEnableWrite", tlm::TLM_WRITE_COMMAND, 0x04, 4, 0, true, tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE},
        bad_access{"ByteEnableRead", tlm::TLM_READ_COMMAND, 0x04, 4, 0, true, tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE},
        bad_access{"HoleWrite", tlm::TLM_WRITE_COMMAND, 0x18, 4, 0, false, tlm::TLM_ADDRESS_ERROR_RESPONSE},
        bad_access{"HoleRead", tlm::TLM_READ_COMMAND, 0x18, 4, 0, false, tlm::TLM_ADDRESS_ERROR_RESPONSE},
        bad_access{"BeyondBankWrite", tlm::TLM_WRITE_COMMAND, 0x40, 4, 0, false, tlm::TLM_ADDRESS_ERROR_RESPONSE},
        bad_access{"WriteReadOnly", tlm::TLM_WRITE_COMMAND, 0x00, 4, 0, false, tlm::TLM_COMMAND_ERROR_RESPONSE},
        bad_access{"ReadWriteOnly", tlm::TLM_READ_COMMAND, 0x0C, 4, 0, false, tlm::TLM_COMMAND_ERROR_RESPONSE},
        bad_access{"ReadWriteOnlyExit", tlm::TLM_READ_COMMAND, 0x1C, 4, 0, false, tlm::TLM_COMMAND_ERROR_RESPONSE}),
    [](const ::testing::TestParamInfo<bad_access>& i) { return std::string(i.param.name); });

TEST_F(register_bank_test, DebugReadsHaveNoSideEffects) {
    scratch.set(0x11223344);
    scratch.on_read([this](uint32_t) {
        ++read_hooks;
        return 0xBADu;  // a live value the debug path must not compute
    });
    ack.set(0xA0B0C0D0);
    tlm::tlm_response_status st;
    uint8_t b[8] = {};
    EXPECT_EQ(debug(tlm::TLM_READ_COMMAND, 0x04, b, 4, &st), 4u);
    EXPECT_EQ(st, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(le32(b), 0x11223344u);
    // Write-only registers can be inspected through debug.
    EXPECT_EQ(debug(tlm::TLM_READ_COMMAND, 0x0C, b, 4, &st), 4u);
    EXPECT_EQ(le32(b), 0xA0B0C0D0u);
    // Byte-granular and multi-register.
    EXPECT_EQ(debug(tlm::TLM_READ_COMMAND, 0x05, b, 2, &st), 2u);
    EXPECT_EQ(b[0], 0x33);
    EXPECT_EQ(b[1], 0x22);
    EXPECT_EQ(debug(tlm::TLM_READ_COMMAND, 0x00, b, 8, &st), 8u);
    EXPECT_EQ(le32(b), 0x454E4350u);
    EXPECT_EQ(le32(b + 4), 0x11223344u);
    // Running into the hole at 0x18 stops there.
    EXPECT_EQ(debug(tlm::TLM_READ_COMMAND, 0x14, b, 8, &st), 4u);
    EXPECT_EQ(st, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(read_hooks, 0u);
    EXPECT_EQ(write_hooks, 0u);
    EXPECT_EQ(bank.errors(), 0u);
    EXPECT_EQ(log.count(), 0u);
}

TEST_F(register_bank_test, DebugWritesStoreMaskedValuesWithoutHooks) {
    tlm::tlm_response_status st;
    uint8_t b[4];
    put_le32(b, 0xFF);
    EXPECT_EQ(debug(tlm::TLM_WRITE_COMMAND, 0x14, b, 4, &st), 4u);
    EXPECT_EQ(st, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(timer_ctrl.get(), 0x3u);
    put_le32(b, 0x12345678);
    EXPECT_EQ(debug(tlm::TLM_WRITE_COMMAND, 0x00, b, 4, &st), 4u);  // read-only: nothing stored
    EXPECT_EQ(id.get(), 0x454E4350u);
    scratch.set(0x11223344);
    uint8_t one = 0xAB;
    EXPECT_EQ(debug(tlm::TLM_WRITE_COMMAND, 0x05, &one, 1, &st), 1u);
    EXPECT_EQ(scratch.get(), 0x1122AB44u);
    EXPECT_EQ(write_hooks, 0u);
}

TEST_F(register_bank_test, RegistersMayNotOverlapAndTheSpanIsKnown) {
    reg32 dup{rd::sysctrl::SCRATCH, 0x04, "DUP"};
    EXPECT_THROW(bank.add(dup), std::logic_error);
    EXPECT_TRUE(bank.covers(0x1F));
    EXPECT_FALSE(bank.covers(0x20));
    EXPECT_EQ(bank.find(0x04), &scratch);
    EXPECT_EQ(bank.find(0x05), nullptr);
    EXPECT_EQ(bank.find(0x18), nullptr);
    EXPECT_EQ(bank.registers().size(), 7u);
}

TEST_F(register_bank_test, FieldHelpers) {
    reg32 r{rd::sysctrl::SCRATCH};
    r.set(0);
    r.set_field(8, 4, 0x1F);  // only 4 bits land
    EXPECT_EQ(r.get(), 0xF00u);
    EXPECT_EQ(r.field(8, 4), 0xFu);
    r.set_field(0, 32, 0xCAFEF00D);
    EXPECT_EQ(r.field(0, 32), 0xCAFEF00Du);
    r.clear_bits(0xF);
    r.set_bits(0x10000000);
    EXPECT_EQ(r.get(), 0xDAFEF000u);
}

// ---- the peripheral base block ----

class test_block : public peripheral {
public:
    reg32 scratch{rd::sysctrl::SCRATCH, 0x0, "SCRATCH"};
    reg32 id{rd::sysctrl::ID, 0x4, "ID"};
    std::vector<uint8_t> buf = std::vector<uint8_t>(64, 0);
    unsigned window_writes = 0;
    uint64_t last_written_offset = 0;
    unsigned last_written_len = 0;
    sc_core::sc_time hook_time;

    explicit test_block(const sc_core::sc_module_name& nm) : peripheral(nm, 0x1000) {
        add_register(scratch);
        add_register(id);
        add_window("buf", 0x100, 64, buf.data());
        scratch.on_write([this](uint32_t, uint32_t) { hook_time = access_time(); });
    }

protected:
    void window_written(window&, uint64_t offset, unsigned len) override {
        ++window_writes;
        last_written_offset = offset;
        last_written_len = len;
    }
};

class peripheral_test : public sc_test {
protected:
    fresh_kernel kernel;
    test_initiator init{"init"};
    test_block blk{"blk"};
    report_capture log;

    void SetUp() override {
        sc_test::SetUp();
        init.socket.bind(blk.in);
    }
};

TEST_F(peripheral_test, DecodesRegistersWindowsAndHoles) {
    sc_core::sc_start(sc_core::SC_ZERO_TIME);
    init.wr(0x0, 0xCAFE);
    EXPECT_EQ(blk.scratch.get(), 0xCAFEu);
    EXPECT_EQ(init.rd(0x4), 0x454E4350u);

    uint8_t data[16];
    for (int i = 0; i < 16; ++i) data[i] = uint8_t(0x40 + i);
    EXPECT_TRUE(init.write(0x110, data, 16).ok());
    EXPECT_EQ(0, std::memcmp(blk.buf.data() + 0x10, data, 16));
    EXPECT_EQ(blk.window_writes, 1u);
    EXPECT_EQ(blk.last_written_offset, 0x10u);
    EXPECT_EQ(blk.last_written_len, 16u);
    uint8_t back[16] = {};
    EXPECT_TRUE(init.read(0x110, back, 16).ok());
    EXPECT_EQ(0, std::memcmp(back, data, 16));
    // Window accesses are byte-granular, unlike registers.
    uint8_t one = 0x99;
    EXPECT_TRUE(init.write(0x13F, &one, 1).ok());
    EXPECT_EQ(blk.buf[0x3F], 0x99);

    // Crossing the end of the window, or nothing mapped: address error, nothing written.
    const std::vector<uint8_t> before = blk.buf;
    EXPECT_EQ(init.write(0x13C, data, 8).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(init.write(0x800, data, 4).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(blk.buf, before);
    EXPECT_TRUE(log.any({"blk", "0x800", "nothing mapped"})) << log.dump();

    nlohmann::json j;
    blk.stats(j);
    EXPECT_EQ(j["register_reads"], 1);
    EXPECT_EQ(j["register_writes"], 1);
    EXPECT_EQ(j["register_errors"], 0);
    EXPECT_EQ(j["buf_bytes_written"], 17);
    EXPECT_EQ(j["buf_bytes_read"], 16);

    // Register errors are counted by the bank.
    EXPECT_EQ(init.write32(0x4, 1).status, tlm::TLM_COMMAND_ERROR_RESPONSE);
    blk.stats(j);
    EXPECT_EQ(j["register_errors"], 1);
}

TEST_F(peripheral_test, AddsItsLatencyAndHooksSeeTheInitiatorsLocalTime) {
    blk.set_access_latency(ns(7));
    sc_core::sc_start(ns(100));
    const test_initiator::result r = init.write32(0x0, 1, ns(20));
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.delay, ns(27));
    EXPECT_EQ(blk.hook_time, ns(127));
    uint8_t b[4];
    EXPECT_EQ(init.read(0x100, b, 4, ns(3)).delay, ns(10));
}

TEST_F(peripheral_test, DebugTransportReachesWindowsAndRegistersWithoutCounting) {
    sc_core::sc_start(sc_core::SC_ZERO_TIME);
    blk.buf[5] = 0x5A;
    blk.scratch.set(0x01020304);
    uint8_t b[4] = {};
    auto r = init.debug(tlm::TLM_READ_COMMAND, 0x105, b, 1);
    EXPECT_EQ(r.bytes, 1u);
    EXPECT_EQ(b[0], 0x5A);
    r = init.debug(tlm::TLM_READ_COMMAND, 0x0, b, 4);
    EXPECT_EQ(r.bytes, 4u);
    EXPECT_EQ(le32(b), 0x01020304u);
    r = init.debug(tlm::TLM_READ_COMMAND, 0x800, b, 4);
    EXPECT_EQ(r.bytes, 0u);
    EXPECT_EQ(r.status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    nlohmann::json j;
    blk.stats(j);
    EXPECT_EQ(j["register_reads"], 0);
    EXPECT_EQ(j["buf_bytes_read"], 0);
    EXPECT_EQ(sc_core::sc_time_stamp(), sc_core::SC_ZERO_TIME);
}

TEST_F(peripheral_test, ResetRestoresRegisters) {
    sc_core::sc_start(sc_core::SC_ZERO_TIME);
    init.wr(0x0, 0x1234);
    blk.reset();
    EXPECT_EQ(init.rd(0x0), 0u);
    EXPECT_EQ(init.rd(0x4), 0x454E4350u);
}

}  // namespace
}  // namespace encvp::test
