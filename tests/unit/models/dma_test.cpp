// DMA engine (models/dma/dma.*) in a small SoC: a test initiator (the CPU) and the DMA on a system
// bus with a DRAM, the channel interrupt lines on signals. Covers 1-D and 2-D copies, odd sizes,
// overlapping regions, every error code with ERR_ADDR/BYTES_DONE, START while busy, interrupts and
// their w1c clear, concurrent channels and the transfer time.
#include <memory>
#include <numeric>
#include <stdexcept>

#include "bus/system_bus.h"
#include "dma/dma.h"
#include "encvp_regs.h"
#include "harness.h"
#include "memory/dram.h"

namespace encvp::test {
namespace {

constexpr uint64_t DMA_BASE = 0x10000000;
constexpr uint64_t DRAM_BASE = 0x80000000;
constexpr uint64_t DRAM_SIZE = 0x100000;
constexpr uint64_t DRAM_END = DRAM_BASE + DRAM_SIZE;  // nothing is mapped from here on
constexpr uint64_t HOLE = 0x40000000;                 // nothing mapped

// Bus: 2 ns hop, 2 ns per 8-byte beat. DRAM: 20 ns per access, 8 bytes/ns. So one burst of n bytes
// costs, read and write each, 2 + 2*ceil(n/8) (bus) + 20 + n/8 (DRAM) ns.
sc_core::sc_time burst_time(unsigned n) {
    const double one_way = 2 + 2.0 * ((n + 7) / 8) + 20 + n / 8.0;
    return ns(2 * one_way);
}

struct dma_soc {
    test_initiator cpu{"cpu"};
    system_bus bus{"bus"};
    dma dmac;
    dram mem{"dram", DRAM_SIZE};
    sc_core::sc_vector<sc_core::sc_signal<bool>> irq_line;
    sc_core::sc_vector<irq_probe> irq;   // channel interrupt lines
    sc_core::sc_vector<irq_probe> busy;  // channel busy signals (start and end of each transfer)

    explicit dma_soc(const dma::config& cfg)
        : dmac("dma", cfg), irq_line("irq_line", cfg.channels), irq("irq", cfg.channels), busy("busy", cfg.channels) {
        cpu.socket.bind(bus.in);
        dmac.bus.bind(bus.in);
        bus.out.bind(dmac.in);
        bus.out.bind(mem.in);
        bus.map(0, DMA_BASE, dmac.block_size(), "dma");
        bus.map(1, DRAM_BASE, DRAM_SIZE, "dram");
        system_bus::timing bt;
        bt.hop_latency = ns(2);
        bt.cycle = ns(2);
        bt.width_bytes = 8;
        bus.set_timing(bt);
        dram::timing dt;
        dt.latency = ns(20);
        dt.bytes_per_ns = 8.0;
        mem.set_timing(dt);
        for (unsigned i = 0; i < cfg.channels; ++i) {
            dmac.irq[i].bind(irq_line[i]);
            irq[i].in.bind(irq_line[i]);
            busy[i].in.bind(dmac.busy[i]);
        }
    }
};

class dma_test : public sc_test {
protected:
    fresh_kernel kernel;
    report_capture log;
    std::unique_ptr<dma_soc> soc;

    void build(unsigned channels = 2, unsigned burst = 16) {
        dma::config c;
        c.channels = channels;
        c.burst_bytes = burst;
        soc = std::make_unique<dma_soc>(c);
        sc_core::sc_start(sc_core::SC_ZERO_TIME);
    }
    uint32_t reg(uint32_t offset) { return soc->cpu.rd(DMA_BASE + offset); }
    void set(uint32_t offset, uint32_t v) { soc->cpu.wr(DMA_BASE + offset, v); }
    void program(unsigned ch, uint64_t src, uint64_t dst, uint32_t row_bytes, uint32_t rows = 1, uint32_t src_stride = 0,
                 uint32_t dst_stride = 0) {
        set(DMA_CH_SRC(ch), uint32_t(src));
        set(DMA_CH_DST(ch), uint32_t(dst));
        set(DMA_CH_ROW_BYTES(ch), row_bytes);
        set(DMA_CH_ROWS(ch), rows);
        set(DMA_CH_SRC_STRIDE(ch), src_stride);
        set(DMA_CH_DST_STRIDE(ch), dst_stride);
    }
    void start(unsigned ch, bool irq_en = true) {
        set(DMA_CH_CTRL(ch), DMA_CH_CTRL_START_MASK | (irq_en ? DMA_CH_CTRL_IRQ_EN_MASK : 0u));
    }
    uint32_t status(unsigned ch) { return reg(DMA_CH_STATUS(ch)); }
    uint32_t err_code(unsigned ch) { return ENCVP_GET(DMA_CH_STATUS_ERR_CODE, status(ch)); }
    void run(const sc_core::sc_time& t = us(100)) { sc_core::sc_start(t); }

    // DRAM contents by bus address (backdoor).
    void load(uint64_t addr, const std::vector<uint8_t>& v) { soc->mem.load(addr - DRAM_BASE, v.data(), v.size()); }
    std::vector<uint8_t> dump(uint64_t addr, std::size_t n) {
        std::vector<uint8_t> v(n);
        soc->mem.dump(addr - DRAM_BASE, v.data(), n);
        return v;
    }
    static std::vector<uint8_t> pattern(std::size_t n, unsigned seed) {
        std::vector<uint8_t> v(n);
        for (std::size_t i = 0; i < n; ++i) v[i] = uint8_t(i * 7 + seed * 31 + (i >> 8));
        return v;
    }
    sc_core::sc_time duration(unsigned ch) const { return soc->busy[ch].first(false) - soc->busy[ch].first(true); }
};

TEST_F(dma_test, InfoResetValuesAndUnconfiguredChannels) {
    build(2, 16);
    EXPECT_EQ(reg(DMA_INFO), ENCVP_FIELD(DMA_INFO_CHANNELS, 2) | ENCVP_FIELD(DMA_INFO_BURST_BYTES, 16));
    EXPECT_EQ(reg(DMA_CH_ROWS(1)), 1u);
    EXPECT_EQ(reg(DMA_CH_STATUS(1)), 0u);
    EXPECT_EQ(reg(DMA_IRQ_STATUS), 0u);
    set(DMA_CH_SRC(1), 0x12345678);
    EXPECT_EQ(reg(DMA_CH_SRC(1)), 0x12345678u);
    EXPECT_EQ(reg(DMA_CH_SRC(0)), 0u);
    // Channels beyond INFO.CHANNELS answer with an address error.
    uint32_t v;
    EXPECT_EQ(soc->cpu.read32(DMA_BASE + DMA_CH_SRC(2), v).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(soc->cpu.write32(DMA_BASE + DMA_CH_CTRL(3), 1).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    // Read-only registers and fields.
    EXPECT_EQ(soc->cpu.write32(DMA_BASE + DMA_CH_BYTES_DONE(0), 5).status, tlm::TLM_COMMAND_ERROR_RESPONSE);
    set(DMA_CH_STATUS(0), 0xFFFFFFFF);
    EXPECT_EQ(status(0), 0u) << "BUSY and ERR_CODE cannot be written";
    EXPECT_EQ(reg(DMA_CH_CTRL(0)), 0u);
    EXPECT_EQ(soc->busy[0].rises(), 0u) << "writing STATUS starts nothing";
}

TEST_F(dma_test, Copy1D) {
    build(2, 16);
    const uint64_t src = DRAM_BASE + 0x1000, dst = DRAM_BASE + 0x8000;
    const std::vector<uint8_t> data = pattern(200, 1);
    load(src, data);
    load(dst - 16, std::vector<uint8_t>(232, 0xCC));
    program(0, src, dst, 200);
    start(0);
    EXPECT_EQ(status(0) & DMA_CH_STATUS_BUSY_MASK, DMA_CH_STATUS_BUSY_MASK);
    run();
    EXPECT_EQ(dump(dst, 200), data);
    EXPECT_EQ(dump(dst - 16, 16), std::vector<uint8_t>(16, 0xCC)) << "bytes before the destination untouched";
    EXPECT_EQ(dump(dst + 200, 16), std::vector<uint8_t>(16, 0xCC)) << "bytes after the destination untouched";
    EXPECT_EQ(status(0), DMA_CH_STATUS_DONE_MASK);
    EXPECT_EQ(reg(DMA_CH_BYTES_DONE(0)), 200u);
    EXPECT_EQ(reg(DMA_CH_ERR_ADDR(0)), 0u);
    EXPECT_EQ(reg(DMA_IRQ_STATUS), 1u);
    EXPECT_TRUE(soc->irq[0].level());
    EXPECT_EQ(soc->irq[0].rises(), 1u);
    EXPECT_FALSE(soc->irq[1].level());
    EXPECT_EQ(soc->dmac.chan(0).bursts, 13u);  // 12 x 16 + 8
    EXPECT_EQ(soc->dmac.chan(0).transfers, 1u);
    EXPECT_EQ(soc->dmac.chan(0).bytes, 200u);
    EXPECT_EQ(log.count(), 0u) << log.dump();
}

TEST_F(dma_test, Copy2DCutsAPatchOutOfAFrame) {
    build(2, 16);
    constexpr unsigned W = 64, H = 48;
    const uint64_t frame = DRAM_BASE + 0x10000, patch = DRAM_BASE + 0x20000, canvas = DRAM_BASE + 0x30000;
    const std::vector<uint8_t> img = pattern(W * H, 3);
    load(frame, img);
    // 8 x 5 patch at (x 10, y 7), packed at the destination.
    program(0, frame + 7 * W + 10, patch, 8, 5, W, 8);
    start(0);
    run();
    ASSERT_EQ(status(0), DMA_CH_STATUS_DONE_MASK);
    const std::vector<uint8_t> got = dump(patch, 40);
    for (unsigned y = 0; y < 5; ++y)
        for (unsigned x = 0; x < 8; ++x) EXPECT_EQ(got[y * 8 + x], img[(7 + y) * W + 10 + x]) << "x " << x << " y " << y;
    EXPECT_EQ(reg(DMA_CH_BYTES_DONE(0)), 40u);

    // Strided on both sides: the patch into a 32-byte wide canvas at (x 3, y 2); the gaps keep their bytes.
    load(canvas, std::vector<uint8_t>(32 * 10, 0xCC));
    program(1, patch, canvas + 2 * 32 + 3, 8, 5, 8, 32);
    start(1);
    run();
    ASSERT_EQ(status(1), DMA_CH_STATUS_DONE_MASK);
    const std::vector<uint8_t> c = dump(canvas, 32 * 10);
    for (unsigned y = 0; y < 10; ++y)
        for (unsigned x = 0; x < 32; ++x) {
            const bool inside = y >= 2 && y < 7 && x >= 3 && x < 11;
            const uint8_t expect = inside ? img[(7 + y - 2) * W + 10 + x - 3] : 0xCC;
            EXPECT_EQ(c[y * 32 + x], expect) << "x " << x << " y " << y;
        }
}

struct size_case {
    unsigned burst, row_bytes, rows;
};
std::ostream& operator<<(std::ostream& os, const size_case& s) {
    return os << "burst " << s.burst << ", " << s.rows << " x " << s.row_bytes << " bytes";
}

class dma_sizes : public dma_test, public ::testing::WithParamInterface<size_case> {};

TEST_P(dma_sizes, CopiesExactlyTheRequestedBytes) {
    const size_case p = GetParam();
    build(1, p.burst);
    const uint64_t src = DRAM_BASE + 0x1003, dst = DRAM_BASE + 0x40001;  // odd addresses on purpose
    const uint32_t sstride = p.row_bytes + 5, dstride = p.row_bytes + 3;
    const std::size_t src_span = std::size_t(p.rows - 1) * sstride + p.row_bytes;
    const std::size_t dst_span = std::size_t(p.rows - 1) * dstride + p.row_bytes;
    const std::vector<uint8_t> data = pattern(src_span, 5);
    load(src, data);
    load(dst, std::vector<uint8_t>(dst_span + 8, 0xCC));
    program(0, src, dst, p.row_bytes, p.rows, sstride, dstride);
    start(0);
    run(us(400));
    ASSERT_EQ(status(0), DMA_CH_STATUS_DONE_MASK);
    const std::vector<uint8_t> got = dump(dst, dst_span + 8);
    for (std::size_t i = 0; i < dst_span + 8; ++i) {
        const std::size_t r = i / dstride, x = i % dstride;
        const bool inside = i < dst_span && x < p.row_bytes;
        EXPECT_EQ(got[i], inside ? data[r * sstride + x] : 0xCC) << "destination byte " << i;
    }
    EXPECT_EQ(reg(DMA_CH_BYTES_DONE(0)), p.row_bytes * p.rows);
    EXPECT_EQ(soc->dmac.chan(0).bursts, uint64_t((p.row_bytes + p.burst - 1) / p.burst) * p.rows)
        << "bursts never cross rows";
}

INSTANTIATE_TEST_SUITE_P(Sizes, dma_sizes,
                         ::testing::Values(size_case{16, 1, 1}, size_case{16, 15, 1}, size_case{16, 17, 1},
                                           size_case{16, 33, 3}, size_case{1, 13, 1}, size_case{1, 3, 4},
                                           size_case{64, 200, 1}, size_case{4, 4, 2}, size_case{7, 100, 2}));

// Overlapping regions: the DMA reads a burst, then writes it, in ascending address order. That
// order is the defined result (it is not memmove when the destination is above the source).
std::vector<uint8_t> ascending_burst_copy(std::vector<uint8_t> mem, std::size_t src, std::size_t dst, std::size_t len,
                                          std::size_t burst) {
    for (std::size_t done = 0; done < len; done += burst) {
        const std::size_t n = std::min(burst, len - done);
        std::vector<uint8_t> tmp(mem.begin() + long(src + done), mem.begin() + long(src + done + n));
        std::copy(tmp.begin(), tmp.end(), mem.begin() + long(dst + done));
    }
    return mem;
}

TEST_F(dma_test, OverlappingRegionsFollowTheAscendingBurstOrder) {
    build(1, 4);
    const uint64_t a = DRAM_BASE + 0x100;
    std::vector<uint8_t> ten(10);
    std::iota(ten.begin(), ten.end(), uint8_t(0));
    // Destination 2 bytes above the source, bursts of 4:
    //   burst 1 reads 0 1 2 3 at +0, writes them at +2 -> 0 1 0 1 2 3 6 7 8 9
    //   burst 2 reads 2 3 6 7 at +4, writes them at +6 -> 0 1 0 1 2 3 2 3 6 7
    load(a, ten);
    program(0, a, a + 2, 8);
    start(0);
    run(us(10));
    ASSERT_EQ(status(0), DMA_CH_STATUS_DONE_MASK);
    EXPECT_EQ(dump(a, 10), (std::vector<uint8_t>{0, 1, 0, 1, 2, 3, 2, 3, 6, 7}));
    // Destination below the source: same as memmove.
    load(a, ten);
    program(0, a + 2, a, 8);
    start(0);
    run(us(10));
    ASSERT_EQ(status(0), DMA_CH_STATUS_DONE_MASK);
    EXPECT_EQ(dump(a, 10), (std::vector<uint8_t>{2, 3, 4, 5, 6, 7, 8, 9, 8, 9}));
}

TEST_F(dma_test, OverlappingRegionsLongerThanABurst) {
    build(1, 16);
    const uint64_t a = DRAM_BASE + 0x2000;
    const std::vector<uint8_t> init = pattern(160, 9);
    for (std::size_t shift : {std::size_t(5), std::size_t(16), std::size_t(37)}) {
        load(a, init);
        program(0, a, a + shift, 100);
        start(0);
        run(us(20));
        ASSERT_EQ(status(0), DMA_CH_STATUS_DONE_MASK);
        EXPECT_EQ(dump(a, 160), ascending_burst_copy(init, 0, shift, 100, 16)) << "destination " << shift << " above";
    }
}

TEST_F(dma_test, ZeroRowsOrRowBytesIsAConfigError) {
    build(2, 16);
    const uint64_t src = DRAM_BASE, dst = DRAM_BASE + 0x1000;
    load(src, pattern(64, 2));
    for (int which = 0; which < 2; ++which) {
        program(0, src, dst, which == 0 ? 16 : 0, which == 0 ? 0 : 4);
        start(0);
        run(us(1));
        const uint32_t st = status(0);
        EXPECT_EQ(st & (DMA_CH_STATUS_BUSY_MASK | DMA_CH_STATUS_DONE_MASK | DMA_CH_STATUS_ERR_MASK),
                  DMA_CH_STATUS_ERR_MASK);
        EXPECT_EQ(ENCVP_GET(DMA_CH_STATUS_ERR_CODE, st), DMA_ERR_CONFIG);
        EXPECT_EQ(reg(DMA_CH_BYTES_DONE(0)), 0u);
        EXPECT_TRUE(soc->irq[0].level()) << "errors raise the interrupt too";
        EXPECT_EQ(soc->busy[0].rises(), 0u) << "no transfer started";
        EXPECT_EQ(dump(dst, 16), std::vector<uint8_t>(16, 0));
        set(DMA_CH_STATUS(0), DMA_CH_STATUS_ERR_MASK);  // clear for the next round
        run(us(1));
        EXPECT_FALSE(soc->irq[0].level());
    }
    EXPECT_TRUE(log.any({"channel 0", "ROWS=0"})) << log.dump();
}

TEST_F(dma_test, RegionsWrappingAroundFourGigabytesAreConfigErrors) {
    build(2, 16);
    program(0, 0xFFFFFFF0, DRAM_BASE, 32);  // source wraps
    start(0);
    run(us(1));
    EXPECT_EQ(err_code(0), DMA_ERR_CONFIG);
    EXPECT_EQ(soc->busy[0].rises(), 0u);
    set(DMA_CH_STATUS(0), DMA_CH_STATUS_ERR_MASK);
    program(0, DRAM_BASE, 0x80000000, 16, 2, 16, 0x80000000);  // the second destination row wraps
    start(0);
    run(us(1));
    EXPECT_EQ(err_code(0), DMA_ERR_CONFIG);
    EXPECT_EQ(soc->busy[0].rises(), 0u);
    // Ending exactly at 4 GiB does not wrap: it starts, and the bus refuses the unmapped source.
    set(DMA_CH_STATUS(0), DMA_CH_STATUS_ERR_MASK);
    program(0, 0xFFFFFFF0, DRAM_BASE, 16);
    start(0);
    run(us(1));
    EXPECT_EQ(err_code(0), DMA_ERR_READ);
    EXPECT_EQ(reg(DMA_CH_ERR_ADDR(0)), 0xFFFFFFF0u);
    EXPECT_EQ(soc->busy[0].rises(), 1u);
}

TEST_F(dma_test, ReadErrorReportsTheFailingBurstAndTheBytesDone) {
    build(2, 16);
    const uint64_t src = DRAM_END - 40, dst = DRAM_BASE + 0x100;
    const std::vector<uint8_t> data = pattern(40, 4);
    load(src, data);
    // Bursts at END-40 and END-24 succeed; the one at END-8 runs past the DRAM.
    program(0, src, dst, 64);
    start(0);
    run();
    const uint32_t st = status(0);
    EXPECT_EQ(st & (DMA_CH_STATUS_BUSY_MASK | DMA_CH_STATUS_DONE_MASK | DMA_CH_STATUS_ERR_MASK),
              DMA_CH_STATUS_ERR_MASK);
    EXPECT_EQ(ENCVP_GET(DMA_CH_STATUS_ERR_CODE, st), DMA_ERR_READ);
    EXPECT_EQ(reg(DMA_CH_ERR_ADDR(0)), uint32_t(DRAM_END - 8));
    EXPECT_EQ(reg(DMA_CH_BYTES_DONE(0)), 32u);
    EXPECT_EQ(dump(dst, 32), std::vector<uint8_t>(data.begin(), data.begin() + 32));
    EXPECT_EQ(dump(dst + 32, 32), std::vector<uint8_t>(32, 0)) << "nothing written after the error";
    EXPECT_TRUE(soc->irq[0].level());
    EXPECT_TRUE(log.any({"channel 0", "read", hex(DRAM_END - 8)})) << log.dump();
}

TEST_F(dma_test, WriteErrorReportsTheFailingBurstAndTheBytesDone) {
    build(2, 16);
    load(DRAM_BASE, pattern(64, 6));
    program(0, DRAM_BASE, HOLE, 32);
    start(0);
    run();
    EXPECT_EQ(err_code(0), DMA_ERR_WRITE);
    EXPECT_EQ(reg(DMA_CH_ERR_ADDR(0)), uint32_t(HOLE));
    EXPECT_EQ(reg(DMA_CH_BYTES_DONE(0)), 0u);
    EXPECT_EQ(status(0) & DMA_CH_STATUS_DONE_MASK, 0u);

    // 2-D: rows at END-24 and END-8 fit, the third (END+8) does not.
    set(DMA_CH_STATUS(0), DMA_CH_STATUS_ERR_MASK);
    program(0, DRAM_BASE, DRAM_END - 24, 8, 3, 8, 16);
    start(0);
    run();
    EXPECT_EQ(err_code(0), DMA_ERR_WRITE);
    EXPECT_EQ(reg(DMA_CH_ERR_ADDR(0)), uint32_t(DRAM_END + 8));
    EXPECT_EQ(reg(DMA_CH_BYTES_DONE(0)), 16u);
    const std::vector<uint8_t> src = pattern(64, 6);
    EXPECT_EQ(dump(DRAM_END - 24, 8), std::vector<uint8_t>(src.begin(), src.begin() + 8));
    EXPECT_EQ(dump(DRAM_END - 8, 8), std::vector<uint8_t>(src.begin() + 8, src.begin() + 16));
    EXPECT_EQ(soc->dmac.chan(0).errors, 2u);
}

TEST_F(dma_test, StartWhileBusyIsRefusedAndTheRunningTransferCompletes) {
    build(2, 16);
    const uint64_t src = DRAM_BASE, dst = DRAM_BASE + 0x10000;
    const std::vector<uint8_t> data = pattern(4096, 7);
    load(src, data);
    program(0, src, dst, 4096);
    start(0);
    run(us(1));  // 4096 bytes take 256 x 56 ns = 14.3 us
    ASSERT_EQ(status(0) & DMA_CH_STATUS_BUSY_MASK, DMA_CH_STATUS_BUSY_MASK);
    const uint32_t done_so_far = reg(DMA_CH_BYTES_DONE(0));
    EXPECT_GT(done_so_far, 0u);
    EXPECT_LT(done_so_far, 4096u);
    // Reprogramming the registers and starting again while busy changes nothing of the running transfer.
    program(0, dst, src, 16);
    start(0);
    uint32_t st = status(0);
    EXPECT_EQ(st & (DMA_CH_STATUS_BUSY_MASK | DMA_CH_STATUS_ERR_MASK), DMA_CH_STATUS_BUSY_MASK | DMA_CH_STATUS_ERR_MASK);
    EXPECT_EQ(ENCVP_GET(DMA_CH_STATUS_ERR_CODE, st), DMA_ERR_BUSY);
    EXPECT_EQ(reg(DMA_CH_CTRL(0)) & DMA_CH_CTRL_START_MASK, 0u) << "START reads as 0";
    run();
    st = status(0);
    EXPECT_EQ(st & DMA_CH_STATUS_BUSY_MASK, 0u);
    EXPECT_EQ(st & DMA_CH_STATUS_DONE_MASK, DMA_CH_STATUS_DONE_MASK) << "the first transfer finished";
    EXPECT_EQ(ENCVP_GET(DMA_CH_STATUS_ERR_CODE, st), DMA_ERR_BUSY) << "the refused START stays reported";
    EXPECT_EQ(dump(dst, 4096), data);
    EXPECT_EQ(reg(DMA_CH_BYTES_DONE(0)), 4096u);
    EXPECT_EQ(soc->dmac.chan(0).transfers, 1u);
    EXPECT_EQ(soc->busy[0].rises(), 1u);
    EXPECT_EQ(duration(0), burst_time(16) * 256.0) << "the refused START did not disturb the transfer";
}

TEST_F(dma_test, InterruptOnlyWithIrqEnAndDroppedByTheW1cClear) {
    build(2, 16);
    load(DRAM_BASE, pattern(64, 8));
    program(0, DRAM_BASE, DRAM_BASE + 0x1000, 64);
    start(0, false);
    run(us(5));
    EXPECT_EQ(status(0), DMA_CH_STATUS_DONE_MASK);
    EXPECT_EQ(soc->irq[0].rises(), 0u);
    EXPECT_EQ(reg(DMA_IRQ_STATUS), 0u);
    // Enabling the interrupt afterwards raises it (DONE is still pending): the line is a level.
    set(DMA_CH_CTRL(0), DMA_CH_CTRL_IRQ_EN_MASK);
    run(us(1));
    EXPECT_TRUE(soc->irq[0].level());
    EXPECT_EQ(soc->busy[0].rises(), 1u) << "writing IRQ_EN alone starts nothing";
    EXPECT_EQ(reg(DMA_IRQ_STATUS), 1u);
    // Writing 1 to DONE clears it and drops the line.
    set(DMA_CH_STATUS(0), DMA_CH_STATUS_DONE_MASK);
    run(us(1));
    EXPECT_FALSE(soc->irq[0].level());
    EXPECT_EQ(status(0), 0u);
    EXPECT_EQ(reg(DMA_IRQ_STATUS), 0u);
    // With IRQ_EN, the line rises exactly when the transfer ends (BUSY falls), not before.
    start(0, true);
    run(us(5));
    EXPECT_TRUE(soc->irq[0].level());
    EXPECT_EQ(soc->irq[0].rises(), 2u);
    EXPECT_EQ(soc->irq[0].last(true), soc->busy[0].last(false));
    // Disabling IRQ_EN drops it too, with DONE still set.
    set(DMA_CH_CTRL(0), 0);
    run(us(1));
    EXPECT_FALSE(soc->irq[0].level());
    EXPECT_EQ(status(0), DMA_CH_STATUS_DONE_MASK);
}

TEST_F(dma_test, ClearingErrAlsoClearsTheErrorCode) {
    build(2, 16);
    program(0, DRAM_BASE, DRAM_BASE + 0x100, 0);
    start(0);
    run(us(1));
    ASSERT_EQ(err_code(0), DMA_ERR_CONFIG);
    set(DMA_CH_STATUS(0), DMA_CH_STATUS_ERR_MASK);
    EXPECT_EQ(status(0), 0u);
    // A new START clears the previous outcome.
    program(0, DRAM_BASE, DRAM_BASE + 0x100, 0);
    start(0);
    run(us(1));
    ASSERT_EQ(err_code(0), DMA_ERR_CONFIG);
    program(0, DRAM_BASE, DRAM_BASE + 0x100, 16);
    start(0);
    run(us(1));
    EXPECT_EQ(status(0), DMA_CH_STATUS_DONE_MASK);
}

TEST_F(dma_test, TwoChannelsRunConcurrently) {
    build(2, 16);
    const std::vector<uint8_t> a = pattern(2048, 10), b = pattern(2048, 11);
    load(DRAM_BASE + 0x0000, a);
    load(DRAM_BASE + 0x4000, b);
    program(0, DRAM_BASE + 0x0000, DRAM_BASE + 0x8000, 2048);
    program(1, DRAM_BASE + 0x4000, DRAM_BASE + 0xC000, 2048);
    start(0);
    start(1);
    run();
    EXPECT_EQ(dump(DRAM_BASE + 0x8000, 2048), a);
    EXPECT_EQ(dump(DRAM_BASE + 0xC000, 2048), b);
    EXPECT_EQ(status(0), DMA_CH_STATUS_DONE_MASK);
    EXPECT_EQ(status(1), DMA_CH_STATUS_DONE_MASK);
    EXPECT_EQ(reg(DMA_IRQ_STATUS), 3u);
    EXPECT_TRUE(soc->irq[0].level());
    EXPECT_TRUE(soc->irq[1].level());
    // Both ran at the same time, each at full speed (128 bursts of 56 ns), not one after the other.
    EXPECT_LT(soc->busy[1].first(true), soc->busy[0].first(false));
    EXPECT_LT(soc->busy[0].first(true), soc->busy[1].first(false));
    EXPECT_EQ(duration(0), burst_time(16) * 128.0);
    EXPECT_EQ(duration(1), burst_time(16) * 128.0);
}

TEST_F(dma_test, TransferTimeIsTheSumOfItsBursts) {
    build(1, 16);
    load(DRAM_BASE, pattern(1000, 12));
    program(0, DRAM_BASE, DRAM_BASE + 0x8000, 1000);
    start(0);
    run();
    ASSERT_EQ(status(0), DMA_CH_STATUS_DONE_MASK);
    // 62 bursts of 16 bytes (56 ns) and one of 8 bytes (50 ns) = 3522 ns.
    EXPECT_EQ(burst_time(16), ns(56));
    EXPECT_EQ(burst_time(8), ns(50));
    EXPECT_EQ(duration(0), ns(3522));
    // Lower bound whatever the memory: every byte crosses the 8-byte bus twice at 2 ns per beat.
    EXPECT_GE(duration(0), ns(2 * 1000 / 8 * 2));
    // The transfer starts when the START write reaches the DMA (bus hop + one beat after time 0).
    EXPECT_EQ(soc->busy[0].first(true), ns(4));
    EXPECT_EQ(soc->irq[0].first(true), ns(4 + 3522));
    nlohmann::json j;
    soc->dmac.stats(j);
    EXPECT_EQ(j["channels"][0]["bursts"], 63);
    EXPECT_EQ(j["channels"][0]["bytes"], 1000);
    EXPECT_NEAR(j["channels"][0]["busy_seconds"].get<double>(), 3522e-9, 1e-15);
}

TEST_F(dma_test, SingleByteBurstsTakeTheirTime) {
    build(1, 1);
    load(DRAM_BASE, pattern(10, 13));
    program(0, DRAM_BASE, DRAM_BASE + 0x100, 10);
    start(0);
    run(us(10));
    ASSERT_EQ(status(0), DMA_CH_STATUS_DONE_MASK);
    EXPECT_EQ(duration(0), burst_time(1) * 10.0);  // 10 x 48.25 ns
    EXPECT_EQ(burst_time(1), sc_core::sc_time(48250, sc_core::SC_PS));
}

class dma_config_test : public sc_test {};

TEST_F(dma_config_test, RejectsBadChannelCountsAndBurstSizes) {
    dma::config c;
    c.channels = 0;
    EXPECT_THROW(dma("d0", c), std::invalid_argument);
    c.channels = dma::MAX_CHANNELS + 1;
    EXPECT_THROW(dma("d1", c), std::invalid_argument);
    c.channels = 1;
    c.burst_bytes = 0;
    EXPECT_THROW(dma("d2", c), std::invalid_argument);
    c.burst_bytes = 4097;
    EXPECT_THROW(dma("d3", c), std::invalid_argument);
}

}  // namespace
}  // namespace encvp::test
