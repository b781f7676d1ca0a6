# SPDX-License-Identifier: BSD-2-Clause
# SRTP engine benchmark (NSS-backed libsrtp vs OpenSSL primitives); ctest runs a smoke pass only.
add_executable(bench_srtp ${SBC_TEST_DIR}/bench/bench_srtp.c)
target_link_libraries(bench_srtp PRIVATE mediad_srtp)
add_test(NAME bench_srtp_smoke COMMAND bench_srtp --smoke)
set_tests_properties(bench_srtp_smoke PROPERTIES TIMEOUT 60 LABELS "bench")
