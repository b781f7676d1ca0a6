# SPDX-License-Identifier: BSD-2-Clause
# proto/ fuzz targets: ng datagram parsing with exact decode/encode round trips.
sbc_fuzz_target(fuzz_ng SOURCES ${SBC_TEST_DIR}/fuzz/fuzz_ng.c LIBS sbcproto
	SEEDS ${SBC_TEST_DIR}/fuzz/seeds/ng)
