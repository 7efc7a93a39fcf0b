package dev.trapdoor.cpu;

import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.vmx.ExitReason;
import dev.trapdoor.vmx.ProcBased;
import dev.trapdoor.vmx.Vmcs;

import static dev.trapdoor.cpu.Ops.*;

/**
 * Executes one decoded instruction: the dispatch on the row's handler number, split by family
 * into methods small enough for the JIT. Undefined rows, and rows whose handler is not written
 * yet, raise #UD in the guest.
 */
abstract class Exec extends SystemOps {

    Exec(PhysicalMemory memory, Vmcs vmcs) {
        super(memory, vmcs);
    }

    final void execute(Insn i) {
        switch (i.op) {
            // The most frequent forms get small methods the JIT can inline into this switch.
            case ALU_EG -> aluEG(i);
            case ALU_GE -> aluGE(i);
            case ALU_EI -> aluEI(i);
            case MOV_EG -> writeE(i, i.size, getReg(i.reg, i.size));
            case MOV_GE -> setReg(i.reg, i.size, readE(i, i.size));
            case MOV_ZI -> setReg(i.rm, i.size, i.imm);
            case INC_Z -> setReg(i.rm, i.size, inc(getReg(i.rm, i.size), i.size));
            case DEC_Z -> setReg(i.rm, i.size, dec(getReg(i.rm, i.size), i.size));
            case JCC -> {
                if (cond(i.sub)) jumpNear(eip + i.imm, i.osize);
            }
            case JMP_REL -> jumpNear(eip + i.imm, i.osize);
            case PUSH_Z -> push(getReg(i.rm, i.osize), i.osize);
            case LEA -> setReg(i.reg, i.osize, ea(i));
            case TEST_EG, TEST_EI, INCDEC_E, NOT, NEG, MULDIV, IMUL_GE, IMUL_GEI,
                 SHIFT, SHXD, BT, BT_I, BSF, BSR, CMPXCHG, XADD, BCD -> arith(i);
            case MOV_EI, MOV_AO, MOV_OA, MOV_ES, MOV_SE, MOVZX, MOVSX, XCHG_EG, XCHG_AZ,
                 CBW, CWD, XLAT, BSWAP, CMOVCC, SETCC, LXS, SAHF, LAHF -> data(i);
            case NOP -> {
                // F3 90 is PAUSE (SDM Vol. 2); with PAUSE exiting it exits (SDM 26.1.3). PAUSE-loop exiting is not modelled.
                if (i.rep == 0xf3 && i.row == OpcodeTable.oneByte(0x90) && procControl(ProcBased.PAUSE_EXITING))
                    instructionExit(ExitReason.PAUSE, i, 0);
            }
            case POP_Z, PUSH_I, PUSH_E, POP_E, PUSH_S, POP_S, PUSHF, POPF, PUSHA, POPA, ENTER, LEAVE -> stack(i);
            case JMP_E, JMP_FAR, JMP_FAR_M, CALL_REL, CALL_E, CALL_FAR, CALL_FAR_M, RET, RETF, LOOP, JCXZ,
                 INT, INT3, INTO, IRET -> control(i);
            case STRING -> string(i);
            case INS -> stringIo(i, true);
            case OUTS -> stringIo(i, false);
            case IN_I -> portIo(i, i.imm & 0xff, true, true);
            case IN_D -> portIo(i, gpr[EDX] & 0xffff, true, false);
            case OUT_I -> portIo(i, i.imm & 0xff, false, true);
            case OUT_D -> portIo(i, gpr[EDX] & 0xffff, false, false);
            default -> system(i);
        }
    }

    private void arith(Insn i) {
        int size = i.size;
        switch (i.op) {
            case TEST_EG -> alu(4, readE(i, size), getReg(i.reg, size), size);
            case TEST_EI -> alu(4, i.mem ? readE(i, size) : getReg(i.rm, size), i.imm, size);
            case INCDEC_E, NOT, NEG -> unary(i, size);
            case MULDIV -> mulDiv(i.sub, readE(i, size), size);
            case IMUL_GE -> setReg(i.reg, size, imul(getReg(i.reg, size), readE(i, size), size));
            case IMUL_GEI -> setReg(i.reg, size, imul(readE(i, size), i.imm, size));
            case SHIFT -> {
                Operand countOp = i.row.operands[1];
                int count = countOp == Operand.ONE ? 1 : countOp == Operand.CL ? gpr[ECX] & 0xff : i.imm;
                if (i.mod == 3) {
                    setReg(i.rm, size, shift(i.sub, getReg(i.rm, size), count, size));
                } else {
                    int a = ea(i);
                    int v = read(i.seg, a, size);
                    write(i.seg, a, size, shift(i.sub, v, count, size));
                }
            }
            case SHXD -> {
                int count = i.row.operands[2] == Operand.CL ? gpr[ECX] : i.imm;
                int a = i.mod == 3 ? 0 : ea(i);
                int v = i.mod == 3 ? getReg(i.rm, size) : read(i.seg, a, size);
                int r = shiftDouble(i.sub == 0, v, getReg(i.reg, size), count, size);
                if (i.mod == 3) setReg(i.rm, size, r);
                else write(i.seg, a, size, r);
            }
            case BT, BT_I -> bitTest(i, size);
            case BCD -> bcd(i.sub, i.imm & 0xff);
            case BSF, BSR -> {
                int v = readE(i, size) & mask(size);
                if (v == 0) {
                    setArith(ZF, ZF);
                } else {
                    setReg(i.reg, size, i.op == BSF ? Integer.numberOfTrailingZeros(v) : 31 - Integer.numberOfLeadingZeros(v));
                    setArith(ZF, 0);
                }
            }
            case CMPXCHG -> {
                int a = i.mod == 3 ? 0 : ea(i);
                int v = i.mod == 3 ? getReg(i.rm, size) : read(i.seg, a, size);
                alu(7, gpr[EAX], v, size);
                boolean equal = (((gpr[EAX] ^ v) & mask(size)) == 0);
                // The destination is written in either case (SDM Vol. 2, CMPXCHG): the old value when unequal.
                int w = equal ? getReg(i.reg, size) : v;
                if (i.mod == 3) setReg(i.rm, size, w);
                else write(i.seg, a, size, w);
                if (!equal) setReg(EAX, size, v);
            }
            default -> { // XADD
                int a = i.mod == 3 ? 0 : ea(i);
                int v = i.mod == 3 ? getReg(i.rm, size) : read(i.seg, a, size);
                int r = alu(0, v, getReg(i.reg, size), size);
                if (i.mod == 3) {
                    setReg(i.reg, size, v);
                    setReg(i.rm, size, r);
                } else {
                    write(i.seg, a, size, r);
                    setReg(i.reg, size, v);
                }
            }
        }
    }

    private void aluEG(Insn i) {
        int size = i.size;
        if (i.mod == 3) {
            int r = alu(i.sub, getReg(i.rm, size), getReg(i.reg, size), size);
            if (i.sub != 7) setReg(i.rm, size, r);
        } else {
            int a = ea(i);
            int r = alu(i.sub, read(i.seg, a, size), getReg(i.reg, size), size);
            if (i.sub != 7) write(i.seg, a, size, r);
        }
    }

    private void aluGE(Insn i) {
        int size = i.size;
        int r = alu(i.sub, getReg(i.reg, size), readE(i, size), size);
        if (i.sub != 7) setReg(i.reg, size, r);
    }

    private void aluEI(Insn i) {
        int size = i.size;
        if (!i.mem) {
            int r = alu(i.sub, getReg(i.rm, size), i.imm, size);
            if (i.sub != 7) setReg(i.rm, size, r);
        } else {
            int a = ea(i);
            int r = alu(i.sub, read(i.seg, a, size), i.imm, size);
            if (i.sub != 7) write(i.seg, a, size, r);
        }
    }

    /** DAA, DAS, AAA, AAS, AAM, AAD as the SDM's Operation sections give them (OF is undefined: cleared). */
    private void bcd(int op, int imm) {
        int al = gpr[EAX] & 0xff;
        boolean cf = cf(), af = af();
        switch (op) {
            case 0, 1 -> {
                boolean newCf = false, newAf = false;
                int v = al;
                if ((al & 0xf) > 9 || af) {
                    newCf = cf || (op == 0 ? v + 6 > 0xff : v < 6);
                    v = op == 0 ? v + 6 : v - 6;
                    newAf = true;
                }
                if (al > 0x99 || cf) {
                    v = op == 0 ? v + 0x60 : v - 0x60;
                    newCf = true;
                }
                setReg(EAX, 1, v);
                setResultFlags(v & 0xff, 1, newCf, false);
                if (newAf) lfAux |= AF;
            }
            case 2, 3 -> {
                boolean adjust = (al & 0xf) > 9 || af;
                if (adjust) {
                    if (op == 2) {
                        setReg(EAX, 2, gpr[EAX] + 0x106);
                    } else {
                        setReg(EAX, 2, gpr[EAX] - 6);
                        setReg(4, 1, (gpr[EAX] >>> 8) - 1);
                    }
                }
                setReg(EAX, 1, gpr[EAX] & 0xf);
                setResultFlags(gpr[EAX] & 0xff, 1, adjust, false);
                if (adjust) lfAux |= AF;
            }
            case 4 -> {
                if (imm == 0) throw fault(0, -1);
                int r = al % imm;
                setReg(EAX, 2, ((al / imm) << 8) | r);
                setResultFlags(r, 1, false, false);
            }
            default -> {
                int r = (al + ((gpr[EAX] >>> 8) & 0xff) * imm) & 0xff;
                setReg(EAX, 2, r);
                setResultFlags(r, 1, false, false);
            }
        }
    }

    private void unary(Insn i, int size) {
        int a = i.mod == 3 ? 0 : ea(i);
        int v = i.mod == 3 ? getReg(i.rm, size) : read(i.seg, a, size);
        int r = switch (i.op) {
            case INCDEC_E -> i.sub == 0 ? inc(v, size) : dec(v, size);
            case NOT -> ~v;
            default -> alu(5, 0, v, size);
        };
        if (i.mod == 3) setReg(i.rm, size, r);
        else write(i.seg, a, size, r);
    }

    /** BT/BTS/BTR/BTC: a register bit offset reaches beyond the operand in memory (SDM Vol. 2, BT). */
    private void bitTest(Insn i, int size) {
        int bits = size * 8;
        int offset = i.op == BT_I ? i.imm & (bits - 1) : getReg(i.reg, size);
        int v, a = 0;
        if (i.mod == 3) {
            offset &= bits - 1;
            v = getReg(i.rm, size);
        } else {
            a = ea(i);
            if (i.op == BT) {
                int sOff = signExtend(offset, size);
                a += (sOff >> (size == 2 ? 4 : 5)) * size;
                if (i.asize == 2) a &= 0xffff;
                offset = sOff & (bits - 1);
            }
            v = read(i.seg, a, size);
        }
        boolean bit = ((v >>> offset) & 1) != 0;
        setArith(CF, bit ? CF : 0);
        if (i.sub == 0) return;
        int r = switch (i.sub) {
            case 1 -> v | (1 << offset);
            case 2 -> v & ~(1 << offset);
            default -> v ^ (1 << offset);
        };
        if (i.mod == 3) setReg(i.rm, size, r);
        else write(i.seg, a, size, r);
    }

    private void data(Insn i) {
        int size = i.size;
        switch (i.op) {
            case MOV_EI -> writeE(i, size, i.imm);
            case MOV_AO -> setReg(EAX, size, read(i.seg, ea(i), size));
            case MOV_OA -> write(i.seg, ea(i), size, gpr[EAX]);
            case MOV_ES -> {
                if (i.reg > 5) throw ud();
                // To memory always 16 bits; to a register the selector zero-extended to the operand size.
                if (i.mod == 3) setReg(i.rm, i.osize, segSel[i.reg]);
                else write16(i.seg, ea(i), segSel[i.reg]);
            }
            case MOV_SE -> {
                if (i.reg > 5 || i.reg == CS) throw ud();
                loadSegment(i.reg, readE(i, 2));
                if (i.reg == SS) blockByMovSs();
            }
            case MOVZX -> setReg(i.reg, i.osize, readE(i, i.sub) & mask(i.sub));
            case MOVSX -> setReg(i.reg, i.osize, signExtend(readE(i, i.sub), i.sub));
            case XCHG_EG -> {
                if (i.mod == 3) {
                    int t = getReg(i.rm, size);
                    setReg(i.rm, size, getReg(i.reg, size));
                    setReg(i.reg, size, t);
                } else {
                    int a = ea(i);
                    int t = read(i.seg, a, size);
                    write(i.seg, a, size, getReg(i.reg, size));
                    setReg(i.reg, size, t);
                }
            }
            case XCHG_AZ -> {
                int t = getReg(i.rm, size);
                setReg(i.rm, size, getReg(EAX, size));
                setReg(EAX, size, t);
            }
            case CBW -> setReg(EAX, i.osize, i.osize == 2 ? (byte) gpr[EAX] : (short) gpr[EAX]);
            case CWD -> setReg(EDX, i.osize, i.osize == 2 ? ((short) gpr[EAX]) >> 15 : gpr[EAX] >> 31);
            case XLAT -> {
                int a = gpr[EBX] + (gpr[EAX] & 0xff);
                setReg(EAX, 1, read8(i.seg, i.asize == 2 ? a & 0xffff : a));
            }
            case BSWAP -> gpr[i.rm] = Integer.reverseBytes(gpr[i.rm]);
            case CMOVCC -> {
                int v = readE(i, size); // the source is read (and may fault) whatever the condition
                if (cond(i.sub)) setReg(i.reg, size, v);
            }
            case SETCC -> writeE(i, 1, cond(i.sub) ? 1 : 0);
            case LXS -> {
                int a = ea(i);
                int off = read(i.seg, a, i.osize);
                int sel = read16(i.seg, a + i.osize);
                loadSegment(i.sub, sel);
                setReg(i.reg, i.osize, off);
            }
            case SAHF -> setArith(SF | ZF | AF | PF | CF, (gpr[EAX] >>> 8) & 0xd5);
            case LAHF -> setReg(4, 1, getEflags() & 0xd7);
            default -> { } // NOP
        }
    }

    private void stack(Insn i) {
        int os = i.osize;
        switch (i.op) {
            case POP_Z -> {
                int v = pop(os);
                setReg(i.rm, os, v);
            }
            case PUSH_I -> push(i.imm, os);
            case PUSH_E -> push(readE(i, os), os);
            case POP_E -> {
                int old = gpr[ESP];
                int v = pop(os);
                try {
                    writeE(i, os, v);
                } catch (CpuFault f) {
                    gpr[ESP] = old;
                    throw f;
                }
            }
            case PUSH_S -> push(segSel[i.sub], os);
            case POP_S -> {
                int sp = stackPointer();
                int sel = read(SS, sp, os);
                loadSegment(i.sub, sel);
                setSp(sp + os);
                if (i.sub == SS) blockByMovSs();
            }
            case PUSHF -> pushf(os);
            case POPF -> popf(os);
            case PUSHA -> {
                int sp = gpr[ESP];
                int s = stackPointer();
                for (int r = 0; r < 8; r++) s = pushFrame(s, os, r == ESP ? sp : gpr[r]);
                setSp(s);
            }
            case POPA -> {
                int s = stackPointer();
                int[] v = popaScratch;
                for (int r = 7; r >= 0; r--) {
                    v[r] = read(SS, s, os);
                    s += os;
                }
                for (int r = 0; r < 8; r++) if (r != ESP) setReg(r, os, v[r]);
                setSp(s);
            }
            case ENTER -> enter(i.imm & 0xffff, i.imm2 & 0x1f, os);
            default -> { // LEAVE
                int bp = stack32 ? gpr[EBP] : gpr[EBP] & 0xffff;
                int v = read(SS, bp, os);
                setSp(bp + os);
                setReg(EBP, os, v);
            }
        }
    }

    private final int[] popaScratch = new int[8];

    private void enter(int alloc, int level, int os) {
        int s = stackPointer();
        int bp = gpr[EBP];
        s = pushFrame(s, os, bp);
        int frame = s;
        for (int l = 1; l < level; l++) {
            bp = stack32 ? bp - os : (bp - os) & 0xffff;
            s = pushFrame(s, os, read(SS, stack32 ? bp : bp & 0xffff, os));
        }
        if (level > 0) s = pushFrame(s, os, frame);
        s -= alloc;
        if (!stack32) s &= 0xffff;
        read8(SS, s); // the new stack top must be valid (SDM Vol. 2, ENTER)
        setReg(EBP, os, frame);
        setSp(s);
    }

    private void control(Insn i) {
        int os = i.osize;
        switch (i.op) {
            case JMP_E -> jumpNear(readE(i, os), os);
            case JMP_FAR -> jumpFar(i.imm2, i.imm, os);
            case JMP_FAR_M -> {
                int a = ea(i);
                int off = read(i.seg, a, os);
                jumpFar(read16(i.seg, a + os), off, os);
            }
            case CALL_REL -> callNear(eip + i.imm, os);
            case CALL_E -> callNear(readE(i, os), os);
            case CALL_FAR -> callFar(i.imm2, i.imm, os);
            case CALL_FAR_M -> {
                int a = ea(i);
                int off = read(i.seg, a, os);
                callFar(read16(i.seg, a + os), off, os);
            }
            case RET -> retNear(os, i.imm & 0xffff);
            case RETF -> retFar(os, i.imm & 0xffff);
            case LOOP -> {
                int am = i.asize == 4 ? -1 : 0xffff;
                int c = (gpr[ECX] - 1) & am;
                gpr[ECX] = (gpr[ECX] & ~am) | c;
                boolean go = c != 0 && (i.sub == 2 || zf() == (i.sub == 1));
                if (go) jumpNear(eip + i.imm, os);
            }
            case JCXZ -> {
                if ((gpr[ECX] & (i.asize == 4 ? -1 : 0xffff)) == 0) jumpNear(eip + i.imm, os);
            }
            case INT -> softwareInterrupt(i.imm & 0xff, i, false);
            case INT3 -> softwareInterrupt(3, i, true);
            case INTO -> {
                if (of()) softwareInterrupt(4, i, true);
            }
            default -> {
                iret(os);
                iretUnblocksNmi();
            }
        }
    }
}
