# SPDX-License-Identifier: BSD-2-Clause
# Relay benchmark (SRTP <-> RTP, 20 ms PCMU, loopback) and its quick smoke run.
#   full run: build-dir/tests/bench_relay -c 1000 -s 10 -w 1
add_executable(bench_relay ${SBC_TEST_DIR}/bench/bench_relay.c)
target_link_libraries(bench_relay PRIVATE mediad_relay mediad_srtp mediad_suite sbccommon
	Threads::Threads)
# The smoke run proves the bench works and the relay stays bit-exact (bad=0); under a
# sanitizer build sharing 2 cores with the fuzzers, loss is the machine's, not a verdict.
add_test(NAME bench_relay_smoke COMMAND bench_relay -c 20 -s 1 -w 1 -l 20.0)
set_tests_properties(bench_relay_smoke PROPERTIES TIMEOUT 60 LABELS "bench;mediad;relay")

# The kernel's floor for a relay shaped like mediad (no relay logic), with and without one
# SRTP protect per packet: build-dir/tests/bench_forward_floor -c 1000 -s 5 [-S]
add_executable(bench_forward_floor ${SBC_TEST_DIR}/bench/bench_forward_floor.c)
target_link_libraries(bench_forward_floor PRIVATE mediad_srtp mediad_suite Threads::Threads)
add_test(NAME bench_forward_floor_smoke COMMAND bench_forward_floor -c 20 -s 1 -S)
set_tests_properties(bench_forward_floor_smoke PROPERTIES TIMEOUT 60 LABELS "bench;mediad;relay")
