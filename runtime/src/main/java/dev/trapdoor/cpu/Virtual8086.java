package dev.trapdoor.cpu;

import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.vmx.Vmcs;

import static dev.trapdoor.cpu.Ops.*;

/**
 * Virtual-8086 mode without the VME extensions (SDM Vol. 3B, chapter 20; CR4.VME is reserved and
 * CPUID does not report VME). The mode is EFLAGS.VM in protected mode: CPL is 3, every segment
 * register load is a paragraph number ({@link #loadV86Segment}), code and stack are 16-bit. It is
 * entered by IRET at CPL 0 with VM in the popped EFLAGS ({@link #returnToV86}) or by a task switch
 * to a TSS whose EFLAGS has VM, and left by an interrupt or exception, which goes to ring 0
 * through the IDT ({@link #enterInnerRing}). Elsewhere: CLI, STI, PUSHF, POPF, INT n and IRET need
 * IOPL 3 ({@link #checkV86Iopl}), IN/OUT always consult the TSS I/O bitmap, and the
 * instructions that name descriptors are #UD ({@link #undefinedInV86}).
 */
abstract class Virtual8086 extends Interrupts {
    private final int[] v86Sel = new int[5];

    Virtual8086(PhysicalMemory memory, Vmcs vmcs) {
        super(memory, vmcs);
    }

    /** The IOPL-sensitive instructions in virtual-8086 mode: #GP(0) unless IOPL is 3 (SDM Vol. 3B, 20.2.7). */
    final void checkV86Iopl() {
        if (v86() && (flagsRest & IOPL) != IOPL) throw gp(0);
    }

    /**
     * LAR, LSL, VERR, VERW, ARPL, SLDT, STR, LLDT and LTR "are not recognized in virtual-8086 mode"
     * (SDM Vol. 2, each one's virtual-8086 mode exceptions): #UD, ahead of the privilege check.
     */
    static boolean undefinedInV86(int op) {
        return op == LAR || op == LSL || op == VERRW || op == ARPL || op == SLDT || op == STR || op == LLDT || op == LTR;
    }

    /**
     * IRET at CPL 0 with VM set in the 32-bit EFLAGS image (SDM Vol. 2, IRET
     * "RETURN-TO-VIRTUAL-8086-MODE"): EIP, CS and EFLAGS are already popped (sp points past them);
     * ESP, SS, ES, DS, FS and GS follow as doublewords (the upper words are ignored). Everything is
     * read before anything changes, so a fault leaves the ring-0 state intact.
     */
    final void returnToV86(int off, int cs, int flags, int sp) {
        int esp = read(SS, sp, 4);
        for (int k = 0; k < 5; k++) v86Sel[k] = read(SS, sp + 4 + 4 * k, 2);
        if ((off & 0xffffffffL) > 0xffff) throw gp(0); // the v86 CS limit
        setEflags(flags);
        cpl = 3;
        flushTlb();
        loadV86Segment(CS, cs);
        loadV86Segment(SS, v86Sel[0]);
        loadV86Segment(ES, v86Sel[1]);
        loadV86Segment(DS, v86Sel[2]);
        loadV86Segment(FS, v86Sel[3]);
        loadV86Segment(GS, v86Sel[4]);
        gpr[ESP] = esp;
        eip = off;
    }
}
