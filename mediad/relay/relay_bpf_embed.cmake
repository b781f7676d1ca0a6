# SPDX-License-Identifier: BSD-2-Clause
# cmake -DIN=obj -DOUT=file.c -P relay_bpf_embed.cmake: the compiled BPF object as a C array,
# so that mediad carries its program and needs no file at run time.
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" n)
math(EXPR len "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
file(WRITE ${OUT} "/* Generated from ${IN} by relay_bpf_embed.cmake. */\n"
	"#include \"relay_bpf_obj.h\"\n"
	"const unsigned char relay_bpf_obj[] = {${body}};\n"
	"const unsigned long relay_bpf_obj_len = ${len};\n")
