// Network helpers shared by the commands: default paths, summaries and per-layer tables.
#pragma once

#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "compiler/compiler.h"
#include "config.h"
#include "encoder/timing_model.h"
#include "netfile/netfile.h"

namespace encvp::cli {

// configs/networks/cifar10-1mb.enet, or the interim network until the trained one exists.
std::string default_network_path();
std::string default_dataset_path();

std::vector<nx::layer_desc> layer_descs(const network_file& f);
run_estimate estimate_network(const network_file& f, const platform_config& cfg);

void print_network_summary(std::ostream& os, const std::string& path, const network_file& f, const compiled_network& c);
void print_layer_table(std::ostream& os, const network_file& f, const run_estimate& e, double clock_hz);
nlohmann::json layers_json(const network_file& f, const run_estimate& e, double clock_hz);

}  // namespace encvp::cli
