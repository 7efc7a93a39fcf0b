package dev.trapdoor.cpu;

import dev.trapdoor.cpu.fpu.X87;
import dev.trapdoor.cpu.fpu.X87Image;
import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.vmx.Vmcs;

/**
 * The x87 escapes D8-DF, WAIT and FXSAVE/FXRSTOR: operand fetch and store with the sizes of
 * SDM Vol. 2, Appendix A.4, the checks of SDM Vol. 3A, Table 2-2 (CR0.EM and TS raise #NM), the
 * delivery of pending unmasked x87 exceptions (SDM Vol. 1, 8.7), and the last-instruction
 * pointers. The arithmetic is {@link X87}'s.
 *
 * <p>Pending exceptions: a waiting x87 instruction (every one except FNINIT, FNCLEX, FNSTENV,
 * FNSAVE, FNSTCW and FNSTSW) that finds an unmasked exception pending raises #MF when CR0.NE = 1.
 * When CR0.NE = 0 the PC-compatible route applies: the CPU asserts FERR#, which
 * {@link #ferrAsserted()} reports until the handler clears the exception (FNCLEX, FNINIT, FLDENV,
 * FRSTOR ...); the board turns it into IRQ13. This core then goes on as if IGNNE# were asserted
 * rather than freezing at the instruction, which only differs for code that never acknowledges IRQ13.
 */
abstract class FpuOps extends ControlFlow {
    /** The x87 state of this CPU; it is not part of {@link dev.trapdoor.arch.X86Registers}. */
    final X87 fpu = new X87();
    private boolean ferr;
    private final byte[] image = new byte[X87Image.FXSAVE];

    FpuOps(PhysicalMemory memory, Vmcs vmcs) {
        super(memory, vmcs);
    }

    /** FERR# (CR0.NE = 0 error reporting): asserted by a waiting instruction that met a pending exception, until ES clears. */
    /** FERR# as latched, for snapshots (no re-evaluation). */
    final boolean ferrLatch() {
        return ferr;
    }

    final void ferrLatch(boolean on) {
        ferr = on;
    }

    final boolean ferrAsserted() {
        if (ferr && !fpu.pendingException()) ferr = false;
        return ferr;
    }

    /** WAIT/FWAIT: #NM when CR0.MP and TS are both set, then pending-exception delivery. */
    final void fwait() {
        if ((cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS)) throw fault(7, -1);
        checkPending();
    }

    private void checkPending() {
        if (!fpu.pendingException()) return;
        if ((cr0 & CR0_NE) != 0) throw fault(16, -1);
        ferr = true;
    }

    final void x87(Insn i) {
        if ((cr0 & (CR0_EM | CR0_TS)) != 0) throw fault(7, -1);
        int k = i.sub & 63;
        int escape = k >>> 3, reg = k & 7;
        boolean mem = i.sub < X87Syntax.REGISTER_FORMS;
        if (!(mem ? X87Syntax.MEMORY[k] != null : X87Syntax.registerFormDefined(escape, reg, i.rm))) throw ud();
        boolean control = mem ? (escape == 1 && reg >= 4) || (escape == 5 && (reg == 4 || reg == 6 || reg == 7))
                : escape == 3 && reg == 4 || escape == 7 && reg == 4;
        boolean waiting = !control || (mem ? (escape == 1 && (reg == 4 || reg == 5)) || (escape == 5 && reg == 4) : false);
        if (waiting) checkPending();
        int a = mem ? ea(i) : 0;
        if (!control) record(i, escape, a, mem);
        if (mem) memoryForm(i, escape, reg, a);
        else registerForm(escape, reg, i.rm);
    }

    /** FCS:FIP, FOP and FDS:FDP of a non-control instruction (SDM Vol. 1, 8.1.8); linear addresses in real mode. */
    private void record(Insn i, int escape, int a, boolean mem) {
        int modrm = (i.mod << 6) | (i.reg << 3) | i.rm;
        int fop = (escape << 8) | modrm;
        boolean pm = protectedMode();
        int ip = pm ? insStart : segBase[CS] + insStart;
        int ds = fpu.fds, dp = fpu.fdp;
        if (mem) {
            ds = pm ? segSel[i.seg] : 0;
            dp = pm ? a : segBase[i.seg] + a;
        }
        fpu.recordInstruction(pm ? segSel[CS] : 0, ip, fop, ds, dp);
    }

    private void memoryForm(Insn i, int escape, int reg, int a) {
        int s = i.seg;
        switch (escape) {
            case 0 -> arithMemory(reg, read32(s, a), 0, 0);
            case 4 -> arithMemory(reg, 0, readLong(s, a), 1);
            case 2 -> arithMemory(reg, read32(s, a), 0, 2);
            case 6 -> arithMemory(reg, (short) read16(s, a), 0, 2);
            case 1 -> { switch (reg) {
                case 0 -> fpu.fldM32(read32(s, a));
                case 2, 3 -> {
                    probeWrite(s, a, 4);
                    int v = fpu.fstM32(reg == 3);
                    if (fpu.memoryWrite) write32(s, a, v);
                }
                case 4 -> {
                    int n = X87Image.envSize(i.osize == 4);
                    readImage(s, a, n);
                    X87Image.fldenv(fpu, image, 0, i.osize == 4, protectedMode());
                }
                case 5 -> fpu.fldcw(read16(s, a));
                case 6 -> {
                    int n = X87Image.envSize(i.osize == 4);
                    probeWrite(s, a, n);
                    X87Image.fnstenv(fpu, image, 0, i.osize == 4, protectedMode());
                    writeImage(s, a, n);
                }
                default -> write16(s, a, fpu.fnstcw());
            } }
            case 3 -> { switch (reg) {
                case 0 -> fpu.fild(read32(s, a));
                case 2, 3 -> {
                    probeWrite(s, a, 4);
                    long v = fpu.fist(32, reg == 3);
                    if (fpu.memoryWrite) write32(s, a, (int) v);
                }
                case 5 -> {
                    long sig = readLong(s, a);
                    fpu.fldM80(read16(s, a + 8), sig);
                }
                case 7 -> {
                    probeWrite(s, a, 10);
                    long sig = fpu.fstpM80();
                    if (fpu.memoryWrite) writeTen(s, a, sig, fpu.storeHigh);
                }
                default -> throw ud(); // FISTTP is SSE3
            } }
            case 5 -> { switch (reg) {
                case 0 -> fpu.fldM64(readLong(s, a));
                case 2, 3 -> {
                    probeWrite(s, a, 8);
                    long v = fpu.fstM64(reg == 3);
                    if (fpu.memoryWrite) writeLong(s, a, v);
                }
                case 4 -> {
                    int n = i.osize == 4 ? X87Image.SAVE32 : X87Image.SAVE16;
                    readImage(s, a, n);
                    X87Image.frstor(fpu, image, 0, i.osize == 4, protectedMode());
                }
                case 6 -> {
                    int n = i.osize == 4 ? X87Image.SAVE32 : X87Image.SAVE16;
                    probeWrite(s, a, n);
                    X87Image.fnsave(fpu, image, 0, i.osize == 4, protectedMode());
                    writeImage(s, a, n);
                }
                case 7 -> write16(s, a, fpu.fnstsw());
                default -> throw ud();
            } }
            default -> { switch (reg) { // DF
                case 0 -> fpu.fild((short) read16(s, a));
                case 2, 3 -> {
                    probeWrite(s, a, 2);
                    long v = fpu.fist(16, reg == 3);
                    if (fpu.memoryWrite) write16(s, a, (int) v);
                }
                case 4 -> {
                    long low = readLong(s, a);
                    fpu.fbld(low, read16(s, a + 8));
                }
                case 5 -> fpu.fild(readLong(s, a));
                case 6 -> {
                    probeWrite(s, a, 10);
                    long low = fpu.fbstp();
                    if (fpu.memoryWrite) writeTen(s, a, low, fpu.storeHigh);
                }
                case 7 -> {
                    probeWrite(s, a, 8);
                    long v = fpu.fist(64, true);
                    if (fpu.memoryWrite) writeLong(s, a, v);
                }
                default -> throw ud();
            } }
        }
    }

    /** D8/DC/DA/DE memory forms: kind 0 = m32fp, 1 = m64fp, 2 = integer; reg 2 and 3 compare. */
    private void arithMemory(int reg, int v32, long v64, int kind) {
        if (reg == 2 || reg == 3) {
            boolean pop = reg == 3;
            switch (kind) {
                case 0 -> fpu.fcomM32(v32, pop);
                case 1 -> fpu.fcomM64(v64, pop);
                default -> fpu.ficom(v32, pop);
            }
            return;
        }
        switch (kind) {
            case 0 -> fpu.arithM32(reg, v32);
            case 1 -> fpu.arithM64(reg, v64);
            default -> fpu.arithInt(reg, v32);
        }
    }

    private void registerForm(int escape, int reg, int rm) {
        switch (escape) {
            case 0 -> {
                if (reg == 2 || reg == 3) fpu.fcom(rm, false, reg - 2);
                else fpu.arith(reg, 0, rm, false);
            }
            case 1 -> d9(reg, rm);
            case 2 -> {
                if (reg < 4) fpu.fcmov(rm, fcmovCondition(reg));
                else fpu.fcom(1, true, 2); // DA E9 FUCOMPP
            }
            case 3 -> {
                if (reg < 4) {
                    fpu.fcmov(rm, !fcmovCondition(reg));
                } else if (reg == 4) {
                    if (rm == 2) fpu.fnclex();
                    else if (rm == 3) fpu.fninit();
                    // FNENI, FNDISI and FNSETPM are no-ops after the 287.
                } else {
                    fcomi(rm, reg == 5, false);
                }
            }
            // Destination ST(i): reg 4 is Intel's FSUBR ST(i),ST(0) (ST(i) = ST(0) - ST(i)), reg 5 FSUB, 6 FDIVR, 7 FDIV.
            case 4 -> fpu.arith(reg >= 4 ? reg ^ 1 : reg, rm, 0, false);
            case 5 -> {
                switch (reg) {
                    case 0 -> fpu.ffree(rm);
                    case 2, 3 -> fpu.fstSt(rm, reg == 3);
                    default -> fpu.fcom(rm, true, reg - 4); // FUCOM, FUCOMP
                }
            }
            case 6 -> {
                if (reg == 3) fpu.fcom(1, false, 2); // DE D9 FCOMPP
                else fpu.arith(reg >= 4 ? reg ^ 1 : reg, rm, 0, true);
            }
            default -> {
                switch (reg) {
                    case 0 -> { // FFREEP: free ST(i), then pop
                        fpu.ffree(rm);
                        fpu.ffree(0);
                        fpu.fincstp();
                    }
                    case 4 -> setReg(EAX, 2, fpu.fnstsw());
                    default -> fcomi(rm, reg == 5, true);
                }
            }
        }
    }

    private void d9(int reg, int rm) {
        switch (reg) {
            case 0 -> fpu.fldSt(rm);
            case 1 -> fpu.fxch(rm);
            case 2 -> { } // FNOP
            case 4 -> {
                switch (rm) {
                    case 0 -> fpu.fchs();
                    case 1 -> fpu.fabs();
                    case 4 -> fpu.ftst();
                    default -> fpu.fxam();
                }
            }
            case 5 -> fpu.fldConstant(rm);
            case 6 -> {
                switch (rm) {
                    case 0 -> fpu.f2xm1();
                    case 1 -> fpu.fyl2x();
                    case 2 -> fpu.fptan();
                    case 3 -> fpu.fpatan();
                    case 4 -> fpu.fxtract();
                    case 5 -> fpu.fprem1();
                    case 6 -> fpu.fdecstp();
                    default -> fpu.fincstp();
                }
            }
            default -> {
                switch (rm) {
                    case 0 -> fpu.fprem();
                    case 1 -> fpu.fyl2xp1();
                    case 2 -> fpu.fsqrt();
                    case 3 -> fpu.fsincos();
                    case 4 -> fpu.frndint();
                    case 5 -> fpu.fscale();
                    case 6 -> fpu.fsin();
                    default -> fpu.fcos();
                }
            }
        }
    }

    /** FCMOVB, FCMOVE, FCMOVBE, FCMOVU (DA /0-/3); DB /0-/3 are the negations. */
    private boolean fcmovCondition(int reg) {
        return switch (reg) {
            case 0 -> cf();
            case 1 -> zf();
            case 2 -> cf() || zf();
            default -> cond(10); // PF
        };
    }

    /** FCOMI/FUCOMI(P): ZF, PF, CF from the comparison; OF, SF, AF cleared (SDM Vol. 2, FCOMI). */
    private void fcomi(int rm, boolean quiet, boolean pop) {
        int r = fpu.fcomi(rm, quiet, pop);
        if (r >= 0) setArith(ARITH_FLAGS, r);
    }

    // ---- FXSAVE / FXRSTOR

    /** FXSAVE (restore = false) and FXRSTOR: the 512-byte area must be 16-byte aligned (SDM Vol. 2, FXSAVE). */
    final void fxsave(Insn i, boolean restore) {
        if ((cr0 & CR0_EM) != 0) throw ud();
        if ((cr0 & CR0_TS) != 0) throw fault(7, -1);
        int a = ea(i);
        if (((segBase[i.seg] + a) & 15) != 0) throw gp(0);
        // Bytes 0-159 hold the x87 state; MXCSR (24-31) reads 0 on this CPU without SSE; the XMM area is not touched.
        int n = 160;
        if (restore) {
            readImage(i.seg, a, n);
            X87Image.fxrstor(fpu, image, 0);
        } else {
            probeWrite(i.seg, a, n);
            X87Image.fxsave(fpu, image, 0);
            writeImage(i.seg, a, n);
        }
    }

    // ---- memory helpers

    private long readLong(int s, int a) {
        int lo = read32(s, a);
        return (lo & 0xffffffffL) | (long) read32(s, a + 4) << 32;
    }

    private void writeLong(int s, int a, long v) {
        write32(s, a, (int) v);
        write32(s, a + 4, (int) (v >>> 32));
    }

    private void writeTen(int s, int a, long low, int high) {
        writeLong(s, a, low);
        write16(s, a + 8, high);
    }

    private void readImage(int s, int a, int n) {
        linear(s, a, n, ACC_READ);
        for (int k = 0; k < n; k++) image[k] = (byte) read8(s, a + k);
    }

    private void writeImage(int s, int a, int n) {
        for (int k = 0; k < n; k++) write8(s, a + k, image[k]);
    }
}
