// Design-space exploration pieces (platform/explore.*): the sweep file (expansion, errors naming
// the file and the field), shard specs, the results table (CSV), the Pareto front on hand-made
// sets, and parameter effects.
#include <gtest/gtest.h>

#include "common/error.h"
#include "explore.h"

namespace encvp {
namespace {

nlohmann::ordered_json J(const char* text) { return nlohmann::ordered_json::parse(text); }

std::string error_of(const char* text) {
    try {
        parse_sweep(J(text), "s.json");
    } catch (const input_error& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(sweep, configurations_times_the_cross_product_in_order) {
    const sweep_spec s = parse_sweep(J(R"({
        "name": "t", "images": 4,
        "base": {"encoder.clock": "300MHz"},
        "configurations": [{"encoder.macs_per_lane_w1": 8}, {"sram.banks": 4}],
        "parameters": {"encoder.mac_lanes": [16, 32, 64], "bus.width": [4, 8]}
    })"), "s.json");
    ASSERT_EQ(s.points.size(), 2u * 3 * 2);
    EXPECT_EQ(s.columns, (std::vector<std::string>{"encoder.macs_per_lane_w1", "sram.banks", "encoder.mac_lanes", "bus.width"}));
    // The last parameter varies fastest; a listed configuration without a key shows the base value.
    const auto& p0 = s.points[0].params;
    EXPECT_EQ(p0[0].second, "8");
    EXPECT_EQ(p0[1].second, "2");  // sram.banks default
    EXPECT_EQ(p0[2].second, "16");
    EXPECT_EQ(p0[3].second, "4");
    EXPECT_EQ(s.points[1].params[3].second, "8");
    EXPECT_EQ(s.points[2].params[2].second, "32");
    EXPECT_EQ(s.points[6].params[0].second, "4");  // second configuration: w1 takes the default
    EXPECT_EQ(s.points[6].params[1].second, "4");
    for (std::size_t i = 0; i < s.points.size(); ++i) EXPECT_EQ(s.points[i].index, i);
    EXPECT_EQ(s.images, 4u);
    EXPECT_EQ(s.objectives, default_objectives("image"));

    const platform_config c = point_config(s, s.points[7], {{"dram.latency", "80ns"}});
    EXPECT_EQ(c.encoder.mac_lanes, 16u);
    EXPECT_EQ(c.bus_width_bytes, 8u);
    EXPECT_EQ(c.sram_banks, 4u);
    EXPECT_DOUBLE_EQ(c.encoder.clock_hz, 300e6);  // from the base
    EXPECT_DOUBLE_EQ(c.dram_latency_s, 80e-9);    // from the command line
}

TEST(sweep, identity_changes_with_the_configurations_only) {
    const char* a = R"({"parameters": {"encoder.mac_lanes": [16, 32]}})";
    const char* b = R"({"name": "renamed", "parameters": {"encoder.mac_lanes": [16, 32]}})";
    const char* c = R"({"parameters": {"encoder.mac_lanes": [16, 64]}})";
    EXPECT_EQ(parse_sweep(J(a), "a").identity, parse_sweep(J(b), "b").identity);
    EXPECT_NE(parse_sweep(J(a), "a").identity, parse_sweep(J(c), "c").identity);
}

TEST(sweep, errors_name_the_file_and_the_field) {
    EXPECT_NE(error_of(R"({"parameters": {"encoder.mac_lane": [1]}})")
                  .find("s.json: parameters.\"encoder.mac_lane\": 'encoder.mac_lane' is not a platform configuration key "
                        "(did you mean 'encoder.mac_lanes'?)"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"parameters": {"encoder.mac_lanes": [64, 0]}})")
                  .find("parameters.\"encoder.mac_lanes\"[1]: bad value '0' for 'encoder.mac_lanes'"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"parameters": {"encoder.clock": ["fast"]}})").find("parameters.\"encoder.clock\"[0]: bad value 'fast'"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"parameters": {"bus.width": []}})").find("must be a non-empty list"), std::string::npos);
    EXPECT_NE(error_of(R"({"parameters": {"bus.width": [4, 4]}})").find("listed twice"), std::string::npos);
    EXPECT_NE(error_of(R"({"parameters": {"bus.width": [[4]]}})").find("must be a string, number or boolean"), std::string::npos);
    EXPECT_NE(error_of(R"({"paramters": {}})").find("unknown field \"paramters\""), std::string::npos);
    EXPECT_NE(error_of(R"({"task": "segment", "parameters": {"bus.width": [4]}})").find("\"task\": must be"), std::string::npos);
    EXPECT_NE(error_of(R"({"name": "x"})").find("nothing to sweep"), std::string::npos);
    EXPECT_NE(error_of(R"({"configurations": [{"bus.width": 4}], "parameters": {"bus.width": [8]}})").find("set each key in one place"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"configurations": [3]})").find("configurations[0]: must be an object"), std::string::npos);
    EXPECT_NE(error_of(R"({"base": {"network": "x.enet"}, "parameters": {"bus.width": [4]}})").find("top level"), std::string::npos);
    EXPECT_NE(error_of(R"({"images": 0, "parameters": {"bus.width": [4]}})").find("\"images\""), std::string::npos);
    EXPECT_NE(error_of(R"({"task": "compress", "frame": "12x", "parameters": {"bus.width": [4]}})").find("\"frame\""),
              std::string::npos);
    EXPECT_NE(error_of(R"({"objectives": ["latency_per_image_us", "critical_path"], "parameters": {"bus.width": [4]}})")
                  .find("objectives[1]: 'critical_path' is not a numeric result column"),
              std::string::npos);
    EXPECT_NE(error_of("[1, 2]").find("must be a JSON object"), std::string::npos);
    // A combination that is invalid only together is a row status, not an error of the file.
    const sweep_spec s =
        parse_sweep(J(R"({"parameters": {"sram.size": ["32Kbit"], "sram.word_bits": [1024], "sram.banks": [64]}})"), "s.json");
    EXPECT_THROW(point_config(s, s.points[0], {}), config_error);
}

TEST(sweep, shard_specs) {
    EXPECT_EQ(parse_shard("0/1"), (std::pair<unsigned, unsigned>{0, 1}));
    EXPECT_EQ(parse_shard("3/8"), (std::pair<unsigned, unsigned>{3, 8}));
    for (const char* bad : {"8/8", "1/0", "a/b", "1", "1/2/3", "-1/2", " 1/2", "1/2x"}) {
        try {
            parse_shard(bad);
            ADD_FAILURE() << bad << " accepted";
        } catch (const input_error& e) {
            EXPECT_NE(std::string(e.what()).find("--shard"), std::string::npos) << e.what();
        }
    }
}

TEST(table, csv_round_trip_with_quotes_commas_and_newlines) {
    table t;
    t.header = {"index", "status", "error"};
    t.rows = {{"0", "ok", ""}, {"1", "failed", "a, \"quoted\"\nsecond line"}};
    const std::string text = format_csv(t);
    const table u = parse_csv(text, "x.csv");
    EXPECT_EQ(u.header, t.header);
    EXPECT_EQ(u.rows, t.rows);
    EXPECT_EQ(parse_csv("a,b\r\n1,2\r\n", "crlf.csv").rows[0][1], "2");
}

TEST(table, malformed_csv_names_the_file_and_the_line) {
    auto err = [](const char* text) {
        try {
            parse_csv(text, "bad.csv");
        } catch (const input_error& e) {
            return std::string(e.what());
        }
        return std::string("(no error)");
    };
    EXPECT_NE(err("a,b\n1,2,3\n").find("bad.csv: row 1 has 3 fields, the header has 2"), std::string::npos);
    EXPECT_NE(err("a,b\n\"1,2\n").find("bad.csv: line 2: unterminated quoted field"), std::string::npos);
    EXPECT_NE(err("a,b\n1\"x,2\n").find("bad.csv: line 2: a quote inside an unquoted field"), std::string::npos);
    EXPECT_NE(err("").find("empty CSV"), std::string::npos);
}

TEST(pareto, hand_made_front) {
    // (latency, energy, memory): A(1,5,1) B(2,2,1) C(3,1,1) D(3,3,1) E(2,2,1) F(1,5,2)
    // D is dominated by B; F by A; B and E tie and are both kept.
    const std::vector<bool> f =
        pareto_front({{1, 5, 1}, {2, 2, 1}, {3, 1, 1}, {3, 3, 1}, {2, 2, 1}, {1, 5, 2}});
    EXPECT_EQ(f, (std::vector<bool>{true, true, true, false, true, false}));
    EXPECT_EQ(pareto_front({}), std::vector<bool>{});
    EXPECT_EQ(pareto_front({{7, 7}}), std::vector<bool>{true});
}

TEST(pareto, marks_only_successful_rows) {
    table t;
    t.header = {"index", "p", "status", "lat", "en", "mem", "pareto", "error"};
    t.rows = {{"0", "a", "ok", "10", "5", "1", "0", ""},
              {"1", "b", "ok", "5", "10", "1", "1", ""},
              {"2", "c", "failed", "", "", "", "1", "boom"},
              {"3", "d", "ok", "20", "20", "1", "1", ""},
              {"4", "e", "does_not_fit", "1", "1", "1", "0", ""}};  // would dominate all, but did not run
    mark_pareto(t, {"lat", "en", "mem"});
    std::vector<std::string> got;
    for (const auto& r : t.rows) got.push_back(r[6]);
    EXPECT_EQ(got, (std::vector<std::string>{"1", "1", "0", "0", "0"}));
}

TEST(effects, ratio_of_the_largest_to_the_smallest_mean) {
    table t;
    t.header = {"index", "lanes", "clock", "status", "lat"};
    t.rows = {{"0", "16", "100", "ok", "40"}, {"1", "16", "200", "ok", "20"}, {"2", "64", "100", "ok", "10"},
              {"3", "64", "200", "ok", "5"},  {"4", "64", "200", "failed", "1"}};
    const auto e = parameter_effects(t, {"lanes", "clock"}, "lat");
    ASSERT_EQ(e.size(), 2u);
    EXPECT_EQ(e[0].parameter, "lanes");  // means 30 vs 7.5: x4
    EXPECT_DOUBLE_EQ(e[0].ratio, 4.0);
    EXPECT_EQ(e[0].best_value, "64");
    EXPECT_EQ(e[0].worst_value, "16");
    EXPECT_EQ(e[1].parameter, "clock");  // means 25 vs 12.5: x2
    EXPECT_DOUBLE_EQ(e[1].ratio, 2.0);
    t.rows = {{"0", "16", "100", "ok", "3"}, {"1", "64", "100", "ok", "3"}};
    const auto none = parameter_effects(t, {"lanes", "clock"}, "lat");
    ASSERT_EQ(none.size(), 1u);  // clock has one value only
    EXPECT_DOUBLE_EQ(none[0].ratio, 1.0);
    EXPECT_TRUE(none[0].best_value.empty());  // no effect: no best value
}

}  // namespace
}  // namespace encvp
