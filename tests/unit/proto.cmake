# SPDX-License-Identifier: BSD-2-Clause
# proto/ unit tests: bencode, ng messages, cookie cache.
sbc_unit_test(test_bencode SOURCES ${SBC_TEST_DIR}/unit/test_bencode.c LIBS sbcproto)
sbc_unit_test(test_ng SOURCES ${SBC_TEST_DIR}/unit/test_ng.c LIBS sbcproto)
# test_ng also replays datagrams captured from rtpengine and rtpengine-ng-client.
target_compile_definitions(test_ng PRIVATE PROTO_SEED_DIR="${SBC_TEST_DIR}/fuzz/seeds/ng")
sbc_unit_test(test_cookie_cache SOURCES ${SBC_TEST_DIR}/unit/test_cookie_cache.c LIBS sbcproto)
