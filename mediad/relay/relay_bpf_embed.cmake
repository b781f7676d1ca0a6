# SPDX-License-Identifier: BSD-2-Clause
# cmake -DIN=obj -DOUT=file.c -DNAME=sym -P relay_bpf_embed.cmake: a compiled BPF object as
# the C array NAME (and NAME_len), so that mediad carries its programs and needs no file at
# run time.
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" n)
math(EXPR len "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
file(WRITE ${OUT} "/* Generated from ${IN} by relay_bpf_embed.cmake. */\n"
	"#include \"relay_bpf_obj.h\"\n"
	"const unsigned char ${NAME}[] = {${body}};\n"
	"const unsigned long ${NAME}_len = ${len};\n")
