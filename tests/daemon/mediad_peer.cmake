# SPDX-License-Identifier: BSD-2-Clause
# End-to-end media through mediad: sbc-test-peer plays both parties (SRTP and RTP) of real
# calls; each test starts its own redis-server and mediad on private loopback addresses.
include(${SBC_TEST_DIR}/peer/peer.cmake)

set(_peer $<TARGET_FILE:sbc-test-peer> --mediad $<TARGET_FILE:mediad> --quiet)

# One per SDES suite, SRTP caller -> RTP callee, bit-exact both ways.
foreach(suite AES_CM_128_HMAC_SHA1_80 AES_CM_128_HMAC_SHA1_32 AEAD_AES_128_GCM
		AEAD_AES_256_GCM AES_256_CM_HMAC_SHA1_80)
	string(TOLOWER ${suite} _s)
	sbc_daemon_test(mediad_peer_suite_${_s} COMMAND ${_peer} --suite ${suite}
		--packets 150 --rate 100 TIMEOUT 60)
endforeach()
# Both call directions, several calls in parallel.
sbc_daemon_test(mediad_peer_srtp_caller COMMAND ${_peer} --calls 8 --packets 150 --rate 100
	TIMEOUT 60)
sbc_daemon_test(mediad_peer_rtp_caller COMMAND ${_peer} --rtp-caller --calls 8
	--suite AEAD_AES_256_GCM --packets 150 --rate 100 TIMEOUT 60)
# Re-offer with a new key mid-stream (from either side), hold/resume, forged and replayed
# SRTP (dropped and counted by the relay, call unharmed), RFC 4733 events.
sbc_daemon_test(mediad_peer_rekey COMMAND ${_peer} --rekey --packets 300 --rate 150 TIMEOUT 60)
sbc_daemon_test(mediad_peer_rekey_rtp_caller COMMAND ${_peer} --rekey --rtp-caller
	--suite AES_CM_128_HMAC_SHA1_32 --packets 300 --rate 150 TIMEOUT 60)
sbc_daemon_test(mediad_peer_hold COMMAND ${_peer} --hold --packets 300 --rate 150 TIMEOUT 60)
sbc_daemon_test(mediad_peer_hold_rtp_caller COMMAND ${_peer} --hold --rtp-caller
	--packets 300 --rate 150 TIMEOUT 60)
sbc_daemon_test(mediad_peer_forge COMMAND ${_peer} --forge --calls 2 --packets 200 --rate 100
	TIMEOUT 60)
sbc_daemon_test(mediad_peer_forge_rtp_caller COMMAND ${_peer} --forge --rtp-caller
	--suite AEAD_AES_128_GCM --packets 200 --rate 100 TIMEOUT 60)
sbc_daemon_test(mediad_peer_dtmf COMMAND ${_peer} --dtmf --packets 200 --rate 100 TIMEOUT 60)
sbc_daemon_test(mediad_peer_dtmf_rtp_caller COMMAND ${_peer} --dtmf --rtp-caller
	--packets 200 --rate 100 TIMEOUT 60)
# 100 calls with mediad's default media timeout. Holds the regression of a reaper race:
# workers stamp packets after the reaper read its clock, and an unsigned "now - last"
# wrapped and deleted live calls as "no-media".
sbc_daemon_test(mediad_peer_load COMMAND $<TARGET_FILE:sbc-test-peer>
	--mediad $<TARGET_FILE:mediad> --quiet --calls 100 --packets 150 --rate 50 TIMEOUT 60)
# The peer's own checks catch what they claim to (a lost, a changed, a wrongly keyed
# and a validly tagged "forged" packet each make it fail), and bad options are refused.
sbc_daemon_test(mediad_peer_checks COMMAND ${SBC_TEST_DIR}/daemon/media/test_peer_checks.sh
	$<TARGET_FILE:sbc-test-peer> $<TARGET_FILE:mediad> TIMEOUT 60)
