//go:build !purego

#include "textflag.h"

// Direct convolution kernels for one input channel (direct.go): the kernel
// weights stay in registers or L1 and the input rows are read in place, with
// no column matrix to pack (for Cin = 1 that packing cost about a third of
// the im2col path's time). Written by hand; the wrappers in direct_amd64.go
// check with Go's bounds checks every value they read or write.

// func directAVX512(y *float32, ldy int, pp *float32, pw int, wt *float32, kh, kw, ow, oh int)
// The direct convolution of one input plane (padded, rows pw apart) with 8
// kernels: y[c·ldy + oy·ow + ox] = bias[c] + Σ wt[(i·kw+j)·8 + c] · pp[(oy+i)·pw + ox+j]
// for c < 8, oy < oh, ox < ow; bias[c] = wt[kh·kw·8 + c]. 32 columns at a time
// (16 accumulators: 8 kernels × 2 vectors), the last ones masked: it reads
// and writes nothing past a row.
TEXT ·directAVX512(SB), NOSPLIT, $0-72
	MOVQ ldy+8(FP), BX
	SHLQ $2, BX
	MOVQ pw+24(FP), R15
	SHLQ $2, R15
	MOVQ kh+40(FP), AX
	IMULQ kw+48(FP), AX
	SHLQ $5, AX
	MOVQ wt+32(FP), R14
	ADDQ AX, R14            // the biases
	MOVQ y+0(FP), R12       // this row of y
	MOVQ pp+16(FP), R11     // its first row of pp
	MOVQ oh+64(FP), R13
	TESTQ R13, R13
	JZ dx5_done
dx5_row:
	MOVQ R12, DI
	MOVQ R11, SI
	XORQ R10, R10           // ox
dx5_chunk:
	MOVQ ow+56(FP), AX
	SUBQ R10, AX            // columns left
	MOVQ AX, CX
	CMPQ CX, $16
	JLE dx5_k1
	MOVQ $16, CX
dx5_k1:
	MOVL $1, DX
	SHLL CX, DX
	DECL DX
	KMOVW DX, K1
	MOVQ AX, CX
	SUBQ $16, CX
	JGE dx5_k2a
	XORQ CX, CX
dx5_k2a:
	CMPQ CX, $16
	JLE dx5_k2
	MOVQ $16, CX
dx5_k2:
	MOVL $1, DX
	SHLL CX, DX
	DECL DX
	KMOVW DX, K2
	VBROADCASTSS 0(R14), Z0
	VMOVAPS Z0, Z1
	VBROADCASTSS 4(R14), Z2
	VMOVAPS Z2, Z3
	VBROADCASTSS 8(R14), Z4
	VMOVAPS Z4, Z5
	VBROADCASTSS 12(R14), Z6
	VMOVAPS Z6, Z7
	VBROADCASTSS 16(R14), Z8
	VMOVAPS Z8, Z9
	VBROADCASTSS 20(R14), Z10
	VMOVAPS Z10, Z11
	VBROADCASTSS 24(R14), Z12
	VMOVAPS Z12, Z13
	VBROADCASTSS 28(R14), Z14
	VMOVAPS Z14, Z15
	MOVQ wt+32(FP), R8
	MOVQ SI, R9
	MOVQ kh+40(FP), CX
dx5_i:
	MOVQ R9, DX
	MOVQ kw+48(FP), AX
dx5_j:
	VMOVUPS.Z (DX), K1, Z16
	VMOVUPS.Z 64(DX), K2, Z17
	VFMADD231PS.BCST 0(R8), Z16, Z0
	VFMADD231PS.BCST 0(R8), Z17, Z1
	VFMADD231PS.BCST 4(R8), Z16, Z2
	VFMADD231PS.BCST 4(R8), Z17, Z3
	VFMADD231PS.BCST 8(R8), Z16, Z4
	VFMADD231PS.BCST 8(R8), Z17, Z5
	VFMADD231PS.BCST 12(R8), Z16, Z6
	VFMADD231PS.BCST 12(R8), Z17, Z7
	VFMADD231PS.BCST 16(R8), Z16, Z8
	VFMADD231PS.BCST 16(R8), Z17, Z9
	VFMADD231PS.BCST 20(R8), Z16, Z10
	VFMADD231PS.BCST 20(R8), Z17, Z11
	VFMADD231PS.BCST 24(R8), Z16, Z12
	VFMADD231PS.BCST 24(R8), Z17, Z13
	VFMADD231PS.BCST 28(R8), Z16, Z14
	VFMADD231PS.BCST 28(R8), Z17, Z15
	ADDQ $32, R8
	ADDQ $4, DX
	DECQ AX
	JNZ dx5_j
	ADDQ R15, R9
	DECQ CX
	JNZ dx5_i
	MOVQ DI, DX
	VMOVUPS Z0, K1, (DX)
	VMOVUPS Z1, K2, 64(DX)
	ADDQ BX, DX
	VMOVUPS Z2, K1, (DX)
	VMOVUPS Z3, K2, 64(DX)
	ADDQ BX, DX
	VMOVUPS Z4, K1, (DX)
	VMOVUPS Z5, K2, 64(DX)
	ADDQ BX, DX
	VMOVUPS Z6, K1, (DX)
	VMOVUPS Z7, K2, 64(DX)
	ADDQ BX, DX
	VMOVUPS Z8, K1, (DX)
	VMOVUPS Z9, K2, 64(DX)
	ADDQ BX, DX
	VMOVUPS Z10, K1, (DX)
	VMOVUPS Z11, K2, 64(DX)
	ADDQ BX, DX
	VMOVUPS Z12, K1, (DX)
	VMOVUPS Z13, K2, 64(DX)
	ADDQ BX, DX
	VMOVUPS Z14, K1, (DX)
	VMOVUPS Z15, K2, 64(DX)
	ADDQ $32, R10
	ADDQ $128, DI
	ADDQ $128, SI
	CMPQ R10, ow+56(FP)
	JLT dx5_chunk
	MOVQ ow+56(FP), AX
	LEAQ (R12)(AX*4), R12
	ADDQ R15, R11
	DECQ R13
	JNZ dx5_row
dx5_done:
	VZEROUPPER
	RET

// func directAVX2(y *float32, ldy int, pp *float32, pw int, wt *float32, kh, kw, ow, oh int)
// directAVX512's convolution with 8 columns at a time (8 accumulators, one per
// kernel), the weights and biases already broadcast: wt[((i·kw+j)·8 + c)·8 + l].
// ow ≥ 8: the last 8 columns are done as a whole vector ending at the row's
// end (some computed twice, the same values), so nothing is masked and
// nothing is read or written past a row.
TEXT ·directAVX2(SB), NOSPLIT, $0-72
	MOVQ ldy+8(FP), BX
	SHLQ $2, BX
	MOVQ pw+24(FP), R15
	SHLQ $2, R15
	MOVQ kh+40(FP), AX
	IMULQ kw+48(FP), AX
	SHLQ $8, AX
	MOVQ wt+32(FP), R14
	ADDQ AX, R14            // the biases
	MOVQ y+0(FP), R12
	MOVQ pp+16(FP), R11
	MOVQ oh+64(FP), R13
	TESTQ R13, R13
	JZ dx2_done
dx2_row:
	XORQ R10, R10           // ox
dx2_chunk:
	MOVQ ow+56(FP), AX
	SUBQ $8, AX
	CMPQ R10, AX
	JLE dx2_at
	MOVQ AX, R10            // the last vector ends at the row's end
dx2_at:
	LEAQ (R12)(R10*4), DI
	LEAQ (R11)(R10*4), SI
	VMOVUPS 0(R14), Y0
	VMOVUPS 32(R14), Y1
	VMOVUPS 64(R14), Y2
	VMOVUPS 96(R14), Y3
	VMOVUPS 128(R14), Y4
	VMOVUPS 160(R14), Y5
	VMOVUPS 192(R14), Y6
	VMOVUPS 224(R14), Y7
	MOVQ wt+32(FP), R8
	MOVQ SI, R9
	MOVQ kh+40(FP), CX
dx2_i:
	MOVQ R9, DX
	MOVQ kw+48(FP), AX
dx2_j:
	VMOVUPS (DX), Y8
	VFMADD231PS 0(R8), Y8, Y0
	VFMADD231PS 32(R8), Y8, Y1
	VFMADD231PS 64(R8), Y8, Y2
	VFMADD231PS 96(R8), Y8, Y3
	VFMADD231PS 128(R8), Y8, Y4
	VFMADD231PS 160(R8), Y8, Y5
	VFMADD231PS 192(R8), Y8, Y6
	VFMADD231PS 224(R8), Y8, Y7
	ADDQ $256, R8
	ADDQ $4, DX
	DECQ AX
	JNZ dx2_j
	ADDQ R15, R9
	DECQ CX
	JNZ dx2_i
	MOVQ DI, DX
	VMOVUPS Y0, (DX)
	ADDQ BX, DX
	VMOVUPS Y1, (DX)
	ADDQ BX, DX
	VMOVUPS Y2, (DX)
	ADDQ BX, DX
	VMOVUPS Y3, (DX)
	ADDQ BX, DX
	VMOVUPS Y4, (DX)
	ADDQ BX, DX
	VMOVUPS Y5, (DX)
	ADDQ BX, DX
	VMOVUPS Y6, (DX)
	ADDQ BX, DX
	VMOVUPS Y7, (DX)
	ADDQ $8, R10
	CMPQ R10, ow+56(FP)
	JLT dx2_chunk
	MOVQ ow+56(FP), AX
	LEAQ (R12)(AX*4), R12
	ADDQ R15, R11
	DECQ R13
	JNZ dx2_row
dx2_done:
	VZEROUPPER
	RET

// func directAVX512W24(y *float32, ldy int, pp *float32, pw int, wt *float32, kh, kw, npairs int)
// directAVX512 for rows exactly 24 wide, two rows at a time: the 48 outputs
// of a row pair (contiguous in y) are three full vectors, the middle one
// taking the first row's last 8 inputs and the second row's first 8 (24
// accumulators: 8 kernels × 3 vectors), so no lane is masked off. Rows
// 2p and 2p+1 for p < npairs.
TEXT ·directAVX512W24(SB), NOSPLIT, $0-64
	MOVQ ldy+8(FP), BX
	SHLQ $2, BX
	MOVQ pw+24(FP), R15
	SHLQ $2, R15
	MOVQ kh+40(FP), AX
	IMULQ kw+48(FP), AX
	SHLQ $5, AX
	MOVQ wt+32(FP), R14
	ADDQ AX, R14            // the biases
	MOVQ y+0(FP), R12       // this row pair of y
	MOVQ pp+16(FP), R11     // its first row of pp
	MOVQ npairs+56(FP), R13
	TESTQ R13, R13
	JZ dw24_done
dw24_pair:
	VBROADCASTSS 0(R14), Z0
	VMOVAPS Z0, Z1
	VMOVAPS Z0, Z2
	VBROADCASTSS 4(R14), Z3
	VMOVAPS Z3, Z4
	VMOVAPS Z3, Z5
	VBROADCASTSS 8(R14), Z6
	VMOVAPS Z6, Z7
	VMOVAPS Z6, Z8
	VBROADCASTSS 12(R14), Z9
	VMOVAPS Z9, Z10
	VMOVAPS Z9, Z11
	VBROADCASTSS 16(R14), Z12
	VMOVAPS Z12, Z13
	VMOVAPS Z12, Z14
	VBROADCASTSS 20(R14), Z15
	VMOVAPS Z15, Z16
	VMOVAPS Z15, Z17
	VBROADCASTSS 24(R14), Z18
	VMOVAPS Z18, Z19
	VMOVAPS Z18, Z20
	VBROADCASTSS 28(R14), Z21
	VMOVAPS Z21, Z22
	VMOVAPS Z21, Z23
	MOVQ wt+32(FP), R8
	MOVQ R11, R9
	MOVQ kh+40(FP), CX
dw24_i:
	MOVQ R9, DX             // tap (i, j) of the first row
	LEAQ (R9)(R15*1), SI    // of the second
	MOVQ kw+48(FP), AX
dw24_j:
	VMOVUPS (DX), Z24
	VMOVUPS 64(DX), Y25
	VINSERTF32X8 $1, (SI), Z25, Z25
	VMOVUPS 32(SI), Z26
	VFMADD231PS.BCST 0(R8), Z24, Z0
	VFMADD231PS.BCST 0(R8), Z25, Z1
	VFMADD231PS.BCST 0(R8), Z26, Z2
	VFMADD231PS.BCST 4(R8), Z24, Z3
	VFMADD231PS.BCST 4(R8), Z25, Z4
	VFMADD231PS.BCST 4(R8), Z26, Z5
	VFMADD231PS.BCST 8(R8), Z24, Z6
	VFMADD231PS.BCST 8(R8), Z25, Z7
	VFMADD231PS.BCST 8(R8), Z26, Z8
	VFMADD231PS.BCST 12(R8), Z24, Z9
	VFMADD231PS.BCST 12(R8), Z25, Z10
	VFMADD231PS.BCST 12(R8), Z26, Z11
	VFMADD231PS.BCST 16(R8), Z24, Z12
	VFMADD231PS.BCST 16(R8), Z25, Z13
	VFMADD231PS.BCST 16(R8), Z26, Z14
	VFMADD231PS.BCST 20(R8), Z24, Z15
	VFMADD231PS.BCST 20(R8), Z25, Z16
	VFMADD231PS.BCST 20(R8), Z26, Z17
	VFMADD231PS.BCST 24(R8), Z24, Z18
	VFMADD231PS.BCST 24(R8), Z25, Z19
	VFMADD231PS.BCST 24(R8), Z26, Z20
	VFMADD231PS.BCST 28(R8), Z24, Z21
	VFMADD231PS.BCST 28(R8), Z25, Z22
	VFMADD231PS.BCST 28(R8), Z26, Z23
	ADDQ $32, R8
	ADDQ $4, DX
	ADDQ $4, SI
	DECQ AX
	JNZ dw24_j
	ADDQ R15, R9
	DECQ CX
	JNZ dw24_i
	MOVQ R12, DX
	VMOVUPS Z0, (DX)
	VMOVUPS Z1, 64(DX)
	VMOVUPS Z2, 128(DX)
	ADDQ BX, DX
	VMOVUPS Z3, (DX)
	VMOVUPS Z4, 64(DX)
	VMOVUPS Z5, 128(DX)
	ADDQ BX, DX
	VMOVUPS Z6, (DX)
	VMOVUPS Z7, 64(DX)
	VMOVUPS Z8, 128(DX)
	ADDQ BX, DX
	VMOVUPS Z9, (DX)
	VMOVUPS Z10, 64(DX)
	VMOVUPS Z11, 128(DX)
	ADDQ BX, DX
	VMOVUPS Z12, (DX)
	VMOVUPS Z13, 64(DX)
	VMOVUPS Z14, 128(DX)
	ADDQ BX, DX
	VMOVUPS Z15, (DX)
	VMOVUPS Z16, 64(DX)
	VMOVUPS Z17, 128(DX)
	ADDQ BX, DX
	VMOVUPS Z18, (DX)
	VMOVUPS Z19, 64(DX)
	VMOVUPS Z20, 128(DX)
	ADDQ BX, DX
	VMOVUPS Z21, (DX)
	VMOVUPS Z22, 64(DX)
	VMOVUPS Z23, 128(DX)
	ADDQ $192, R12          // two rows of 24
	LEAQ (R11)(R15*2), R11
	DECQ R13
	JNZ dw24_pair
dw24_done:
	VZEROUPPER
	RET
