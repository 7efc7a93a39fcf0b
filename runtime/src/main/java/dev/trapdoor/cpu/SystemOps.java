package dev.trapdoor.cpu;

import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.vmx.ExecutionControls;
import dev.trapdoor.vmx.ExitReason;

import static dev.trapdoor.cpu.Ops.*;

/**
 * System instructions: flag control (CLI/STI with the IOPL check), HLT, CPUID and MSR exits,
 * descriptor-table and control-register moves, LLDT/LTR, CMPXCHG8B, RDTSC. Rows that reach here
 * with handler UD raise #UD; an unknown handler number is an interpreter bug.
 */
abstract class SystemOps extends ControlFlow {
    boolean halted;
    /** Retired-instruction count until which interrupts are inhibited (STI, MOV SS: SDM Vol. 3A, 6.8.3). */
    long interruptShadowUntil = -1;
    /** DR0-DR3, DR6, DR7 (indices 4 and 5 unused). Stored and read back; breakpoints are not honoured yet. */
    final int[] dr = {0, 0, 0, 0, 0, 0, 0xffff0ff0, 0x400};

    SystemOps(PhysicalMemory memory, ExecutionControls controls) {
        super(memory, controls);
    }

    private void requirePrivilege() {
        if (protectedMode() && cpl != 0) throw gp(0);
    }

    final void system(Insn i) {
        if (i.row.has(Row.PRIV)) requirePrivilege();
        switch (i.op) {
            case FLAGOP -> flagOp(i.sub);
            case HLT -> {
                if (controls.hltExiting) {
                    exit.reset(ExitReason.HLT);
                    exit.rip = insStart & 0xffffffffL;
                    exit.instructionLength = i.len;
                    exitPending = true;
                } else {
                    halted = true;
                }
            }
            case CPUID -> {
                exit.reset(ExitReason.CPUID);
                exit.rip = insStart & 0xffffffffL;
                exit.instructionLength = i.len;
                eip = insStart;
                retired--; // VMX: the exiting instruction has not retired; the handler completes it
                exitPending = true;
            }
            case LGDT, LIDT -> {
                int a = ea(i);
                int limit = read16(i.seg, a);
                int base = read32(i.seg, a + 2);
                if (i.osize == 2) base &= 0xffffff; // SDM Vol. 2, LGDT: 16-bit operand size loads 24 base bits
                if (i.op == LGDT) {
                    gdtLimit = limit;
                    gdtBase = base;
                } else {
                    idtLimit = limit;
                    idtBase = base;
                }
            }
            case SGDT, SIDT -> {
                int a = ea(i);
                probeWrite(i.seg, a, 6);
                write16(i.seg, a, i.op == SGDT ? gdtLimit : idtLimit);
                write32(i.seg, a + 2, i.op == SGDT ? gdtBase : idtBase);
            }
            case MOV_RC -> gpr[i.rm] = readControl(i.reg);
            case MOV_CR -> writeControl(i.reg, gpr[i.rm]);
            case CLTS -> cr0 &= ~CR0_TS;
            case SMSW -> {
                if (i.mod == 3) setReg(i.rm, i.osize, cr0);
                else write16(i.seg, ea(i), cr0);
            }
            case LMSW -> {
                // LMSW changes PE, MP, EM, TS and cannot clear PE (SDM Vol. 2, LMSW).
                int v = readE(i, 2) & 0xf;
                writeControl(0, (cr0 & ~0xe) | v | (cr0 & CR0_PE));
            }
            case INVLPG -> flushTlb();
            case WBINVD -> { }
            case RDTSC -> {
                // Virtual time: the TSC counts retired instructions, so runs are reproducible.
                if ((cr4 & 4) != 0 && protectedMode() && cpl != 0) throw gp(0);
                gpr[EAX] = (int) retired;
                gpr[EDX] = (int) (retired >>> 32);
            }
            case SLDT, STR -> {
                if (!protectedMode()) throw ud();
                int sel = i.op == SLDT ? ldtrSel : trSel;
                if (i.mod == 3) setReg(i.rm, i.osize, sel);
                else write16(i.seg, ea(i), sel);
            }
            case LLDT, LTR -> {
                if (!protectedMode()) throw ud();
                int sel = readE(i, 2);
                if (i.op == LLDT) loadLdt(sel);
                else loadTaskRegister(sel);
            }
            case CMPXCHG8B -> {
                int a = ea(i);
                probeWrite(i.seg, a, 8);
                int lo = read32(i.seg, a), hi = read32(i.seg, a + 4);
                boolean equal = lo == gpr[EAX] && hi == gpr[EDX];
                if (equal) {
                    write32(i.seg, a, gpr[EBX]);
                    write32(i.seg, a + 4, gpr[ECX]);
                } else {
                    write32(i.seg, a, lo);
                    write32(i.seg, a + 4, hi);
                    gpr[EAX] = lo;
                    gpr[EDX] = hi;
                }
                setArith(ZF, equal ? ZF : 0);
            }
            case RDMSR, WRMSR -> {
                // Every MSR access exits (no MSR bitmap yet); the handler emulates it and advances EIP, as for CPUID.
                exit.reset(i.op == RDMSR ? ExitReason.RDMSR : ExitReason.WRMSR);
                exit.rip = insStart & 0xffffffffL;
                exit.instructionLength = i.len;
                eip = insStart;
                retired--;
                exitPending = true;
            }
            case FWAIT -> {
                // No x87 yet: WAIT only checks for a pending #NM (CR0.MP and TS, SDM Vol. 3A, Table 2-2).
                if ((cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS)) throw fault(7, -1);
            }
            case X87 -> {
                if ((cr0 & (CR0_EM | CR0_TS)) != 0) throw fault(7, -1);
                throw ud();
            }
            case BOUND -> {
                // SDM Vol. 2, BOUND: signed bounds at [m] and [m+size]; outside them is #BR.
                int a = ea(i), os = i.osize;
                int index = signExtend(getReg(i.reg, os), os);
                int lower = signExtend(read(i.seg, a, os), os);
                int upper = signExtend(read(i.seg, a + os, os), os);
                if (index < lower || index > upper) throw fault(5, -1);
            }
            case ARPL -> {
                if (!protectedMode()) throw ud();
                int a = i.mod == 3 ? 0 : ea(i);
                int dst = i.mod == 3 ? getReg(i.rm, 2) : read16(i.seg, a);
                int src = getReg(i.reg, 2);
                if ((dst & 3) < (src & 3)) {
                    int v = (dst & ~3) | (src & 3);
                    if (i.mod == 3) setReg(i.rm, 2, v);
                    else write16(i.seg, a, v);
                    setArith(ZF, ZF);
                } else {
                    setArith(ZF, 0);
                }
            }
            case INT1 -> softwareInterrupt(1, i, true);
            case MOV_RD -> gpr[i.rm] = dr[debugIndex(i.reg)];
            case MOV_DR -> {
                int n = debugIndex(i.reg);
                int v = gpr[i.rm];
                // DR6 and DR7 reserved bits read as fixed values (SDM Vol. 3B, 18.2.3 and 18.2.4).
                dr[n] = n == 6 ? (v & 0xe00f) | 0xffff0ff0 : n == 7 ? (v & 0xffff2bff) | 0x400 : v;
            }
            case UD -> throw ud();
            // A row names a handler this switch does not know: an interpreter bug, reported as INTERNAL_ERROR.
            default -> throw new IllegalStateException("no handler for op " + i.op + " (" + i.row.mnemonic + ")");
        }
    }

    private void flagOp(int op) {
        switch (op) {
            case 0 -> setArith(CF, 0);
            case 1 -> setArith(CF, CF);
            case 2 -> setArith(CF, cf() ? 0 : CF);
            case 3 -> flagsRest &= ~DF;
            case 4 -> flagsRest |= DF;
            case 5, 6 -> {
                // CLI/STI: protected mode needs CPL <= IOPL (SDM Vol. 2, CLI; VME/PVI are not modelled).
                if (protectedMode() && cpl > ((flagsRest >>> 12) & 3)) throw gp(0);
                if (op == 5) {
                    flagsRest &= ~IF;
                } else {
                    if ((flagsRest & IF) == 0) interruptShadowUntil = retired + 1;
                    flagsRest |= IF;
                }
            }
            default -> throw ud();
        }
    }

    private int readControl(int n) {
        return switch (n) {
            case 0 -> cr0;
            case 2 -> cr2;
            case 3 -> cr3;
            case 4 -> cr4;
            default -> throw ud();
        };
    }

    /** MOV to CRn with the checks of SDM Vol. 2, MOV (Control Registers): reserved bits and PG without PE are #GP(0). */
    final void writeControl(int n, int v) {
        switch (n) {
            case 0 -> {
                if ((v & CR0_PG) != 0 && (v & CR0_PE) == 0) throw gp(0);
                if ((v & (1 << 29)) != 0 && (v & (1 << 30)) == 0) throw gp(0); // NW without CD
                int old = cr0;
                cr0 = v | CR0_ET;
                if (((old ^ cr0) & (CR0_PE | CR0_PG | CR0_WP)) != 0) {
                    flushTlb();
                    if (((old ^ cr0) & CR0_PE) != 0) {
                        if ((cr0 & CR0_PE) == 0) cpl = 0;
                        refreshSegments();
                    }
                }
            }
            case 2 -> cr2 = v;
            case 3 -> {
                cr3 = v;
                flushTlb();
            }
            case 4 -> {
                // Bits 0-10 are known; PAE (bit 5) is refused until PAE paging is implemented.
                if ((v & ~0x7df) != 0) throw gp(0);
                cr4 = v;
                flushTlb();
            }
            default -> throw ud();
        }
    }

    /** DR4 and DR5 alias DR6 and DR7 unless CR4.DE makes them #UD (SDM Vol. 3B, 18.2.2). */
    private int debugIndex(int n) {
        if (n == 4 || n == 5) {
            if ((cr4 & 8) != 0) throw ud();
            return n + 2;
        }
        return n;
    }
}
