#include "fault/irq_fault.h"

#include "common/report.h"

namespace encvp {

irq_fault::irq_fault(const sc_core::sc_module_name& nm, unsigned lines, uint64_t every)
    : sc_module(nm), in("in", lines), out("out", lines), every_(every), level_(lines, false), suppressed_(lines, false) {
    SC_METHOD(propagate);
    for (auto& p : in) sensitive << p;
    dont_initialize();
}

void irq_fault::propagate() {
    for (std::size_t i = 0; i < in.size(); ++i) {
        const bool lv = in[i].read();
        if (lv && !level_[i]) {  // a new request
            ++requests_;
            if (every_ != 0 && requests_ % every_ == 0) {
                suppressed_[i] = true;
                ++dropped_;
                report_warning(name(), "dropped interrupt request on line " + std::to_string(i) + " (fault.drop_irq_every = " +
                                           std::to_string(every_) + ") at " + time_string(sc_core::sc_time_stamp()));
            }
        }
        if (!lv) suppressed_[i] = false;
        level_[i] = lv;
        out[i].write(lv && !suppressed_[i]);
    }
}

void irq_fault::stats(nlohmann::json& j) const {
    j["every"] = every_;
    j["requests"] = requests_;
    j["dropped"] = dropped_;
}

}  // namespace encvp
