// libFuzzer harness: the network-file reader (.enet), then what the CLI does with an accepted
// file: compile it for the weight SRAM and, when it is small, run it on the golden model.
// Expected rejections are input_error and budget_error; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "common/error.h"
#include "fuzz_container.h"
#include "compiler/compiler.h"
#include "golden/golden.h"
#include "netfile/netfile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    using namespace encvp;
    const std::vector<uint8_t> bytes = fuzz::with_container_crc(data, size);
    network_file f;
    try {
        f = parse_network_file(bytes, "fuzz.enet");
    } catch (const input_error&) {
        return 0;
    }
    // An accepted file survives a write/read round trip unchanged.
    const network_file g = parse_network_file(serialize_network_file(f), "round-trip.enet");
    if (g.payload != f.payload || g.layers.size() != f.layers.size() || g.weight_bits() != f.weight_bits()) std::abort();
    try {
        compile_network(f, uint64_t(1) << 20, "fuzz.enet");
    } catch (const budget_error&) {
    } catch (const input_error&) {
    }
    uint64_t macs = 0;
    for (const net_layer& l : f.layers) macs += l.d.macs() + l.d.output_elements();
    const uint64_t in_elems = uint64_t(f.in_c) * f.in_h * f.in_w;
    if (macs <= 4000000 && in_elems <= 65536) {
        golden_model m(f);
        std::vector<uint8_t> in(in_elems);
        for (std::size_t i = 0; i < in.size(); ++i) in[i] = uint8_t(i * 37 + 11);
        nx::inference_result r;
        m.run(in.data(), r);
        if (f.classify() && (r.cls < 0 || std::size_t(r.cls) >= f.classes.size())) std::abort();
    }
    return 0;
}
