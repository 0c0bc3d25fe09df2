// The golden reference: the network on the host, straight from the numerics library, no SystemC.
// What the virtual platform must reproduce bit for bit.
#pragma once

#include <cstdint>

#include "netfile/netfile.h"
#include "numerics/engine.h"

namespace encvp {

class golden_model {
public:
    explicit golden_model(const network_file& f) : engine_(f.to_network()) {}
    explicit golden_model(const nx::network& n) : engine_(n) {}
    void run(const uint8_t* chw, nx::inference_result& r) { engine_.run(chw, r); }
    const nx::network_shape& shape() const { return engine_.shape(); }

private:
    nx::engine engine_;
};

}  // namespace encvp
