//go:build !purego

#include "textflag.h"

// AVX2 row kernels of the Winograd F(2×2, 3×3) transforms (winograd.go has
// the same arithmetic in Go, winoInputRowGo and friends). Each works on one
// tile row of one channel, 8 tiles per vector; see winograd_amd64.go for
// what each may read and write beyond the tiles it was given.

// winoMask<>+32-4n is n lanes of -1 followed by zeros (n = 0..8).
DATA winoMask<>+0(SB)/4, $-1
DATA winoMask<>+4(SB)/4, $-1
DATA winoMask<>+8(SB)/4, $-1
DATA winoMask<>+12(SB)/4, $-1
DATA winoMask<>+16(SB)/4, $-1
DATA winoMask<>+20(SB)/4, $-1
DATA winoMask<>+24(SB)/4, $-1
DATA winoMask<>+28(SB)/4, $-1
DATA winoMask<>+32(SB)/4, $0
DATA winoMask<>+36(SB)/4, $0
DATA winoMask<>+40(SB)/4, $0
DATA winoMask<>+44(SB)/4, $0
DATA winoMask<>+48(SB)/4, $0
DATA winoMask<>+52(SB)/4, $0
DATA winoMask<>+56(SB)/4, $0
DATA winoMask<>+60(SB)/4, $0
GLOBL winoMask<>(SB), RODATA|NOPTR, $64

// func winoInputAVX2(out *float32, vs int, rows *float32, sw, nblk, nty, tx int)
// V = Bᵀ d B of nty tile rows of 8·nblk tiles each: tile row r reads the
// 4 padded rows of sw floats (even columns, then odd: E at 0, O at sw/2)
// at rows + 2r·sw, and writes out[ξ·vs + r·tx + j] for j < 8·nblk.
TEXT ·winoInputAVX2(SB), NOSPLIT, $0-56
	MOVQ vs+8(FP), R10
	SHLQ $2, R10              // ξ stride in bytes
	MOVQ sw+24(FP), R8
	MOVQ R8, R9
	SHLQ $1, R9               // hw·4 = sw·2 bytes: where O starts
	SHLQ $2, R8               // row stride in bytes
	LEAQ (R8)(R8*2), R11      // 3 rows
	MOVQ R10, R12
	SHLQ $2, R12              // 4 ξ
	LEAQ (R10)(R10*2), R13    // 3 ξ
	LEAQ (R12)(R12*2), R14    // 12 ξ
	MOVQ nty+40(FP), AX
	MOVQ tx+48(FP), R15
	SHLQ $2, R15              // a tile row of out, in bytes
	TESTQ AX, AX
	JZ wi_done
wi_row:
	MOVQ out+0(FP), DI
	MOVQ rows+16(FP), SI
	LEAQ (SI)(R9*1), BX       // O of row 0
	MOVQ nblk+32(FP), CX
	TESTQ CX, CX
	JZ wi_next
wi_loop:
	// r1 and r2 at E[j], E[j+1], O[j], O[j+1]
	VMOVUPS (SI)(R8*1), Y0
	VMOVUPS 4(SI)(R8*1), Y1
	VMOVUPS (BX)(R8*1), Y2
	VMOVUPS 4(BX)(R8*1), Y3
	VMOVUPS (SI)(R8*2), Y4
	VMOVUPS 4(SI)(R8*2), Y5
	VMOVUPS (BX)(R8*2), Y6
	VMOVUPS 4(BX)(R8*2), Y7
	// e1 = r1 + r2: ξ 4..7
	VADDPS Y4, Y0, Y8
	VADDPS Y5, Y1, Y9
	VADDPS Y6, Y2, Y10
	VADDPS Y7, Y3, Y11
	LEAQ (DI)(R12*1), DX
	VSUBPS Y9, Y8, Y12
	VADDPS Y9, Y10, Y13
	VSUBPS Y10, Y9, Y14
	VSUBPS Y11, Y10, Y15
	VMOVUPS Y12, (DX)
	VMOVUPS Y13, (DX)(R10*1)
	VMOVUPS Y14, (DX)(R10*2)
	VMOVUPS Y15, (DX)(R13*1)
	// e2 = r2 - r1: ξ 8..11
	VSUBPS Y0, Y4, Y8
	VSUBPS Y1, Y5, Y9
	VSUBPS Y2, Y6, Y10
	VSUBPS Y3, Y7, Y11
	LEAQ (DI)(R12*2), DX
	VSUBPS Y9, Y8, Y12
	VADDPS Y9, Y10, Y13
	VSUBPS Y10, Y9, Y14
	VSUBPS Y11, Y10, Y15
	VMOVUPS Y12, (DX)
	VMOVUPS Y13, (DX)(R10*1)
	VMOVUPS Y14, (DX)(R10*2)
	VMOVUPS Y15, (DX)(R13*1)
	// e0 = r0 - r2: ξ 0..3
	VMOVUPS (SI), Y8
	VMOVUPS 4(SI), Y9
	VMOVUPS (BX), Y10
	VMOVUPS 4(BX), Y11
	VSUBPS Y4, Y8, Y8
	VSUBPS Y5, Y9, Y9
	VSUBPS Y6, Y10, Y10
	VSUBPS Y7, Y11, Y11
	VSUBPS Y9, Y8, Y12
	VADDPS Y9, Y10, Y13
	VSUBPS Y10, Y9, Y14
	VSUBPS Y11, Y10, Y15
	VMOVUPS Y12, (DI)
	VMOVUPS Y13, (DI)(R10*1)
	VMOVUPS Y14, (DI)(R10*2)
	VMOVUPS Y15, (DI)(R13*1)
	// e3 = r1 - r3: ξ 12..15
	VSUBPS (SI)(R11*1), Y0, Y8
	VSUBPS 4(SI)(R11*1), Y1, Y9
	VSUBPS (BX)(R11*1), Y2, Y10
	VSUBPS 4(BX)(R11*1), Y3, Y11
	LEAQ (DI)(R14*1), DX
	VSUBPS Y9, Y8, Y12
	VADDPS Y9, Y10, Y13
	VSUBPS Y10, Y9, Y14
	VSUBPS Y11, Y10, Y15
	VMOVUPS Y12, (DX)
	VMOVUPS Y13, (DX)(R10*1)
	VMOVUPS Y14, (DX)(R10*2)
	VMOVUPS Y15, (DX)(R13*1)
	ADDQ $32, SI
	ADDQ $32, BX
	ADDQ $32, DI
	DECQ CX
	JNZ wi_loop
wi_next:
	ADDQ R15, out+0(FP)
	MOVQ rows+16(FP), SI
	LEAQ (SI)(R8*2), SI
	MOVQ SI, rows+16(FP)
	DECQ AX
	JNZ wi_row
wi_done:
	VZEROUPPER
	RET

// func winoOutputAVX2(y, m *float32, ms int, bias float32, nblk, nty, ow, oh, tx, ylen int)
// Y = Aᵀ M A + bias of nty tile rows of 8·nblk tiles, M[ξ] of tile row r,
// tile j at m[ξ·ms + r·tx + j], to the oh×ow plane y: rows 2r and 2r+1
// (when < oh). The blocks of a tile row go last to first, in whole
// vectors: a row's last vector may write up to 15 values past the row,
// into the rows after it, which are written after it (the tile row's
// second row, then its blocks down to the first; later tile rows; later
// planes), as long as they lie within y's first ylen values; a last
// vector that would pass those is masked.
TEXT ·winoOutputAVX2(SB), NOSPLIT, $0-80
	MOVQ y+0(FP), R11
	MOVQ ylen+72(FP), R8
	LEAQ (R11)(R8*4), R11     // the end of what may be written
	MOVQ ms+16(FP), R10
	SHLQ $2, R10              // ξ stride in bytes
	VBROADCASTSS bias+24(FP), Y15
	MOVQ R10, R12
	SHLQ $2, R12              // 4 ξ
	LEAQ (R10)(R10*2), R14    // 3 ξ
	LEAQ (R12)(R12*2), R15    // 12 ξ
	MOVQ nty+40(FP), BX
	TESTQ BX, BX
	JZ wo_done
wo_row:
	MOVQ nblk+32(FP), CX
	TESTQ CX, CX
	JZ wo_nextrow
	// start at the last block: values left from it (AX), its pointers
	MOVQ CX, DX
	DECQ DX                   // nblk-1
	MOVQ ow+48(FP), AX
	MOVQ DX, R8
	SHLQ $4, R8
	SUBQ R8, AX               // ow - 16(nblk-1)
	MOVQ y+0(FP), DI
	MOVQ ow+48(FP), R8
	LEAQ (DI)(R8*4), R13      // the second row
	CMPQ BX, $1
	JNE wo_two
	MOVQ oh+56(FP), R8
	TESTQ $1, R8
	JZ wo_two
	XORQ R13, R13             // the last tile row of an odd-height plane has one row
wo_two:
	MOVQ DX, R8
	SHLQ $6, R8               // 64 bytes of y per block
	ADDQ R8, DI
	TESTQ R13, R13
	JZ wo_r1
	ADDQ R8, R13
wo_r1:
	MOVQ m+8(FP), SI
	SHLQ $5, DX               // 32 bytes of m per block
	ADDQ DX, SI
wo_loop:
	// s0_c = m0c + m1c + m2c (Y4..Y7), s1_c = m1c - m2c - m3c (Y8..Y11)
	MOVQ SI, DX
	VMOVUPS (DX), Y0
	VMOVUPS (DX)(R12*1), Y1
	VMOVUPS (DX)(R12*2), Y2
	VMOVUPS (DX)(R15*1), Y3
	VADDPS Y1, Y0, Y0
	VADDPS Y2, Y0, Y4
	VSUBPS Y2, Y1, Y1
	VSUBPS Y3, Y1, Y8
	LEAQ (SI)(R10*1), DX
	VMOVUPS (DX), Y0
	VMOVUPS (DX)(R12*1), Y1
	VMOVUPS (DX)(R12*2), Y2
	VMOVUPS (DX)(R15*1), Y3
	VADDPS Y1, Y0, Y0
	VADDPS Y2, Y0, Y5
	VSUBPS Y2, Y1, Y1
	VSUBPS Y3, Y1, Y9
	LEAQ (SI)(R10*2), DX
	VMOVUPS (DX), Y0
	VMOVUPS (DX)(R12*1), Y1
	VMOVUPS (DX)(R12*2), Y2
	VMOVUPS (DX)(R15*1), Y3
	VADDPS Y1, Y0, Y0
	VADDPS Y2, Y0, Y6
	VSUBPS Y2, Y1, Y1
	VSUBPS Y3, Y1, Y10
	LEAQ (SI)(R14*1), DX
	VMOVUPS (DX), Y0
	VMOVUPS (DX)(R12*1), Y1
	VMOVUPS (DX)(R12*2), Y2
	VMOVUPS (DX)(R15*1), Y3
	VADDPS Y1, Y0, Y0
	VADDPS Y2, Y0, Y7
	VSUBPS Y2, Y1, Y1
	VSUBPS Y3, Y1, Y11
	// y00 (Y12), y01 (Y13), y10 (Y14), y11 (Y4)
	VADDPS Y5, Y4, Y12
	VADDPS Y6, Y12, Y12
	VADDPS Y15, Y12, Y12
	VSUBPS Y6, Y5, Y13
	VSUBPS Y7, Y13, Y13
	VADDPS Y15, Y13, Y13
	VADDPS Y9, Y8, Y14
	VADDPS Y10, Y14, Y14
	VADDPS Y15, Y14, Y14
	VSUBPS Y10, Y9, Y4
	VSUBPS Y11, Y4, Y4
	VADDPS Y15, Y4, Y4
	// interleave: row 0 in Y0 (columns 0..7), Y1 (8..15); row 1 in Y2, Y3
	VUNPCKLPS Y13, Y12, Y5
	VUNPCKHPS Y13, Y12, Y6
	VPERM2F128 $0x20, Y6, Y5, Y0
	VPERM2F128 $0x31, Y6, Y5, Y1
	VUNPCKLPS Y4, Y14, Y5
	VUNPCKHPS Y4, Y14, Y6
	VPERM2F128 $0x20, Y6, Y5, Y2
	VPERM2F128 $0x31, Y6, Y5, Y3
	CMPQ AX, $16
	JGE wo_full
	// the row's last block, with fewer than 16 values in the row: masks of
	// min(AX, 8) and max(AX-8, 0) lanes (Y5, Y6) for a vector that would
	// pass the end
	MOVQ AX, R8
	CMPQ R8, $8
	JLE wo_m0
	MOVQ $8, R8
wo_m0:
	LEAQ winoMask<>+32(SB), R9
	SHLQ $2, R8
	SUBQ R8, R9
	VMOVDQU (R9), Y5
	MOVQ AX, R8
	SUBQ $8, R8
	JGE wo_m1
	XORQ R8, R8
wo_m1:
	LEAQ winoMask<>+32(SB), R9
	SHLQ $2, R8
	SUBQ R8, R9
	VMOVDQU (R9), Y6
	LEAQ 64(DI), R8
	CMPQ R8, R11
	JA wo_mask0
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	JMP wo_row1
wo_mask0:
	VMASKMOVPS Y0, Y5, (DI)
	VMASKMOVPS Y1, Y6, 32(DI)
wo_row1:
	TESTQ R13, R13
	JZ wo_next
	LEAQ 64(R13), R8
	CMPQ R8, R11
	JA wo_mask1
	VMOVUPS Y2, (R13)
	VMOVUPS Y3, 32(R13)
	JMP wo_next
wo_mask1:
	VMASKMOVPS Y2, Y5, (R13)
	VMASKMOVPS Y3, Y6, 32(R13)
	JMP wo_next
wo_full:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	TESTQ R13, R13
	JZ wo_next
	VMOVUPS Y2, (R13)
	VMOVUPS Y3, 32(R13)
wo_next:
	SUBQ $32, SI
	SUBQ $64, DI
	TESTQ R13, R13
	JZ wo_skip1
	SUBQ $64, R13
wo_skip1:
	ADDQ $16, AX
	DECQ CX
	JNZ wo_loop
wo_nextrow:
	MOVQ ow+48(FP), AX
	SHLQ $3, AX               // two rows of y
	ADDQ AX, y+0(FP)
	MOVQ tx+64(FP), AX
	SHLQ $2, AX
	ADDQ AX, m+8(FP)
	DECQ BX
	JNZ wo_row
wo_done:
	VZEROUPPER
	RET

// func winoGradAVX2(out *float32, vs int, d00, d01 *float32, sw, nblk, nty, tx int)
// dM = A dY Aᵀ of nty tile rows of 8·nblk tiles: tile j of tile row r has
// dY d00[q+j] d01[q+j] / d00[q+sw+j] d01[q+sw+j], q = 2r·sw (rows of the
// padded, even/odd-split dY); out[ξ·vs + r·tx + j].
TEXT ·winoGradAVX2(SB), NOSPLIT, $0-64
	MOVQ vs+8(FP), R10
	SHLQ $2, R10
	MOVQ sw+32(FP), R13
	SHLQ $2, R13              // row stride in bytes
	MOVQ R10, R12
	SHLQ $2, R12              // 4 ξ
	LEAQ (R10)(R10*2), R11    // 3 ξ
	LEAQ (R12)(R12*2), R14    // 12 ξ
	VXORPS Y15, Y15, Y15
	MOVQ nty+48(FP), AX
	TESTQ AX, AX
	JZ wg_done
wg_row:
	MOVQ out+0(FP), DI
	MOVQ d00+16(FP), SI
	MOVQ d01+24(FP), BX
	LEAQ (SI)(R13*1), R8
	LEAQ (BX)(R13*1), R9
	MOVQ nblk+40(FP), CX
	TESTQ CX, CX
	JZ wg_next
wg_loop:
	VMOVUPS (SI), Y2
	VMOVUPS (BX), Y3
	VMOVUPS (R8), Y4
	VMOVUPS (R9), Y5
	// rows of A dY: (a, b) = (d00, d01), (d00+d10, d01+d11), (d00-d10, d01-d11), (-d10, -d11);
	// each gives a, a+b, a-b, -b at ξ = 4i..4i+3
	VADDPS Y3, Y2, Y8
	VSUBPS Y3, Y2, Y9
	VSUBPS Y3, Y15, Y10
	VMOVUPS Y2, (DI)
	VMOVUPS Y8, (DI)(R10*1)
	VMOVUPS Y9, (DI)(R10*2)
	VMOVUPS Y10, (DI)(R11*1)
	VADDPS Y4, Y2, Y0
	VADDPS Y5, Y3, Y1
	LEAQ (DI)(R12*1), DX
	VADDPS Y1, Y0, Y8
	VSUBPS Y1, Y0, Y9
	VSUBPS Y1, Y15, Y10
	VMOVUPS Y0, (DX)
	VMOVUPS Y8, (DX)(R10*1)
	VMOVUPS Y9, (DX)(R10*2)
	VMOVUPS Y10, (DX)(R11*1)
	VSUBPS Y4, Y2, Y0
	VSUBPS Y5, Y3, Y1
	LEAQ (DI)(R12*2), DX
	VADDPS Y1, Y0, Y8
	VSUBPS Y1, Y0, Y9
	VSUBPS Y1, Y15, Y10
	VMOVUPS Y0, (DX)
	VMOVUPS Y8, (DX)(R10*1)
	VMOVUPS Y9, (DX)(R10*2)
	VMOVUPS Y10, (DX)(R11*1)
	VSUBPS Y4, Y15, Y0
	VSUBPS Y5, Y15, Y1
	LEAQ (DI)(R14*1), DX
	VADDPS Y1, Y0, Y8
	VSUBPS Y1, Y0, Y9
	VMOVUPS Y0, (DX)
	VMOVUPS Y8, (DX)(R10*1)
	VMOVUPS Y9, (DX)(R10*2)
	VMOVUPS Y5, (DX)(R11*1)
	ADDQ $32, SI
	ADDQ $32, BX
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, DI
	DECQ CX
	JNZ wg_loop
wg_next:
	MOVQ tx+56(FP), DX
	SHLQ $2, DX
	ADDQ DX, out+0(FP)
	MOVQ R13, DX
	SHLQ $1, DX
	ADDQ DX, d00+16(FP)
	ADDQ DX, d01+24(FP)
	DECQ AX
	JNZ wg_row
wg_done:
	VZEROUPPER
	RET

// func winoPadAVX2(dst, src *float32, nrows, srcW, sw, off1, sx1, off2, sx2 int)
// For each of nrows rows (src rows srcW apart, dst rows sw apart), two
// passes: dst[off1+i] = src[sx1+2i] for sx1+2i < srcW, then the same with
// off2, sx2 (sx 0: the even-indexed values, 1: the odd ones). It reads
// whole vectors of 16 values (a row's last ones masked to zero after the
// load: it may read up to 16 values past a row) and writes whole vectors
// of 8: up to 7 zeros past the last value of a pass.
// winoPadSIMD orders the passes so that those zeros land only where a value
// is written after them, or on the planes' zero border.
TEXT ·winoPadAVX2(SB), NOSPLIT, $0-72
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ nrows+16(FP), CX
	MOVQ srcW+24(FP), R8
	MOVQ sw+32(FP), R9
	SHLQ $2, R9
	MOVQ off1+40(FP), R10
	SHLQ $2, R10
	MOVQ off2+56(FP), R11
	SHLQ $2, R11
	// values per pass (n = srcW - sx), their full 16-value chunks, and the
	// masks for the rest: pass 1 (AX, R13, Y12, Y13), pass 2 (DX, R14, Y14, Y15)
	MOVQ R8, AX
	SUBQ sx1+48(FP), AX
	MOVQ R8, DX
	SUBQ sx2+64(FP), DX
	MOVQ AX, R13
	SHRQ $4, R13
	MOVQ DX, R14
	SHRQ $4, R14
	MOVQ AX, R12
	ANDQ $15, R12
	MOVQ R12, R15
	CMPQ R15, $8
	JLE wp_m1_a
	MOVQ $8, R15
wp_m1_a:
	LEAQ winoMask<>+32(SB), BX
	SHLQ $2, R15
	SUBQ R15, BX
	VMOVDQU (BX), Y12
	MOVQ R12, R15
	SUBQ $8, R15
	JGE wp_m1_b
	XORQ R15, R15
wp_m1_b:
	LEAQ winoMask<>+32(SB), BX
	SHLQ $2, R15
	SUBQ R15, BX
	VMOVDQU (BX), Y13
	MOVQ DX, R12
	ANDQ $15, R12
	MOVQ R12, R15
	CMPQ R15, $8
	JLE wp_m2_a
	MOVQ $8, R15
wp_m2_a:
	LEAQ winoMask<>+32(SB), BX
	SHLQ $2, R15
	SUBQ R15, BX
	VMOVDQU (BX), Y14
	MOVQ R12, R15
	SUBQ $8, R15
	JGE wp_m2_b
	XORQ R15, R15
wp_m2_b:
	LEAQ winoMask<>+32(SB), BX
	SHLQ $2, R15
	SUBQ R15, BX
	VMOVDQU (BX), Y15
	TESTQ CX, CX
	JZ wp_done
wp_row:
	MOVQ sx1+48(FP), R15
	LEAQ (SI)(R15*4), R15
	LEAQ (DI)(R10*1), BX
	MOVQ R13, R12
	TESTQ R12, R12
	JZ wp_p1_tail
wp_p1_chunk:
	VMOVUPS (R15), Y0
	VSHUFPS $0x88, 32(R15), Y0, Y2
	VPERMPD $0xD8, Y2, Y2
	VMOVUPS Y2, (BX)
	ADDQ $64, R15
	ADDQ $32, BX
	DECQ R12
	JNZ wp_p1_chunk
wp_p1_tail:
	MOVQ AX, R12
	ANDQ $15, R12
	JZ wp_p1_end
	VANDPS (R15), Y12, Y0
	VANDPS 32(R15), Y13, Y1
	VSHUFPS $0x88, Y1, Y0, Y2
	VPERMPD $0xD8, Y2, Y2
	VMOVUPS Y2, (BX)
wp_p1_end:
	MOVQ sx2+64(FP), R15
	LEAQ (SI)(R15*4), R15
	LEAQ (DI)(R11*1), BX
	MOVQ R14, R12
	TESTQ R12, R12
	JZ wp_p2_tail
wp_p2_chunk:
	VMOVUPS (R15), Y0
	VSHUFPS $0x88, 32(R15), Y0, Y2
	VPERMPD $0xD8, Y2, Y2
	VMOVUPS Y2, (BX)
	ADDQ $64, R15
	ADDQ $32, BX
	DECQ R12
	JNZ wp_p2_chunk
wp_p2_tail:
	MOVQ DX, R12
	ANDQ $15, R12
	JZ wp_p2_end
	VANDPS (R15), Y14, Y0
	VANDPS 32(R15), Y15, Y1
	VSHUFPS $0x88, Y1, Y0, Y2
	VPERMPD $0xD8, Y2, Y2
	VMOVUPS Y2, (BX)
wp_p2_end:
	LEAQ (SI)(R8*4), SI
	ADDQ R9, DI
	DECQ CX
	JNZ wp_row
wp_done:
	VZEROUPPER
	RET

// func transposeAVX2(dst, src *float32, ld, dld, nblk int)
// 8×8 blocks: dst[(8q+i)·dld + o] = src[o·ld + 8q + i] for q < nblk,
// i, o < 8.
TEXT ·transposeAVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R8
	SHLQ $2, R8
	MOVQ dld+24(FP), R10
	SHLQ $2, R10
	MOVQ nblk+32(FP), CX
	TESTQ CX, CX
	JZ tt_done
	LEAQ (R8)(R8*2), R9
	LEAQ (R10)(R10*2), R11
tt_loop:
	MOVQ SI, DX
	VMOVUPS (DX), Y0
	VMOVUPS (DX)(R8*1), Y1
	VMOVUPS (DX)(R8*2), Y2
	VMOVUPS (DX)(R9*1), Y3
	LEAQ (DX)(R8*4), DX
	VMOVUPS (DX), Y4
	VMOVUPS (DX)(R8*1), Y5
	VMOVUPS (DX)(R8*2), Y6
	VMOVUPS (DX)(R9*1), Y7
	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15
	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7
	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15
	VMOVUPS Y8, (DI)
	VMOVUPS Y9, (DI)(R10*1)
	VMOVUPS Y10, (DI)(R10*2)
	VMOVUPS Y11, (DI)(R11*1)
	LEAQ (DI)(R10*4), DX
	VMOVUPS Y12, (DX)
	VMOVUPS Y13, (DX)(R10*1)
	VMOVUPS Y14, (DX)(R10*2)
	VMOVUPS Y15, (DX)(R11*1)
	ADDQ $32, SI
	LEAQ (DI)(R10*8), DI
	DECQ CX
	JNZ tt_loop
tt_done:
	VZEROUPPER
	RET
