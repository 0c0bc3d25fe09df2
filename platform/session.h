// A host program driving one platform instance: places the boot block, the job and the data in
// DRAM through the backdoor, runs the firmware, serves its mailbox requests (batches) and reads
// the results back. SystemC elaborates once per process, so a session is one firmware run.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compiler/compiler.h"
#include "config.h"
#include "soc.h"

namespace encvp {

// Exit code of a run whose firmware finished but whose TLM traffic broke the base protocol
// (bus.protocol_check): the run is not to be trusted.
constexpr int EXIT_PROTOCOL_VIOLATION = 252;

struct run_outcome {
    bool exited = false;       // firmware wrote EXIT (or returned)
    int exit_code = -1;
    std::string fault;         // why the run ended abnormally ("" if it did not)
    double sim_seconds = 0;
    double wall_seconds = 0;
};

// DRAM layout used by the host programs (offsets from the DRAM base).
struct dram_layout {
    static constexpr uint64_t BOOT = 0x0;
    static constexpr uint64_t JOB = 0x100;
    static constexpr uint64_t NETIMG = 0x1000;
};

class session {
public:
    explicit session(const platform_config& cfg, const std::string& vcd_path = "");
    ~session();

    soc& chip() { return *soc_; }
    const platform_config& config() const { return cfg_; }
    uint64_t dram_base() const { return cfg_.dram_base; }

    // Called for each HOST_REQ; returns the answer.
    using host_handler = std::function<uint32_t(uint32_t request)>;
    // Runs the firmware on the job written at DRAM + JOB until it exits or fails.
    run_outcome run(const host_handler& on_request);

    // Runs several jobs in one platform run: the firmware reports each finished job through the
    // host mailbox, the session collects it and places the next (tasks switch at run time).
    run_outcome run_jobs(const std::vector<class host_job*>& jobs);

    nlohmann::json report(const run_outcome& r) const;

private:
    platform_config cfg_;
    std::unique_ptr<soc> soc_;
    sc_core::sc_trace_file* vcd_ = nullptr;
};

// ---- jobs ----

// A job the host hands to the firmware: places its job block and data in DRAM, serves the
// firmware's requests while it runs, and reads its results when the firmware reports it done.
class host_job {
public:
    virtual ~host_job() = default;
    virtual void place(session& s) = 0;
    virtual uint32_t on_request(session& s, uint32_t request);  // default: warn, answer 0
    virtual void collect(session& s) = 0;
    uint32_t job_status = ~0u;  // JOB_STATUS as the firmware wrote it
};

struct demo_job {
    uint32_t frame_width = 256, frame_height = 128;  // bytes x rows of the source frame
    uint32_t x = 37, y = 11, width = 100, height = 50;
    uint32_t seed = 1;
};
struct demo_result {
    run_outcome run;
    uint32_t job_status = ~0u;
    uint32_t checksum = 0, expected_checksum = 0;
    uint32_t transfer_cycles = 0;
    bool region_matches = false;  // host-side check of the destination
};
demo_result run_demo(session& s, const demo_job& job);

struct inference_record {
    std::size_t index = 0;
    uint32_t status = 0;          // 0 or ENCODER_ERR_* | layer << 8
    uint32_t cycles = 0;          // encoder cycles of this run
    std::vector<uint8_t> output;  // the encoder's output buffer (compiled_network::out_bytes)
};

// Classification view of an output buffer: int32 logits then the class index.
void decode_logits(const std::vector<uint8_t>& output, unsigned num_classes, std::vector<int32_t>& logits, int& cls);

struct inference_stats {
    run_outcome run;
    uint32_t job_status = ~0u;
    std::size_t done = 0;  // inputs the firmware processed
};

// Batch inference as a job: streams `count` inputs in batches of `batch`; `fetch(i, chw)` provides
// input i, `sink(record)` receives each result in order.
class inference_job : public host_job {
public:
    inference_job(const compiled_network& net, std::size_t count, std::size_t batch,
                  std::function<void(std::size_t, std::vector<uint8_t>&)> fetch,
                  std::function<void(const inference_record&)> sink);
    void place(session& s) override;
    uint32_t on_request(session& s, uint32_t request) override;
    void collect(session& s) override;
    std::size_t done = 0;  // inputs the firmware processed

private:
    uint32_t fill(session& s);
    void drain(session& s);
    const compiled_network& net_;
    std::size_t count_, batch_;
    std::function<void(std::size_t, std::vector<uint8_t>&)> fetch_;
    std::function<void(const inference_record&)> sink_;
    uint64_t netimg_ = 0, inputs_ = 0, results_ = 0, istride_ = 0, rstride_ = 0;
    std::size_t next_ = 0, batch_start_ = 0, batch_len_ = 0;
    bool drained_ = false;
    std::vector<uint8_t> chw_, rec_;
};

// Compression as a job: the frame streams through DRAM one band (a row of patches) at a time.
// `band(k, planar)` provides band k of the padded frame (3 planes of patch x width bytes);
// `code(k, col, bytes)` receives each patch's code.
class compress_job : public host_job {
public:
    compress_job(const compiled_network& net, unsigned padded_width, unsigned bands, unsigned patch,
                 std::function<void(unsigned, std::vector<uint8_t>&)> band,
                 std::function<void(unsigned, unsigned, const uint8_t*, std::size_t)> code);
    void place(session& s) override;
    uint32_t on_request(session& s, uint32_t request) override;
    void collect(session& s) override;
    uint32_t patches = 0;                // patches the firmware encoded
    uint32_t encoder_cycles = 0;         // cycles of one encoder run (the last patch)
    std::vector<double> band_end_times;  // simulated time at the end of each band

private:
    void place_band(session& s, unsigned k);
    void drain(session& s);
    const compiled_network& net_;
    unsigned width_, bands_, patch_;
    std::function<void(unsigned, std::vector<uint8_t>&)> band_;
    std::function<void(unsigned, unsigned, const uint8_t*, std::size_t)> code_;
    uint64_t netimg_ = 0, band_addr_ = 0, codes_ = 0, code_stride_ = 0;
    unsigned current_ = 0;
    bool drained_ = false;
    std::vector<uint8_t> buf_;
};

// Streams `count` inputs through the firmware in batches of `batch`: `fetch(i, chw)` provides
// input i, `sink(record)` receives each result in order. Returns when the firmware exits.
inference_stats run_inference(session& s, const compiled_network& net, std::size_t count, std::size_t batch,
                              const std::function<void(std::size_t, std::vector<uint8_t>&)>& fetch,
                              const std::function<void(const inference_record&)>& sink);

}  // namespace encvp
