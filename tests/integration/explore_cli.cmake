# CLI checks of the estimates, design-space sweeps and timelines (issue 6). Included by
# tests/integration/CMakeLists.txt, whose encvp_cli_test(), ENCVP and DEFAULT_NET it uses.

set(XB ${CMAKE_CURRENT_BINARY_DIR})
# Compares two results tables column by column (all columns, or all but the listed ones).
set(CSV_SAME ${CMAKE_CURRENT_SOURCE_DIR}/csv_same.py)

if(EXISTS ${DEFAULT_NET})
  file(WRITE ${XB}/explore-tiny.json
"{
  \"name\": \"tiny\",
  \"images\": 4,
  \"parameters\": {\"encoder.mac_lanes\": [32, 128], \"sram.word_bits\": [32, 128]}
}
")
  # A sweep runs every configuration on the platform and writes the table.
  encvp_cli_test(explore_full ${ENCVP} explore --sweep explore-tiny.json --out explore-full --jobs 2 --no-plot
                 PASS "results +explore-full/results.csv: 4 rows, 4 ok.*pareto +[1-9]")
  set_tests_properties(cli.explore_full PROPERTIES FIXTURES_SETUP explore_full)
  # Shards and their merge give the same table as the whole run.
  foreach(i 0 1)
    encvp_cli_test(explore_shard${i} ${ENCVP} explore --sweep explore-tiny.json --out explore-shard${i} --shard ${i}/2
                   --no-plot PASS "results +explore-shard${i}/results.csv: 2 rows, 2 ok")
    set_tests_properties(cli.explore_shard${i} PROPERTIES FIXTURES_SETUP explore_shards)
  endforeach()
  encvp_cli_test(explore_merge ${ENCVP} explore --merge explore-shard0 explore-shard1 --out explore-merged --no-plot
                 PASS "merge +2 folders, 4 configurations of 4: complete")
  set_tests_properties(cli.explore_merge PROPERTIES FIXTURES_REQUIRED explore_shards FIXTURES_SETUP explore_merged)
  add_test(NAME cli.explore_merge_equals_full
           COMMAND ${Python3_EXECUTABLE} ${CSV_SAME} ${XB}/explore-full/results.csv ${XB}/explore-merged/results.csv)
  set_tests_properties(cli.explore_merge_equals_full PROPERTIES LABELS cli FIXTURES_REQUIRED "explore_full;explore_merged")
  # Timing-only: the same times, energies and Pareto front; only the accuracy is missing.
  encvp_cli_test(explore_timing_only ${ENCVP} explore --sweep explore-tiny.json --out explore-timing --timing-only --no-plot
                 PASS "timing-only.*4 rows, 4 ok")
  set_tests_properties(cli.explore_timing_only PROPERTIES FIXTURES_SETUP explore_timing)
  add_test(NAME cli.explore_timing_only_equals_full
           COMMAND ${Python3_EXECUTABLE} ${CSV_SAME} ${XB}/explore-full/results.csv ${XB}/explore-timing/results.csv accuracy)
  set_tests_properties(cli.explore_timing_only_equals_full PROPERTIES LABELS cli FIXTURES_REQUIRED "explore_full;explore_timing")
  # The example sweep parses and has at least 50 configurations.
  encvp_cli_test(explore_example_sweep ${ENCVP} explore --sweep ${PROJECT_SOURCE_DIR}/configs/sweeps/encoder-dse.json
                 --out explore-dry --dry-run PASS "encoder-dse', classify\\): [0-9][0-9][0-9]+ configurations")
  # Plots from the results (skipped where matplotlib is missing).
  if(ENCVP_DEBIAN_PYTHON)
    add_test(NAME cli.explore_plots COMMAND ${ENCVP_DEBIAN_PYTHON} ${PROJECT_SOURCE_DIR}/scripts/plot_explore.py ${XB}/explore-full)
    set_tests_properties(cli.explore_plots PROPERTIES LABELS cli FIXTURES_REQUIRED explore_full SKIP_RETURN_CODE 77
                         PASS_REGULAR_EXPRESSION "pareto.png.*effects.png.*layers.png")
  endif()

  # Estimates and timeline of a classification run.
  encvp_cli_test(classify_estimate ${ENCVP} classify --limit 4 --jobs 1 --csv classify-layers.csv
                 --timeline classify-trace.json --report classify-estimate.json
                 PASS "timeline +classify-trace.json: [0-9]+ events.*estimate +per image: [0-9.]+ us = encoder")
  set_tests_properties(cli.classify_estimate PROPERTIES FIXTURES_SETUP classify_estimate)
  add_test(NAME cli.classify_timeline_tracks
           COMMAND ${Python3_EXECUTABLE} -c "import json, sys
t = json.load(open('classify-trace.json'))
names = {e['args']['name'] for e in t['traceEvents'] if e['name'] == 'thread_name'}
need = {'cpu firmware', 'encoder runs', 'encoder layers', 'dma ch0', 'dma ch1', 'irq encoder'}
sys.exit('missing tracks: %s' % (need - names)) if need - names else print('tracks', sorted(names))
r = json.load(open('classify-estimate.json'))['estimate']
assert r['platform']['per_item']['period_s'] > r['encoder']['latency_s'] > 0, r['platform']
rows = open('classify-layers.csv').read().splitlines()
assert rows[0].startswith('row,name,kind') and rows[-1].startswith('total,'), rows
")
  set_tests_properties(cli.classify_timeline_tracks PROPERTIES LABELS cli FIXTURES_REQUIRED classify_estimate
                       WORKING_DIRECTORY ${XB} PASS_REGULAR_EXPRESSION "tracks")
endif()

# Bad input: clear errors naming the file and the field.
file(WRITE ${XB}/explore-bad-key.json "{\"parameters\": {\"encoder.mac_lane\": [32, 64]}}\n")
encvp_cli_test(explore_bad_key ${ENCVP} explore --sweep explore-bad-key.json --out x
               PASS "explore-bad-key.json: parameters.\"encoder.mac_lane\": 'encoder.mac_lane' is not a platform configuration key \\(did you mean 'encoder.mac_lanes'\\?\\)")
file(WRITE ${XB}/explore-bad-json.json "{\"parameters\": {\"bus.width\": [4, 8]}\n")
encvp_cli_test(explore_bad_json ${ENCVP} explore --sweep explore-bad-json.json --out x PASS "explore-bad-json.json: not valid JSON")
file(WRITE ${XB}/explore-ok.json "{\"parameters\": {\"bus.width\": [4, 8]}}\n")
encvp_cli_test(explore_shard_out_of_range ${ENCVP} explore --sweep explore-ok.json --out x --shard 2/2
               PASS "--shard: '2/2': the index counts from 0 and must be below the count \\(0..1\\)")
file(MAKE_DIRECTORY ${XB}/explore-foreign)
file(WRITE ${XB}/explore-foreign/results.csv "a,b\n1,2\n")
encvp_cli_test(explore_merge_foreign ${ENCVP} explore --merge explore-foreign --out x
               PASS "explore-foreign/results.csv: not an `encvp explore` results table")
encvp_cli_test(explore_merge_missing ${ENCVP} explore --merge no-such-dir --out x PASS "no-such-dir/results.csv: cannot open")

# Compression: estimate and timeline, and a timing-only sweep on a synthetic frame.
encvp_cli_test(compress_estimate ${ENCVP} compress test-image.png -o estimate.evc --network test-codec.enet
               --csv compress-layers.csv --timeline compress-trace.json
               PASS "timeline +compress-trace.json: [0-9]+ events.*estimate +per patch: [0-9.]+ us = encoder")
set_tests_properties(cli.compress_estimate PROPERTIES FIXTURES_REQUIRED test_codec)
file(WRITE ${XB}/explore-compress.json
"{
  \"task\": \"compress\",
  \"network\": \"test-codec.enet\",
  \"frame\": \"64x48\",
  \"parameters\": {\"encoder.mac_lanes\": [16, 64]}
}
")
encvp_cli_test(explore_compress ${ENCVP} explore --sweep explore-compress.json --out explore-compress --timing-only
               --no-plot PASS "results +explore-compress/results.csv: 2 rows, 2 ok")
set_tests_properties(cli.explore_compress PROPERTIES FIXTURES_REQUIRED test_codec)
