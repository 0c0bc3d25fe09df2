#include "dma/dma.h"

#include <sstream>

#include "common/report.h"
#include "common/timeline.h"
#include "encvp_regs.h"
#include "regs/encvp_regdefs.h"

namespace encvp {

namespace {
#if defined(__SANITIZE_ADDRESS__)
constexpr bool encvp_sanitized_build = true;
#else
constexpr bool encvp_sanitized_build = false;
#endif
}  // namespace

namespace rd = regdefs::dma;
namespace rc = regdefs::dma::ch;

namespace {
uint32_t ch_offset(unsigned i, const regdefs::reg_def& r) { return rc::GROUP.offset + i * rc::GROUP.stride + r.offset; }
std::string ch_name(unsigned i, const regdefs::reg_def& r) { return "CH" + std::to_string(i) + "." + r.name; }
}  // namespace

dma::channel::channel(unsigned i)
    : index(i),
      src(rc::SRC, ch_offset(i, rc::SRC), ch_name(i, rc::SRC)),
      dst(rc::DST, ch_offset(i, rc::DST), ch_name(i, rc::DST)),
      row_bytes(rc::ROW_BYTES, ch_offset(i, rc::ROW_BYTES), ch_name(i, rc::ROW_BYTES)),
      rows(rc::ROWS, ch_offset(i, rc::ROWS), ch_name(i, rc::ROWS)),
      src_stride(rc::SRC_STRIDE, ch_offset(i, rc::SRC_STRIDE), ch_name(i, rc::SRC_STRIDE)),
      dst_stride(rc::DST_STRIDE, ch_offset(i, rc::DST_STRIDE), ch_name(i, rc::DST_STRIDE)),
      ctrl(rc::CTRL, ch_offset(i, rc::CTRL), ch_name(i, rc::CTRL)),
      status(rc::STATUS, ch_offset(i, rc::STATUS), ch_name(i, rc::STATUS)),
      err_addr(rc::ERR_ADDR, ch_offset(i, rc::ERR_ADDR), ch_name(i, rc::ERR_ADDR)),
      bytes_done(rc::BYTES_DONE, ch_offset(i, rc::BYTES_DONE), ch_name(i, rc::BYTES_DONE)) {}

dma::dma(const sc_core::sc_module_name& nm, const config& cfg)
    : peripheral(nm, rd::BLOCK_SIZE),
      bus("bus"),
      irq("irq", cfg.channels),
      busy("busy", cfg.channels),
      info(rd::INFO),
      irq_status(rd::IRQ_STATUS),
      cfg_(cfg) {
    if (cfg.channels == 0 || cfg.channels > MAX_CHANNELS)
        throw std::invalid_argument(std::string(name()) + ": channels must be 1.." + std::to_string(MAX_CHANNELS) +
                                    ", got " + std::to_string(cfg.channels));
    if (cfg.burst_bytes == 0 || cfg.burst_bytes > 4096)
        throw std::invalid_argument(std::string(name()) + ": burst_bytes must be 1..4096, got " +
                                    std::to_string(cfg.burst_bytes));
    add_register(info);
    add_register(irq_status);
    info.set(ENCVP_FIELD(DMA_INFO_CHANNELS, cfg.channels) | ENCVP_FIELD(DMA_INFO_BURST_BYTES, cfg.burst_bytes));
    irq_status.on_read([this](uint32_t) {
        uint32_t v = 0;
        for (auto& c : ch_)
            if ((c->status.get() & (DMA_CH_STATUS_DONE_MASK | DMA_CH_STATUS_ERR_MASK)) &&
                (c->ctrl.get() & DMA_CH_CTRL_IRQ_EN_MASK))
                v |= 1u << c->index;
        return v;
    });
    for (unsigned i = 0; i < cfg.channels; ++i) {
        ch_.push_back(std::make_unique<channel>(i));
        channel& c = *ch_.back();
        for (reg32* r : {&c.src, &c.dst, &c.row_bytes, &c.rows, &c.src_stride, &c.dst_stride, &c.ctrl, &c.status,
                         &c.err_addr, &c.bytes_done})
            add_register(*r);
        c.ctrl.on_write([this, &c](uint32_t now, uint32_t) { write_ctrl(c, now); });
        c.status.on_write([this, &c](uint32_t, uint32_t) { write_status(c); });
        sc_core::sc_spawn_options opts;
        // 64 KiB is plenty for the transfer loop; sanitizer builds inflate every frame with
        // redzones and need more (an overflowing coroutine stack corrupts the heap silently).
        opts.set_stack_size(encvp_sanitized_build ? 0x100000 : 0x10000);
        sc_core::sc_spawn([this, i]() { run_channel(i); }, (std::string("ch") + std::to_string(i)).c_str(), &opts);
    }
}

void dma::fail_command(channel& c, uint32_t err_code, const std::string& why) {
    ++c.errors;
    std::ostringstream os;
    os << "channel " << c.index << ": " << why << " at " << time_string(access_time());
    report_warning(name(), os.str());
    c.status.set_bits(DMA_CH_STATUS_ERR_MASK);
    c.status.set_field(DMA_CH_STATUS_ERR_CODE_SHIFT, DMA_CH_STATUS_ERR_CODE_WIDTH, err_code);
    update_irq(c);
}

void dma::write_ctrl(channel& c, uint32_t now) {
    if (!(now & DMA_CH_CTRL_START_MASK)) {
        update_irq(c);
        return;
    }
    c.ctrl.clear_bits(DMA_CH_CTRL_START_MASK);
    if (c.status.get() & DMA_CH_STATUS_BUSY_MASK) {
        fail_command(c, DMA_ERR_BUSY, "START written while busy (ignored)");
        return;
    }
    const uint64_t rows = c.rows.get(), len = c.row_bytes.get();
    if (rows == 0 || len == 0) {
        fail_command(c, DMA_ERR_CONFIG, "ROWS and ROW_BYTES must be non-zero (ROWS=" + std::to_string(rows) +
                                            ", ROW_BYTES=" + std::to_string(len) + ")");
        return;
    }
    const uint64_t src_end = uint64_t(c.src.get()) + (rows - 1) * c.src_stride.get() + len;
    const uint64_t dst_end = uint64_t(c.dst.get()) + (rows - 1) * c.dst_stride.get() + len;
    if (src_end > (uint64_t(1) << 32) || dst_end > (uint64_t(1) << 32)) {
        fail_command(c, DMA_ERR_CONFIG, "transfer region wraps around the 32-bit address space");
        return;
    }
    // A new transfer clears the previous outcome.
    c.status.clear_bits(DMA_CH_STATUS_DONE_MASK | DMA_CH_STATUS_ERR_MASK | DMA_CH_STATUS_ERR_CODE_MASK);
    c.status.set_bits(DMA_CH_STATUS_BUSY_MASK);
    c.bytes_done.set(0);
    update_irq(c);
    // Start at the initiator's local time, not earlier.
    c.start.notify(access_time() - sc_core::sc_time_stamp());
}

void dma::write_status(channel& c) {
    if (!(c.status.get() & DMA_CH_STATUS_ERR_MASK))
        c.status.set_field(DMA_CH_STATUS_ERR_CODE_SHIFT, DMA_CH_STATUS_ERR_CODE_WIDTH, DMA_ERR_NONE);
    update_irq(c);
}

void dma::update_irq(channel&) { update_interrupts(); }

void dma::drive_interrupts() {
    for (auto& c : ch_)
        irq[c->index].write((c->status.get() & (DMA_CH_STATUS_DONE_MASK | DMA_CH_STATUS_ERR_MASK)) &&
                            (c->ctrl.get() & DMA_CH_CTRL_IRQ_EN_MASK));
}

void dma::run_channel(unsigned i) {
    channel& c = *ch_[i];
    for (;;) {
        sc_core::wait(c.start);
        busy[i].write(true);
        const sc_core::sc_time t0 = sc_core::sc_time_stamp();
        sc_core::sc_time local = sc_core::SC_ZERO_TIME;
        outcome o = transfer(c, local);
        sc_core::wait(local);
        c.busy_time += sc_core::sc_time_stamp() - t0;
        if (timeline* tl = timeline::active())
            tl->slice(tl->track("dma ch" + std::to_string(i), 30 + int(i)), std::to_string(c.bytes_done.get()) + " B",
                      t0.to_seconds(), sc_core::sc_time_stamp().to_seconds(),
                      {{"src", hex_string(c.src.get())}, {"dst", hex_string(c.dst.get())}, {"rows", double(c.rows.get())},
                       {"row_bytes", double(c.row_bytes.get())}, {"error", double(o.err_code)}});
        busy[i].write(false);
        // BUSY drops and DONE/ERR rise together, when the last burst has landed.
        c.status.clear_bits(DMA_CH_STATUS_BUSY_MASK);
        finish(c, o.err_code, o.err_addr);
        update_irq(c);
    }
}

dma::outcome dma::transfer(channel& c, sc_core::sc_time& local) {
    const uint32_t rows = c.rows.get(), row_bytes = c.row_bytes.get();
    const uint64_t src0 = c.src.get(), dst0 = c.dst.get();
    const uint64_t sstride = c.src_stride.get(), dstride = c.dst_stride.get();
    std::vector<uint8_t> buf(cfg_.burst_bytes);
    tlm::tlm_generic_payload tx;
    tx.set_data_ptr(buf.data());
    tx.set_byte_enable_ptr(nullptr);
    uint64_t moved = 0;
    ++c.transfers;
    for (uint32_t r = 0; r < rows; ++r) {
        for (uint32_t done = 0; done < row_bytes;) {
            const unsigned n = std::min<uint32_t>(cfg_.burst_bytes, row_bytes - done);
            const uint64_t s = src0 + r * sstride + done, d = dst0 + r * dstride + done;
            tx.set_data_length(n);
            tx.set_streaming_width(n);
            tx.set_command(tlm::TLM_READ_COMMAND);
            tx.set_address(s);
            tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
            tx.set_dmi_allowed(false);  // base protocol: the initiator clears the hint (a target may set it)
            bus->b_transport(tx, local);
            if (tx.is_response_error()) return outcome{DMA_ERR_READ, s};
            tx.set_command(tlm::TLM_WRITE_COMMAND);
            tx.set_address(d);
            tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
            tx.set_dmi_allowed(false);
            bus->b_transport(tx, local);
            if (tx.is_response_error()) return outcome{DMA_ERR_WRITE, d};
            ++c.bursts;
            done += n;
            moved += n;
            c.bytes_done.set(uint32_t(moved));
            if (local >= cfg_.sync_quantum) {
                sc_core::wait(local);
                local = sc_core::SC_ZERO_TIME;
            }
        }
    }
    c.bytes += moved;
    return outcome{DMA_ERR_NONE, 0};
}

void dma::finish(channel& c, uint32_t err_code, uint64_t err_addr) {
    if (err_code == DMA_ERR_NONE) {
        c.status.set_bits(DMA_CH_STATUS_DONE_MASK);
        return;
    }
    ++c.errors;
    c.err_addr.set(uint32_t(err_addr));
    c.status.set_bits(DMA_CH_STATUS_ERR_MASK);
    c.status.set_field(DMA_CH_STATUS_ERR_CODE_SHIFT, DMA_CH_STATUS_ERR_CODE_WIDTH, err_code);
    std::ostringstream os;
    os << "channel " << c.index << ": bus error on " << (err_code == DMA_ERR_READ ? "read" : "write")
       << " at " << hex_string(err_addr) << " after " << c.bytes_done.get() << " bytes, at "
       << time_string(sc_core::sc_time_stamp());
    report_warning(name(), os.str());
}

void dma::stats(nlohmann::json& out) const {
    peripheral::stats(out);
    nlohmann::json chans = nlohmann::json::array();
    for (const auto& c : ch_)
        chans.push_back({{"transfers", c->transfers}, {"bytes", c->bytes}, {"bursts", c->bursts},
                         {"errors", c->errors}, {"busy_seconds", c->busy_time.to_seconds()}});
    out["channels"] = chans;
}

void dma::reset() {
    peripheral::reset();
    info.set(ENCVP_FIELD(DMA_INFO_CHANNELS, cfg_.channels) | ENCVP_FIELD(DMA_INFO_BURST_BYTES, cfg_.burst_bytes));
    for (auto& c : ch_) update_irq(*c);
}

}  // namespace encvp
