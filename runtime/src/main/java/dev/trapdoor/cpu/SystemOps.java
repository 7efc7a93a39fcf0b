package dev.trapdoor.cpu;

import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.vmx.Vmcs;
import dev.trapdoor.backend.MsrAccess;
import dev.trapdoor.vmx.ExitQualifications;
import dev.trapdoor.vmx.ExitReason;
import dev.trapdoor.vmx.InstructionInformation;
import dev.trapdoor.vmx.ProcBased;
import dev.trapdoor.vmx.ProcBased2;
import dev.trapdoor.vmx.VmcsField;

import static dev.trapdoor.cpu.Ops.*;

/**
 * System instructions: flag control (CLI/STI with the IOPL check), HLT, CPUID and MSR exits,
 * descriptor-table and control-register moves, LLDT/LTR, CMPXCHG8B, RDTSC. Rows that reach here
 * with handler UD raise #UD; an unknown handler number is an interpreter bug.
 */
abstract class SystemOps extends FpuOps {
    boolean halted;
    /** Retired-instruction count until which interrupts are inhibited (STI, MOV SS: SDM Vol. 3A, 6.8.3). */
    long interruptShadowUntil = -1;
    /** The shadow in force comes from MOV SS / POP SS (interruptibility bit 1), not STI (bit 0); it also blocks NMIs. */
    boolean movSsShadow;
    /** MONITOR armed the address-range monitor (an MWAIT exit reports it in qualification bit 0). */
    boolean monitorArmed;
    /** VM-exit instruction information of a descriptor-table exit (SDM Tables 28-10, 28-11), read by {@link VmxExit}. */
    long exitInstructionInfo;
    /** DR0-DR3, DR6, DR7 (indices 4 and 5 unused); {@link DebugUnit} acts on them. */
    final int[] dr = {0, 0, 0, 0, 0, 0, 0xffff0ff0, 0x400};

    /** RDMSR/WRMSR that the MSR bitmap lets through complete here; null = they exit. */
    MsrAccess msrAccess;
    private final long[] msrValue = new long[1];

    SystemOps(PhysicalMemory memory, Vmcs vmcs) {
        super(memory, vmcs);
    }

    private void requirePrivilege() {
        if (protectedMode() && cpl != 0) throw gp(0);
    }

    final void system(Insn i) {
        if (v86() && Virtual8086.undefinedInV86(i.op)) throw ud();
        if (i.row.has(Row.PRIV)) requirePrivilege();
        switch (i.op) {
            case FLAGOP -> flagOp(i.sub);
            case HLT -> {
                if (procControl(ProcBased.HLT_EXITING)) {
                    // HLT is a trap-like exit here: EIP past it, as the runtime's HLT handling has always expected.
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
                if (descriptorTableExit(i)) return;
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
                if (descriptorTableExit(i)) return;
                int a = ea(i);
                probeWrite(i.seg, a, 6);
                write16(i.seg, a, i.op == SGDT ? gdtLimit : idtLimit);
                write32(i.seg, a + 2, i.op == SGDT ? gdtBase : idtBase);
            }
            case MOV_RC -> {
                if (i.reg == 3 && procControl(ProcBased.CR3_STORE_EXITING)) {
                    instructionExit(ExitReason.CR_ACCESS, i, ExitQualifications.crMov(3, false, i.rm));
                    return;
                }
                gpr[i.rm] = guestControl(i.reg);
            }
            case MOV_CR -> {
                if (controlWriteExits(i.reg, gpr[i.rm])) {
                    instructionExit(ExitReason.CR_ACCESS, i, ExitQualifications.crMov(i.reg, true, i.rm));
                    return;
                }
                // In VMX non-root operation PE and PG stay 1 unless "unrestricted guest" is 1: #GP(0) (SDM Vol. 3C, "Restrictions on VMX Operation", MOV to CR0 in VMX non-root operation).
                if (i.reg == 0 && (gpr[i.rm] & (CR0_PE | CR0_PG)) != (CR0_PE | CR0_PG)
                        && !proc2Control(dev.trapdoor.vmx.ProcBased2.UNRESTRICTED_GUEST)) throw gp(0);
                writeControl(i.reg, gpr[i.rm]);
            }
            case CLTS -> {
                if (vmcs.cltsExits()) {
                    instructionExit(ExitReason.CR_ACCESS, i, ExitQualifications.clts());
                    return;
                }
                cr0 &= ~CR0_TS;
            }
            case SMSW -> {
                int v = (int) vmcs.cr0ReadValue(cr0 & 0xffffffffL); // the shadow for host-owned bits (SDM 26.3)
                if (i.mod == 3) setReg(i.rm, i.osize, v);
                else write16(i.seg, ea(i), v);
            }
            case LMSW -> {
                // LMSW changes PE, MP, EM, TS and cannot clear PE (SDM Vol. 2, LMSW).
                int src = readE(i, 2) & 0xffff;
                if (vmcs.lmswExits(src)) {
                    instructionExit(ExitReason.CR_ACCESS, i, ExitQualifications.lmsw(i.mod != 3, src));
                    return;
                }
                int v = src & 0xf;
                writeControl(0, (cr0 & ~0xe) | v | (cr0 & CR0_PE));
            }
            case INVLPG -> {
                if (procControl(ProcBased.INVLPG_EXITING)) {
                    // Qualification: the linear-address operand (SDM 28.2.1).
                    instructionExit(ExitReason.INVLPG, i, (segBase[i.seg] + ea(i)) & 0xffffffffL);
                    return;
                }
                invalidatePage(segBase[i.seg] + ea(i));
            }
            case WBINVD -> {
                // INVD (sub 1) exits unconditionally (SDM 26.1.2), WBINVD with "WBINVD exiting" (26.1.3); otherwise no cache to flush.
                if (i.sub == 1) instructionExit(ExitReason.INVD, i, 0);
                else if (proc2Control(ProcBased2.WBINVD_EXITING)) instructionExit(ExitReason.WBINVD, i, 0);
            }
            case MONITOR, MWAIT -> monitorMwait(i);
            case RDTSC -> {
                // Virtual time: the TSC counts retired instructions plus the VMX TSC offset the
                // runtime keeps equal to the time the guest spent halted, so runs are reproducible.
                if ((cr4 & 4) != 0 && protectedMode() && cpl != 0) throw gp(0);
                if (procControl(ProcBased.RDTSC_EXITING)) {
                    instructionExit(ExitReason.RDTSC, i, 0);
                    return;
                }
                long tsc = tsc();
                gpr[EAX] = (int) tsc;
                gpr[EDX] = (int) (tsc >>> 32);
            }
            case SLDT, STR -> {
                if (!protectedMode()) throw ud();
                if (descriptorTableExit(i)) return;
                int sel = i.op == SLDT ? ldtrSel : trSel;
                if (i.mod == 3) setReg(i.rm, i.osize, sel);
                else write16(i.seg, ea(i), sel);
            }
            case LLDT, LTR -> {
                if (!protectedMode()) throw ud();
                if (descriptorTableExit(i)) return;
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
            case RDMSR, WRMSR -> msr(i);
            case FWAIT -> fwait();
            case X87 -> x87(i);
            case FXSAVE -> fxsave(i, i.sub == 1);
            case SYSENTER -> sysenter();
            case SYSEXIT -> sysexit();
            case LAR, LSL, VERRW -> descriptorQuery(i);
            case RDPMC -> {
                // SDM Vol. 2, RDPMC: #GP(0) at CPL > 0 unless CR4.PCE, before any exit (26.1.1); no performance
                // counters here, so every counter index is invalid when it does not exit.
                if ((cr4 & CR4_PCE) == 0 && protectedMode() && cpl != 0) throw gp(0);
                if (procControl(ProcBased.RDPMC_EXITING)) {
                    instructionExit(ExitReason.RDPMC, i, 0);
                    return;
                }
                throw gp(0);
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
            case MOV_RD -> {
                int n = debugIndex(i.reg);
                if (procControl(ProcBased.MOV_DR_EXITING)) {
                    instructionExit(ExitReason.DR_ACCESS, i, ExitQualifications.movDr(i.reg, false, i.rm));
                    return;
                }
                if ((dr[7] & DebugUnit.DR7_GD) != 0) throw generalDetect();
                gpr[i.rm] = dr[n];
            }
            case MOV_DR -> {
                int n = debugIndex(i.reg);
                if (procControl(ProcBased.MOV_DR_EXITING)) {
                    instructionExit(ExitReason.DR_ACCESS, i, ExitQualifications.movDr(i.reg, true, i.rm));
                    return;
                }
                if ((dr[7] & DebugUnit.DR7_GD) != 0) throw generalDetect();
                writeDebugRegister(n, gpr[i.rm]);
            }
            case VMCALL -> {
                // 0F 01 C1 (the decoder makes C0, C2-C7 invalid: this CPU has no VMX instructions of its own).
                instructionExit(ExitReason.VMCALL, i, 0); // VMCALL exits unconditionally in VMX non-root operation (SDM 26.1.2)
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
                    if ((flagsRest & IF) == 0) {
                        interruptShadowUntil = retired + 1;
                        movSsShadow = false;
                    }
                    flagsRest |= IF;
                }
            }
            default -> throw ud();
        }
    }

    /** MOV SS and POP SS block interrupts, NMIs and debug traps for one instruction (SDM Vol. 3A, 6.8.3). */
    final void blockByMovSs() {
        interruptShadowUntil = retired + 1;
        movSsShadow = true;
    }

    /**
     * Descriptor-table exiting (SDM 26.1.3, secondary control bit 2): LGDT, LIDT, SGDT, SIDT exit
     * with reason 46, LLDT, LTR, SLDT, STR with 47, before the operand is read or written. The
     * qualification is the operand's displacement (28.2.1), the instruction information Table 28-10 or 28-11.
     */
    private boolean descriptorTableExit(Insn i) {
        if (!proc2Control(ProcBased2.DESCRIPTOR_TABLE_EXITING)) return false;
        boolean gdtIdt = i.op == LGDT || i.op == LIDT || i.op == SGDT || i.op == SIDT;
        int identity = switch (i.op) {
            case SGDT -> InstructionInformation.SGDT;
            case SIDT -> InstructionInformation.SIDT;
            case LGDT -> InstructionInformation.LGDT;
            case LIDT -> InstructionInformation.LIDT;
            case SLDT -> InstructionInformation.SLDT;
            case STR -> InstructionInformation.STR;
            case LLDT -> InstructionInformation.LLDT;
            default -> InstructionInformation.LTR;
        };
        long info;
        if (gdtIdt) info = InstructionInformation.descriptorTable(identity, i.asize, i.osize, i.seg, i.base, i.index, i.scale);
        else if (i.mod == 3) info = InstructionInformation.ldtrTrRegister(identity, i.rm);
        else info = InstructionInformation.ldtrTrMemory(identity, i.asize, i.seg, i.base, i.index, i.scale);
        instructionExit(gdtIdt ? ExitReason.GDTR_IDTR_ACCESS : ExitReason.LDTR_TR_ACCESS, i, i.mod == 3 ? 0 : i.disp & 0xffffffffL);
        exitInstructionInfo = info;
        return true;
    }

    /**
     * MONITOR (0F 01 C8) and MWAIT (0F 01 C9), SDM Vol. 2: #UD at CPL > 0 (a privilege fault, so it
     * comes before the exit, 26.1.1), then MONITOR exiting / MWAIT exiting (26.1.3; MWAIT's
     * qualification bit 0 says whether the monitor was armed). Executed here, MONITOR arms the
     * monitor at DS:EAX (its address checks apply) and MWAIT returns at once: the SDM lets MWAIT
     * wake for implementation-specific reasons, and nothing else here writes the monitored line
     * while the only vCPU waits.
     */
    private void monitorMwait(Insn i) {
        if (protectedMode() && cpl != 0) throw ud();
        boolean monitor = i.op == MONITOR;
        if (procControl(monitor ? ProcBased.MONITOR_EXITING : ProcBased.MWAIT_EXITING)) {
            instructionExit(monitor ? ExitReason.MONITOR : ExitReason.MWAIT, i, !monitor && monitorArmed ? 1 : 0);
            return;
        }
        if (monitor) {
            int seg = i.segOverride >= 0 ? i.segOverride : DS;
            int off = i.asize == 4 ? gpr[EAX] : gpr[EAX] & 0xffff;
            read8(seg, off); // the segment and paging checks of a read (SDM: #GP, #PF)
            monitorArmed = true;
        } else {
            if (gpr[ECX] != 0) throw gp(0); // no MWAIT extensions (CPUID leaf 5 is not reported)
            monitorArmed = false;
        }
    }

    /** MOV from CRn as the guest sees it: host-owned CR0/CR4 bits come from the read shadows (SDM 26.3). */
    private int guestControl(int n) {
        return switch (n) {
            case 0 -> (int) vmcs.cr0ReadValue(cr0 & 0xffffffffL);
            case 4 -> (int) vmcs.cr4ReadValue(cr4 & 0xffffffffL);
            default -> readControl(n);
        };
    }

    /** MOV to CRn exits (SDM 26.1.3): CR0/CR4 when a host-owned bit would differ from its shadow, CR3 with CR3-load exiting. */
    private boolean controlWriteExits(int n, int v) {
        long value = v & 0xffffffffL;
        return switch (n) {
            case 0 -> vmcs.cr0WriteExits(value);
            case 3 -> vmcs.cr3LoadExits(value);
            case 4 -> vmcs.cr4WriteExits(value);
            default -> false;
        };
    }

    /**
     * RDMSR/WRMSR. Without MSR bitmaps every access exits, except the SYSENTER MSRs, which live in
     * the CPU (the behaviour before the VMCS). With them the bitmap decides (SDM 26.1.3): a clear
     * bit completes here, from the CPU's own MSRs or through {@link #msrAccess} (#GP(0) for an MSR
     * it lacks); with no {@link #msrAccess} connected the access exits anyway.
     */
    private void msr(Insn i) {
        boolean read = i.op == RDMSR;
        int msr = gpr[ECX];
        boolean bitmaps = procControl(ProcBased.USE_MSR_BITMAPS);
        boolean exits = bitmaps ? vmcs.msrExits(msr, !read) : !isSysenterMsr(msr) && msr != MSR_IA32_EFER;
        if (!exits) {
            if (sysenterMsr(read)) return;
            if (msr == MSR_IA32_EFER) {
                efer(read);
                return;
            }
            if (read && msr == MSR_IA32_TSC) { // the counter itself, not a table value (a write still goes to the MSR set)
                long tsc = tsc();
                gpr[EAX] = (int) tsc;
                gpr[EDX] = (int) (tsc >>> 32);
                return;
            }
            if (msrAccess != null) {
                if (read) {
                    if (!msrAccess.read(msr, msrValue)) throw gp(0);
                    gpr[EAX] = (int) msrValue[0];
                    gpr[EDX] = (int) (msrValue[0] >>> 32);
                } else if (!msrAccess.write(msr, (gpr[EDX] & 0xffffffffL) << 32 | (gpr[EAX] & 0xffffffffL))) {
                    throw gp(0);
                }
                return;
            }
        }
        instructionExit(read ? ExitReason.RDMSR : ExitReason.WRMSR, i, 0);
    }

    /** The TSC the guest reads (RDTSC, RDMSR of IA32_TSC): retired instructions plus the runtime's and, when in use, the VMCS's offset (SDM 25.6.5). */
    private long tsc() {
        long tsc = retired + tscOffset;
        if (procControl(ProcBased.USE_TSC_OFFSETTING)) tsc += vmcs.read(VmcsField.TSC_OFFSET);
        return tsc;
    }

    static final int MSR_IA32_TSC = 0x10;
    static final int MSR_IA32_EFER = 0xC0000080;

    /**
     * IA32_EFER lives in the CPU like the SYSENTER MSRs: only NXE (bit 11) exists on this 32-bit
     * processor (no SYSCALL, no long mode), every other bit is reserved and writing it is #GP(0)
     * (SDM Vol. 4, Table 2-2). Changing NXE changes what the TLB may hold.
     */
    private void efer(boolean read) {
        if (read) {
            gpr[EAX] = (int) efer;
            gpr[EDX] = (int) (efer >>> 32);
            return;
        }
        long v = (gpr[EDX] & 0xffffffffL) << 32 | (gpr[EAX] & 0xffffffffL);
        if ((v & ~EFER_NXE) != 0) throw gp(0);
        if (v != efer) {
            efer = v;
            flushTlb();
        }
    }

    private static boolean isSysenterMsr(int msr) {
        return msr >= MSR_SYSENTER_CS && msr <= MSR_SYSENTER_EIP;
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
                // PAE paging turned on, or CD/NW changed under it, loads the PDPTEs (SDM Vol. 3A, 4.4.1); a bad one leaves CR0 as it was.
                if (paePaging() && ((old & CR0_PG) == 0 || ((old ^ cr0) & (3 << 29)) != 0)) reloadPdptes(0, old);
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
                int old = cr3;
                cr3 = v;
                if (paePaging()) reloadPdptes(3, old);
                flushTlbNonGlobal();
            }
            case 4 -> {
                // The bits of the features CPUID reports (SDM Vol. 3A, 2.5): TSD, DE, PSE, PAE, PGE, PCE, OSFXSR.
                // VME, PVI, MCE and the rest are reserved on this CPU: #GP(0).
                if ((v & ~CR4_SUPPORTED) != 0) throw gp(0);
                if (((cr4 ^ v) & 8) != 0) debugDirty = true; // CR4.DE decides what R/W = 10 means
                int old = cr4;
                cr4 = v;
                if (paePaging() && ((old ^ v) & (CR4_PAE | CR4_PGE | CR4_PSE)) != 0) reloadPdptes(4, old);
                flushTlb(); // global entries too (SDM Vol. 3A, 4.10.4.1)
            }
            default -> throw ud();
        }
    }

    static final int CR4_SUPPORTED = (1 << 2) | (1 << 3) | CR4_PSE | CR4_PAE | CR4_PGE | (1 << 8) | (1 << 9);

    /** Loads the PDPTEs for a MOV to CRn that needs them; when the load faults, CRn gets its old value back first. */
    private void reloadPdptes(int n, int old) {
        try {
            loadPdptes();
        } catch (CpuFault f) {
            switch (n) {
                case 0 -> cr0 = old;
                case 3 -> cr3 = old;
                default -> cr4 = old;
            }
            throw f;
        }
    }

    /** The #GP(0) checks of MOV to CR0/CR4 (PG without PE, NW without CD, CR4 bits this CPU lacks), for a VMM emulating the write. */
    static boolean controlValueValid(int n, int v) {
        return switch (n) {
            case 0 -> !((v & CR0_PG) != 0 && (v & CR0_PE) == 0) && !((v & (1 << 29)) != 0 && (v & (1 << 30)) == 0);
            case 4 -> (v & ~CR4_SUPPORTED) == 0;
            default -> true;
        };
    }

    static final int CR4_PCE = 1 << 8;

    // ---- SYSENTER / SYSEXIT (SDM Vol. 2, SYSENTER and SYSEXIT)

    static final int MSR_SYSENTER_CS = 0x174, MSR_SYSENTER_ESP = 0x175, MSR_SYSENTER_EIP = 0x176;
    /** IA32_SYSENTER_CS/ESP/EIP live in the CPU: RDMSR and WRMSR of them complete here without an exit. */
    int sysenterCs, sysenterEsp, sysenterEip;

    /** RDMSR/WRMSR of the SYSENTER MSRs; false for any other MSR (which exits). */
    private boolean sysenterMsr(boolean read) {
        int msr = gpr[ECX];
        if (msr < MSR_SYSENTER_CS || msr > MSR_SYSENTER_EIP) return false;
        if (read) {
            gpr[EAX] = msr == MSR_SYSENTER_CS ? sysenterCs : msr == MSR_SYSENTER_ESP ? sysenterEsp : sysenterEip;
            gpr[EDX] = 0;
        } else if (msr == MSR_SYSENTER_CS) {
            sysenterCs = gpr[EAX] & 0xffff;
        } else if (msr == MSR_SYSENTER_ESP) {
            sysenterEsp = gpr[EAX];
        } else {
            sysenterEip = gpr[EAX];
        }
        return true;
    }

    private static final int FLAT_CODE = 0xc09b, FLAT_DATA = 0xc093; // type, S, P, D/B, G in the VMX layout

    private void sysenter() {
        if (!protectedMode() || (sysenterCs & 0xfffc) == 0) throw gp(0);
        flagsRest &= ~(VM | IF | RF);
        int cs = sysenterCs & 0xfffc;
        setCache(CS, cs, 0, 0xffffffffL, FLAT_CODE);
        setCache(SS, cs + 8, 0, 0xffffffffL, FLAT_DATA);
        setPrivilege(0);
        gpr[ESP] = sysenterEsp;
        eip = sysenterEip;
    }

    private void sysexit() {
        if (!protectedMode() || (sysenterCs & 0xfffc) == 0) throw gp(0);
        int cs = sysenterCs & 0xfffc;
        setCache(CS, (cs + 16) | 3, 0, 0xffffffffL, FLAT_CODE | (3 << 5));
        setCache(SS, (cs + 24) | 3, 0, 0xffffffffL, FLAT_DATA | (3 << 5));
        setPrivilege(3);
        gpr[ESP] = gpr[ECX];
        eip = gpr[EDX];
    }

    private void setPrivilege(int newCpl) {
        if (cpl != newCpl) {
            cpl = newCpl;
            flushTlb(); // the TLB caches user/supervisor rights checked at the old CPL
        }
    }

    // ---- LAR, LSL, VERR, VERW (SDM Vol. 2): ZF says whether the selector passed; only table reads fault

    private void descriptorQuery(Insn i) {
        if (!protectedMode()) throw ud();
        int sel = readE(i, 2) & 0xffff;
        boolean ok = (sel & 0xfffc) != 0 && descriptorInTable(sel);
        if (ok) {
            int access = descAccess(descHi);
            int type = access & 0xf, dpl = (access >>> 5) & 3;
            boolean segment = (access & 0x10) != 0, code = segment && (type & 8) != 0;
            boolean conforming = code && (type & 4) != 0;
            ok = switch (i.op) {
                // LAR: 16/32-bit TSS (available, busy), LDT, call gates, task gate; LSL: the TSSes and the LDT.
                case LAR -> segment || type == 1 || type == 2 || type == 3 || type == 4 || type == 5 || type == 9 || type == 11 || type == 12;
                case LSL -> segment || type == 1 || type == 2 || type == 3 || type == 9 || type == 11;
                default -> segment && (i.sub == 0 ? !code || (type & 2) != 0 : !code && (type & 2) != 0);
            };
            if (ok && !conforming) ok = dpl >= cpl && dpl >= (sel & 3);
        }
        setArith(ZF, ok ? ZF : 0);
        if (!ok) return;
        if (i.op == LAR) setReg(i.reg, i.osize, descHi & (i.osize == 4 ? 0x00f0ff00 : 0xff00));
        else if (i.op == LSL) setReg(i.reg, i.osize, (int) descLimit(descLo, descHi));
    }

    /** Reads the descriptor of sel if it lies inside its table; false (no fault) if it does not. */
    private boolean descriptorInTable(int sel) {
        long limit;
        if ((sel & 4) != 0) {
            if ((ldtrAccess & arch_UNUSABLE) != 0 || (ldtrSel & 0xfffc) == 0) return false;
            limit = ldtrLimit;
        } else {
            limit = gdtLimit & 0xffffL;
        }
        if ((sel & 0xfff8) + 7 > limit) return false;
        readDescriptor(sel);
        return true;
    }

    /**
     * DR7.GD: a MOV to or from a debug register is a #DB fault with DR6.BD set, and the processor
     * clears GD on entering the handler so that the handler can use the registers (SDM Vol. 3B,
     * 17.2.4 and 17.3.1.5). A fault-class #DB pushes RF = 1 (17.3.1.1). A VMM's MOV-DR exiting comes first.
     */
    private RuntimeException generalDetect() {
        dr[6] |= DebugUnit.DR6_BD;
        dr[7] &= ~DebugUnit.DR7_GD;
        debugDirty = true;
        flagsRest |= RF;
        return fault(1, -1);
    }

    /**
     * MOV to DRn (n already resolved from DR4/DR5), by the guest or a VMM emulating it: DR6 and DR7
     * reserved bits read as fixed values (SDM Vol. 3B, 18.2.3 and 18.2.4); a change to DR0-3 or DR7
     * ends the block so that the run loop rebuilds the debug conditions before the next.
     */
    final void writeDebugRegister(int n, int v) {
        dr[n] = n == 6 ? (v & 0xe00f) | 0xffff0ff0 : n == 7 ? (v & 0xffff2bff) | 0x400 : v;
        if (n != 6) debugDirty = true;
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
