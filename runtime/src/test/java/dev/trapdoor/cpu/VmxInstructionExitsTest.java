package dev.trapdoor.cpu;

import dev.trapdoor.arch.CpuidTable;
import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;
import dev.trapdoor.vmx.InstructionInformation;
import dev.trapdoor.vmx.ProcBased;
import dev.trapdoor.vmx.ProcBased2;
import dev.trapdoor.vmx.Vmcs;
import dev.trapdoor.vmx.VmcsField;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Instruction exits of SDM Vol. 3C, 26.1.2-26.1.3 added for MONITOR/MWAIT, RDPMC, WBINVD, INVD
 * and the descriptor-table instructions, with Intel's qualifications and instruction information.
 */
class VmxInstructionExitsTest {
    private static void proc(Guest g, int on) {
        Vmcs v = g.vcpu.vmcs;
        v.write(VmcsField.PROC_BASED_CONTROLS, v.read(VmcsField.PROC_BASED_CONTROLS) | on);
    }

    private static void secondary(Guest g, int bits) {
        proc(g, ProcBased.ACTIVATE_SECONDARY_CONTROLS);
        g.vcpu.vmcs.write(VmcsField.SECONDARY_PROC_BASED_CONTROLS, g.vcpu.vmcs.read(VmcsField.SECONDARY_PROC_BASED_CONTROLS) | bits);
    }

    private static void skip(Guest g, ExitInfo e) {
        X86Registers r = g.regs();
        r.eip = (int) e.rip + e.instructionLength;
        g.vcpu.setRegisters(r);
    }

    private static long field(Guest g, VmcsField f) {
        return g.vcpu.vmcs.read(f);
    }

    @Test
    void monitorAndMwaitExitWithTheArmedBit() {
        // monitor; mwait; monitor; mwait; hlt (EAX = 0x4000, ECX = 0)
        try (Guest g = Guest.flat32(0x1000, Guest.hex("0f01c8 0f01c9 0f01c8 0f01c9 f4"))) {
            X86Registers r = g.regs();
            r.gpr[X86Registers.EAX] = 0x4000;
            g.vcpu.setRegisters(r);
            proc(g, ProcBased.MONITOR_EXITING | ProcBased.MWAIT_EXITING);
            ExitInfo e = g.run();
            assertEquals(ExitReason.MONITOR, e.reason);
            assertEquals(39, field(g, VmcsField.EXIT_REASON));
            assertEquals(3, e.instructionLength);
            skip(g, e);
            e = g.run();
            assertEquals(ExitReason.MWAIT, e.reason);
            assertEquals(36, field(g, VmcsField.EXIT_REASON));
            assertEquals(0, e.qualification, "MONITOR exited, so the monitor is not armed");
            skip(g, e);
            g.vcpu.vmcs.disable(VmcsField.PROC_BASED_CONTROLS, "MONITOR_EXITING");
            e = g.run();
            assertEquals(ExitReason.MWAIT, e.reason);
            assertEquals(0x1009, e.rip);
            assertEquals(1, e.qualification, "bit 0: MWAIT with the monitor armed (SDM 28.2.1)");
            skip(g, e);
            g.vcpu.vmcs.disable(VmcsField.PROC_BASED_CONTROLS, "MWAIT_EXITING");
            assertEquals(ExitReason.HLT, g.run().reason);
        }
    }

    @Test
    void monitorAtCpl3IsUndefinedBeforeItExits() {
        try (Guest g = Guest.flat32(0x1000, Guest.hex("0f01c8"))) {
            X86Registers r = g.regs();
            for (int s = 0; s < 6; s++) r.seg[s].access |= 3 << 5; // DPL 3: CPL 3 (SS.DPL)
            r.seg[X86Registers.CS].selector |= 3;
            r.seg[X86Registers.SS].selector |= 3;
            g.vcpu.setRegisters(r);
            proc(g, ProcBased.MONITOR_EXITING);
            g.vcpu.vmcs.write(VmcsField.EXCEPTION_BITMAP, 1 << 6);
            ExitInfo e = g.run();
            assertEquals(ExitReason.EXCEPTION_NMI, e.reason, "#UD has priority over the exit (SDM 26.1.1)");
            assertEquals(6, e.vector);
        }
    }

    @Test
    void rdpmcExitsOnlyWithItsControl() {
        try (Guest g = Guest.flat32(0x1000, Guest.hex("0f33 f4"))) {
            proc(g, ProcBased.RDPMC_EXITING);
            ExitInfo e = g.run();
            assertEquals(ExitReason.RDPMC, e.reason);
            assertEquals(15, field(g, VmcsField.EXIT_REASON));
            assertEquals(2, e.instructionLength);
        }
        try (Guest g = Guest.flat32(0x1000, Guest.hex("0f33 f4"))) {
            g.vcpu.vmcs.write(VmcsField.EXCEPTION_BITMAP, 1 << 13);
            ExitInfo e = g.run();
            assertEquals(ExitReason.EXCEPTION_NMI, e.reason, "without exiting: #GP, no counter is valid");
            assertEquals(13, e.vector);
        }
    }

    @Test
    void wbinvdExitsWithTheSecondaryControlAndInvdAlways() {
        try (Guest g = Guest.flat32(0x1000, Guest.hex("0f09 0f08 f4"))) {
            ExitInfo e = g.run();
            assertEquals(ExitReason.INVD, e.reason, "WBINVD ran without its control; INVD exits unconditionally");
            assertEquals(13, field(g, VmcsField.EXIT_REASON));
            assertEquals(0x1002, e.rip);
        }
        try (Guest g = Guest.pagedFlat32(0x1000, Guest.hex("0f09 f4"))) {
            // The secondary controls count only with "activate secondary controls" (SDM 25.6.2); without them
            // "unrestricted guest" is off too, so the guest is a paged one.
            Vmcs v = g.vcpu.vmcs;
            v.write(VmcsField.PROC_BASED_CONTROLS, v.read(VmcsField.PROC_BASED_CONTROLS) & ~ProcBased.ACTIVATE_SECONDARY_CONTROLS);
            v.write(VmcsField.SECONDARY_PROC_BASED_CONTROLS, v.read(VmcsField.SECONDARY_PROC_BASED_CONTROLS) | ProcBased2.WBINVD_EXITING);
            assertEquals(ExitReason.HLT, g.run().reason);
        }
        try (Guest g = Guest.flat32(0x1000, Guest.hex("0f09 f4"))) {
            secondary(g, ProcBased2.WBINVD_EXITING);
            ExitInfo e = g.run();
            assertEquals(ExitReason.WBINVD, e.reason);
            assertEquals(54, field(g, VmcsField.EXIT_REASON));
        }
    }

    @Test
    void gdtrIdtrAccessCarriesTheDisplacementAndTable2810() {
        // lgdt [0x5000]; sgdt [eax+ecx*4+0x10]; o16 sidt [bp+si] (a 16-bit address: 67 prefix)
        try (Guest g = Guest.flat32(0x1000, Guest.hex("0f011500500000 0f01448810 66670f010a f4"))) {
            secondary(g, ProcBased2.DESCRIPTOR_TABLE_EXITING);
            ExitInfo e = g.run();
            assertEquals(ExitReason.GDTR_IDTR_ACCESS, e.reason);
            assertEquals(46, field(g, VmcsField.EXIT_REASON));
            assertEquals(0x5000, e.qualification);
            assertEquals(7, e.instructionLength);
            long info = field(g, VmcsField.VM_EXIT_INSTRUCTION_INFO);
            // address size 32 (bit 7), operand size 32 (bit 11), DS (3 << 15), no index (bit 22), no base (bit 27), LGDT (2 << 28)
            assertEquals(1L << 7 | 1L << 11 | 3L << 15 | 1L << 22 | 1L << 27 | 2L << 28, info);
            assertEquals(0xffff, g.regs().gdtLimit, "the exit came before the load");
            skip(g, e);
            e = g.run();
            info = field(g, VmcsField.VM_EXIT_INSTRUCTION_INFO);
            assertEquals(0x10, e.qualification);
            assertEquals(InstructionInformation.SGDT, InstructionInformation.identity(info));
            assertEquals(2, InstructionInformation.scale(info), "x4");
            assertEquals(X86Registers.ECX, InstructionInformation.index(info));
            assertEquals(X86Registers.EAX, InstructionInformation.base(info));
            assertEquals(4, InstructionInformation.addressSize(info));
            skip(g, e);
            e = g.run();
            info = field(g, VmcsField.VM_EXIT_INSTRUCTION_INFO);
            assertEquals(InstructionInformation.SIDT, InstructionInformation.identity(info));
            assertEquals(2, InstructionInformation.addressSize(info));
            assertEquals(2, InstructionInformation.operandSize(info));
            assertEquals(X86Registers.EBP, InstructionInformation.base(info));
            assertEquals(X86Registers.ESI, InstructionInformation.index(info));
            assertEquals(2, InstructionInformation.segment(info), "[bp+si] defaults to SS");
        }
    }

    @Test
    void ldtrTrAccessDistinguishesRegisterAndMemoryOperands() {
        // sldt eax; str ecx; ltr [ebx]; lldt [es:0x20]
        try (Guest g = Guest.flat32(0x1000, Guest.hex("0f00c0 0f00c9 0f001b 260f001520000000 f4"))) {
            secondary(g, ProcBased2.DESCRIPTOR_TABLE_EXITING);
            ExitInfo e = g.run();
            assertEquals(ExitReason.LDTR_TR_ACCESS, e.reason);
            assertEquals(47, field(g, VmcsField.EXIT_REASON));
            long info = field(g, VmcsField.VM_EXIT_INSTRUCTION_INFO);
            assertTrue(InstructionInformation.registerOperand(info));
            assertEquals(InstructionInformation.SLDT, InstructionInformation.identity(info));
            assertEquals(X86Registers.EAX, InstructionInformation.reg1(info));
            skip(g, e);
            e = g.run();
            info = field(g, VmcsField.VM_EXIT_INSTRUCTION_INFO);
            assertEquals(InstructionInformation.STR, InstructionInformation.identity(info));
            assertEquals(X86Registers.ECX, InstructionInformation.reg1(info));
            skip(g, e);
            e = g.run();
            info = field(g, VmcsField.VM_EXIT_INSTRUCTION_INFO);
            assertFalse(InstructionInformation.registerOperand(info));
            assertEquals(InstructionInformation.LTR, InstructionInformation.identity(info));
            assertEquals(X86Registers.EBX, InstructionInformation.base(info));
            assertEquals(-1, InstructionInformation.index(info));
            assertEquals(0, e.qualification);
            skip(g, e);
            e = g.run();
            info = field(g, VmcsField.VM_EXIT_INSTRUCTION_INFO);
            assertEquals(InstructionInformation.LLDT, InstructionInformation.identity(info));
            assertEquals(0, InstructionInformation.segment(info), "ES override");
            assertEquals(0x20, e.qualification);
            assertEquals(8, e.instructionLength);
        }
    }

    @Test
    void thisCpuHasNoRdtscpSoItsControlHasNothingToExitFor() {
        // CPUID.80000001H:EDX.RDTSCP[bit 27] is clear in the interpreter's model; 0F 01 F9 is #UD whatever the controls say.
        assertEquals(0, CpuidTable.interpreterDefault().get(0x80000001, 0).edx() & (1 << 27));
        try (Guest g = Guest.flat32(0x1000, Guest.hex("0f01f9"))) {
            secondary(g, ProcBased2.ENABLE_RDTSCP);
            g.vcpu.vmcs.write(VmcsField.EXCEPTION_BITMAP, 1 << 6);
            ExitInfo e = g.run();
            assertEquals(ExitReason.EXCEPTION_NMI, e.reason);
            assertEquals(6, e.vector);
        }
    }
}
