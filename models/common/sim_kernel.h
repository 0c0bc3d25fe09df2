// SystemC elaborates a design once per simulation context. Tests and sweeps that build several
// platforms in one process start each on a fresh context.
#pragma once

namespace encvp {

// Gives SystemC a fresh kernel so that another design can be elaborated in this process. Every
// module of the previous design must have been destroyed first.
void fresh_simulation_kernel();

}  // namespace encvp
