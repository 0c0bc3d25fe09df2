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

    nlohmann::json report(const run_outcome& r) const;

private:
    platform_config cfg_;
    std::unique_ptr<soc> soc_;
    sc_core::sc_trace_file* vcd_ = nullptr;
};

// ---- jobs ----

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

// Streams `count` inputs through the firmware in batches of `batch`: `fetch(i, chw)` provides
// input i, `sink(record)` receives each result in order. Returns when the firmware exits.
inference_stats run_inference(session& s, const compiled_network& net, std::size_t count, std::size_t batch,
                              const std::function<void(std::size_t, std::vector<uint8_t>&)>& fetch,
                              const std::function<void(const inference_record&)>& sink);

}  // namespace encvp
