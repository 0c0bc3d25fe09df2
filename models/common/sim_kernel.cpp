#include "common/sim_kernel.h"

#include <systemc>

namespace encvp {

void fresh_simulation_kernel() {
    // SystemC 2.3 keeps its state in one global context object; swapping in a new one is the
    // supported way (sc_simcontext.h exports both pointers) to elaborate again. The old context is
    // deliberately leaked: deleting it tears down processes of the destroyed design a second time.
    sc_core::sc_curr_simcontext = new sc_core::sc_simcontext();
    sc_core::sc_default_global_context = sc_core::sc_curr_simcontext;
}

}  // namespace encvp
