#include "session.h"

#include <algorithm>
#include <random>
#include <stdexcept>

#include "common/report.h"
#include "common/sim_kernel.h"
#include "encvp_boot.h"
#include "encvp_regs.h"
#include "logging.h"

extern "C" int encvp_firmware_main(uint32_t boot_block);

namespace encvp {

session::session(const platform_config& cfg, const std::string& vcd_path) : cfg_(cfg) {
    if (sc_core::sc_get_curr_simcontext()->elaboration_done()) fresh_simulation_kernel();
    soc_ = std::make_unique<soc>("soc", cfg);
    if (!vcd_path.empty()) {
        std::string base = vcd_path;
        if (base.size() > 4 && base.compare(base.size() - 4, 4, ".vcd") == 0) base.resize(base.size() - 4);
        vcd_ = sc_core::sc_create_vcd_trace_file(base.c_str());
        vcd_->set_time_unit(1, sc_core::SC_NS);
        soc_->trace_signals(vcd_);
    }
    const uint64_t boot = cfg.dram_base + dram_layout::BOOT;
    soc_->write_boot_block(boot, cfg.dram_base + dram_layout::JOB);
    soc_->cpu.set_firmware([](uint32_t arg) { return encvp_firmware_main(arg); }, uint32_t(boot));
}

session::~session() {
    if (vcd_) sc_core::sc_close_vcd_trace_file(vcd_);
}

run_outcome session::run(const host_handler& on_request) {
    run_outcome r;
    const auto t0 = std::chrono::steady_clock::now();
    // cpu.time_limit: a firmware that polls forever (no WFI to time out) is stopped there.
    const sc_core::sc_time limit(cfg_.cpu_time_limit_s, sc_core::SC_SEC);
    const bool limited = limit > sc_core::SC_ZERO_TIME;
    for (;;) {
        if (limited && sc_core::sc_time_stamp() < limit) sc_core::sc_start(limit - sc_core::sc_time_stamp());
        else if (!limited) sc_core::sc_start();
        if (soc_->sys.exited() || soc_->cpu.finished()) break;
        if (soc_->sys.host_request_pending()) {
            const uint32_t answer = on_request ? on_request(soc_->sys.host_request()) : 0u;
            soc_->sys.answer_host(answer);
            continue;
        }
        if (limited && sc_core::sc_time_stamp() >= limit) {
            r.fault = "the firmware had not finished after the simulated time limit of " + time_string(limit) +
                      " (cpu.time_limit); stopped at " + time_string(sc_core::sc_time_stamp()) +
                      ": is it polling a status that never changes?";
            report_warning("session", r.fault);
            break;
        }
        r.fault = "the simulation ran out of events at " + time_string(sc_core::sc_time_stamp()) +
                  " without the firmware exiting";
        break;
    }
    r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (soc_->sys.exited()) {
        r.exited = true;
        r.exit_code = soc_->sys.exit_code();
        r.sim_seconds = soc_->sys.exit_time().to_seconds();
        if (r.exit_code == sysctrl::EXIT_WATCHDOG) r.fault = "watchdog expired";
    } else if (soc_->cpu.finished()) {
        r.exited = true;
        r.exit_code = soc_->cpu.exit_code();
        r.fault = soc_->cpu.fault();
        r.sim_seconds = sc_core::sc_time_stamp().to_seconds();
    } else {
        r.sim_seconds = sc_core::sc_time_stamp().to_seconds();
    }
    if (!soc_->cpu.fault().empty()) r.fault = soc_->cpu.fault();
    if (const uint64_t v = soc_->protocol_violations()) {
        r.fault = std::to_string(v) + " TLM-2.0 base-protocol violation" + (v > 1 ? "s" : "") +
                  " (see the warnings of the protocol checkers)" + (r.fault.empty() ? "" : "; " + r.fault);
        if (r.exit_code == 0) r.exit_code = EXIT_PROTOCOL_VIOLATION;
    }
    return r;
}

nlohmann::json session::report(const run_outcome& r) const {
    nlohmann::json j;
    j["exit_code"] = r.exit_code;
    j["fault"] = r.fault;
    j["simulated_seconds"] = r.sim_seconds;
    j["wall_seconds"] = r.wall_seconds;
    j["warnings"] = warnings_reported();
    j["models"] = soc_->stats();
    nlohmann::json map = nlohmann::json::array();
    for (const auto& m : soc_->memory_map()) map.push_back({{"name", m.name}, {"base", hex_string(m.base)}, {"size", m.size}});
    j["memory_map"] = map;
    return j;
}

// ---------------------------------------------------------------------------------------------

demo_result run_demo(session& s, const demo_job& job) {
    soc& chip = s.chip();
    const uint64_t base = s.dram_base(), jb = base + dram_layout::JOB;
    const uint64_t frame = base + 0x10000;
    const uint64_t frame_bytes = uint64_t(job.frame_width) * job.frame_height;
    const uint64_t dst = frame + ((frame_bytes + 0xFFF) & ~uint64_t(0xFFF));
    if (job.x + job.width > job.frame_width || job.y + job.height > job.frame_height || job.width == 0 || job.height == 0)
        throw std::invalid_argument("demo region " + std::to_string(job.width) + "x" + std::to_string(job.height) + " at (" +
                                    std::to_string(job.x) + ", " + std::to_string(job.y) + ") is not inside the " +
                                    std::to_string(job.frame_width) + "x" + std::to_string(job.frame_height) + " frame");
    std::vector<uint8_t> pixels(frame_bytes);
    std::mt19937 rng(job.seed);
    for (auto& p : pixels) p = uint8_t(rng());
    chip.dram_write(frame, pixels.data(), pixels.size());
    uint32_t expect = 0;
    for (uint32_t r = 0; r < job.height; ++r)
        for (uint32_t c = 0; c < job.width; ++c) expect += pixels[(job.y + r) * job.frame_width + job.x + c];

    chip.dram_write32(jb + JOB_COMMAND, JOB_CMD_DEMO);
    chip.dram_write32(jb + JOB_STATUS, ~0u);
    chip.dram_write32(jb + DEMO_FRAME, uint32_t(frame));
    chip.dram_write32(jb + DEMO_PITCH, job.frame_width);
    chip.dram_write32(jb + DEMO_X, job.x);
    chip.dram_write32(jb + DEMO_Y, job.y);
    chip.dram_write32(jb + DEMO_WIDTH, job.width);
    chip.dram_write32(jb + DEMO_HEIGHT, job.height);
    chip.dram_write32(jb + DEMO_DST, uint32_t(dst));

    demo_result res;
    res.run = s.run(nullptr);
    res.job_status = chip.dram_read32(jb + JOB_STATUS);
    res.checksum = chip.dram_read32(jb + DEMO_CHECKSUM);
    res.transfer_cycles = chip.dram_read32(jb + DEMO_CYCLES);
    res.expected_checksum = expect;
    std::vector<uint8_t> got(std::size_t(job.width) * job.height);
    chip.dram_read(dst, got.data(), got.size());
    res.region_matches = true;
    for (uint32_t r = 0; r < job.height && res.region_matches; ++r)
        for (uint32_t c = 0; c < job.width; ++c)
            if (got[r * job.width + c] != pixels[(job.y + r) * job.frame_width + job.x + c]) {
                res.region_matches = false;
                break;
            }
    return res;
}

void decode_logits(const std::vector<uint8_t>& out, unsigned n, std::vector<int32_t>& logits, int& cls) {
    auto rd = [&](std::size_t at) {
        return uint32_t(out[at]) | uint32_t(out[at + 1]) << 8 | uint32_t(out[at + 2]) << 16 | uint32_t(out[at + 3]) << 24;
    };
    if (out.size() < 4u * (n + 1)) throw std::invalid_argument("output buffer too short for the logits");
    logits.resize(n);
    for (unsigned i = 0; i < n; ++i) logits[i] = int32_t(rd(4 * i));
    cls = int(rd(4 * n));
}

uint32_t host_job::on_request(session&, uint32_t request) {
    report_warning("host", "unexpected host request " + std::to_string(request) + " from the firmware; answering 0");
    return 0;
}

run_outcome session::run_jobs(const std::vector<host_job*>& jobs) {
    if (jobs.empty()) throw std::invalid_argument("no job to run");
    std::size_t current = 0;
    bool collected = false;
    const uint64_t jb = cfg_.dram_base + dram_layout::JOB;
    jobs[0]->place(*this);
    run_outcome r = run([&](uint32_t req) -> uint32_t {
        if (req != HOST_REQ_JOB_DONE) return jobs[current]->on_request(*this, req);
        jobs[current]->job_status = soc_->dram_read32(jb + JOB_STATUS);
        jobs[current]->collect(*this);
        if (current + 1 >= jobs.size()) {
            collected = true;
            return 0;
        }
        jobs[++current]->place(*this);
        return 1;
    });
    if (!collected) {  // the firmware stopped early (error status, fault): report what it left
        jobs[current]->job_status = soc_->dram_read32(jb + JOB_STATUS);
        jobs[current]->collect(*this);
    }
    return r;
}

inference_job::inference_job(const compiled_network& net, std::size_t count, std::size_t batch,
                             std::function<void(std::size_t, std::vector<uint8_t>&)> fetch,
                             std::function<void(const inference_record&)> sink)
    : net_(net), count_(count), batch_(batch), fetch_(std::move(fetch)), sink_(std::move(sink)) {
    if (batch_ == 0) throw std::invalid_argument("batch size must be > 0");
    batch_ = std::min<std::size_t>(batch_, std::max<std::size_t>(count_, 1));
}

void inference_job::place(session& s) {
    soc& chip = s.chip();
    const uint64_t base = s.dram_base(), jb = base + dram_layout::JOB;
    netimg_ = base + dram_layout::NETIMG;
    istride_ = (uint64_t(net_.in_bytes) + 63) / 64 * 64;
    rstride_ = (RESULT_OUTPUT + net_.out_bytes + 63) / 64 * 64;
    inputs_ = (netimg_ + net_.netimg.size() + 0xFFF) & ~uint64_t(0xFFF);
    results_ = (inputs_ + batch_ * istride_ + 0xFFF) & ~uint64_t(0xFFF);
    if (results_ + batch_ * rstride_ > base + s.config().dram_size)
        throw std::invalid_argument("a batch of " + std::to_string(batch_) + " inputs does not fit in the DRAM");
    chip.dram_write(netimg_, net_.netimg.data(), net_.netimg.size());
    next_ = 0;
    drained_ = false;
    chip.dram_write32(jb + JOB_COMMAND, JOB_CMD_INFER);
    chip.dram_write32(jb + JOB_STATUS, ~0u);
    chip.dram_write32(jb + INFER_NETIMG, uint32_t(netimg_));
    chip.dram_write32(jb + INFER_INPUTS, uint32_t(inputs_));
    chip.dram_write32(jb + INFER_INPUT_STRIDE, uint32_t(istride_));
    chip.dram_write32(jb + INFER_RESULTS, uint32_t(results_));
    chip.dram_write32(jb + INFER_RESULT_STRIDE, uint32_t(rstride_));
    chip.dram_write32(jb + INFER_DONE, 0);
    chip.dram_write32(jb + INFER_BATCH_COUNT, fill(s));
}

uint32_t inference_job::fill(session& s) {
    batch_start_ = next_;
    batch_len_ = std::min(batch_, count_ - next_);
    for (std::size_t k = 0; k < batch_len_; ++k) {
        fetch_(next_ + k, chw_);
        if (chw_.size() != net_.in_bytes)
            throw std::invalid_argument("input " + std::to_string(next_ + k) + " has " + std::to_string(chw_.size()) +
                                        " bytes, the network takes " + std::to_string(net_.in_bytes));
        s.chip().dram_write(inputs_ + k * istride_, chw_.data(), chw_.size());
    }
    next_ += batch_len_;
    drained_ = false;
    return uint32_t(batch_len_);
}

void inference_job::drain(session& s) {
    if (drained_) return;
    drained_ = true;
    const std::size_t processed = s.chip().dram_read32(s.dram_base() + dram_layout::JOB + INFER_DONE);
    rec_.resize(rstride_);
    for (std::size_t k = 0; k < batch_len_ && batch_start_ + k < processed; ++k) {
        s.chip().dram_read(results_ + k * rstride_, rec_.data(), rec_.size());
        auto rd = [&](std::size_t at) {
            return uint32_t(rec_[at]) | uint32_t(rec_[at + 1]) << 8 | uint32_t(rec_[at + 2]) << 16 | uint32_t(rec_[at + 3]) << 24;
        };
        inference_record r;
        r.index = batch_start_ + k;
        r.status = rd(RESULT_STATUS);
        r.cycles = rd(RESULT_CYCLES);
        r.output.assign(rec_.begin() + RESULT_OUTPUT, rec_.begin() + RESULT_OUTPUT + net_.out_bytes);
        sink_(r);
    }
}

uint32_t inference_job::on_request(session& s, uint32_t request) {
    if (request != HOST_REQ_BATCH_DONE) return host_job::on_request(s, request);
    drain(s);
    return next_ < count_ ? fill(s) : 0u;
}

void inference_job::collect(session& s) {
    drain(s);
    done = s.chip().dram_read32(s.dram_base() + dram_layout::JOB + INFER_DONE);
}

compress_job::compress_job(const compiled_network& net, unsigned padded_width, unsigned bands, unsigned patch,
                           std::function<void(unsigned, std::vector<uint8_t>&)> band,
                           std::function<void(unsigned, unsigned, const uint8_t*, std::size_t)> code)
    : net_(net), width_(padded_width), bands_(bands), patch_(patch), band_(std::move(band)), code_(std::move(code)) {
    if (net.task != ENCODER_TASK_COMPRESS) throw std::invalid_argument("the network is not a compression network");
    if (patch == 0 || padded_width == 0 || padded_width % patch || bands == 0)
        throw std::invalid_argument("frame geometry is not a whole number of patches");
    if (net.in_bytes != 3u * patch * patch)
        throw std::invalid_argument("the network takes " + std::to_string(net.in_bytes) + "-byte inputs, not " +
                                    std::to_string(patch) + "x" + std::to_string(patch) + " RGB patches");
}

void compress_job::place(session& s) {
    soc& chip = s.chip();
    const uint64_t base = s.dram_base(), jb = base + dram_layout::JOB;
    netimg_ = base + dram_layout::NETIMG;
    band_addr_ = (netimg_ + net_.netimg.size() + 0xFFF) & ~uint64_t(0xFFF);
    const uint64_t band_bytes = 3ull * patch_ * width_;
    code_stride_ = (net_.out_bytes + 7) / 8 * 8;
    codes_ = (band_addr_ + band_bytes + 0xFFF) & ~uint64_t(0xFFF);
    if (codes_ + uint64_t(width_ / patch_) * code_stride_ > base + s.config().dram_size)
        throw std::invalid_argument("a band of a " + std::to_string(width_) + "-pixel-wide frame does not fit in the DRAM");
    chip.dram_write(netimg_, net_.netimg.data(), net_.netimg.size());
    chip.dram_write32(jb + JOB_COMMAND, JOB_CMD_COMPRESS);
    chip.dram_write32(jb + JOB_STATUS, ~0u);
    chip.dram_write32(jb + COMPRESS_NETIMG, uint32_t(netimg_));
    chip.dram_write32(jb + COMPRESS_BAND, uint32_t(band_addr_));
    chip.dram_write32(jb + COMPRESS_WIDTH, width_);
    chip.dram_write32(jb + COMPRESS_PATCH, patch_);
    chip.dram_write32(jb + COMPRESS_CODES, uint32_t(codes_));
    chip.dram_write32(jb + COMPRESS_CODE_STRIDE, uint32_t(code_stride_));
    chip.dram_write32(jb + COMPRESS_PATCHES_DONE, 0);
    band_end_times.clear();
    place_band(s, 0);
}

void compress_job::place_band(session& s, unsigned k) {
    current_ = k;
    drained_ = false;
    band_(k, buf_);
    if (buf_.size() != 3ull * patch_ * width_)
        throw std::invalid_argument("band " + std::to_string(k) + " has " + std::to_string(buf_.size()) + " bytes, expected " +
                                    std::to_string(3ull * patch_ * width_));
    s.chip().dram_write(band_addr_, buf_.data(), buf_.size());
}

void compress_job::drain(session& s) {
    if (drained_) return;
    drained_ = true;
    const uint64_t jb = s.dram_base() + dram_layout::JOB;
    const uint32_t done = s.chip().dram_read32(jb + COMPRESS_PATCHES_DONE);
    const unsigned cols = width_ / patch_;
    if (done < uint64_t(current_ + 1) * cols) return;  // the band did not complete
    buf_.resize(net_.out_bytes);
    for (unsigned c = 0; c < cols; ++c) {
        s.chip().dram_read(codes_ + c * code_stride_, buf_.data(), buf_.size());
        code_(current_, c, buf_.data(), buf_.size());
    }
    band_end_times.push_back(sc_core::sc_time_stamp().to_seconds());
    patches = done;
    encoder_cycles = s.chip().dram_read32(jb + COMPRESS_ENC_CYCLES);
}

uint32_t compress_job::on_request(session& s, uint32_t request) {
    if (request != HOST_REQ_BATCH_DONE) return host_job::on_request(s, request);
    drain(s);
    if (current_ + 1 >= bands_) return 0;
    place_band(s, current_ + 1);
    return 1;
}

void compress_job::collect(session& s) {
    drain(s);
    patches = s.chip().dram_read32(s.dram_base() + dram_layout::JOB + COMPRESS_PATCHES_DONE);
}

inference_stats run_inference(session& s, const compiled_network& net, std::size_t count, std::size_t batch,
                              const std::function<void(std::size_t, std::vector<uint8_t>&)>& fetch,
                              const std::function<void(const inference_record&)>& sink) {
    inference_job job(net, count, batch, fetch, sink);
    inference_stats st;
    st.run = s.run_jobs({&job});
    st.job_status = job.job_status;
    st.done = job.done;
    return st;
}

}  // namespace encvp
