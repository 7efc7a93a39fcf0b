package dev.trapdoor.cpu;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class ExceptionTest {
    @Test
    void undefinedOpcodeGoesThroughTheRealModeIvt() {
        // 0x7c00: d6 (undefined); the #UD handler at 0000:0x7d00: mov bl,0x42; pop si; hlt
        try (Guest g = Guest.realMode(0x7c00, Guest.hex("d6 f4"))) {
            g.memory.write(0x7d00, Guest.hex("b342 5e f4"));
            g.memory.write16(6 * 4, 0x7d00);
            g.memory.write16(6 * 4 + 2, 0);
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason, e.message);
            assertEquals(0x7d03, e.rip);
            X86Registers r = g.regs();
            assertEquals(0x42, r.gpr[X86Registers.EBX] & 0xff);
            assertEquals(0x7c00, r.gpr[X86Registers.ESI] & 0xffff, "#UD is a fault: IP of the bad opcode pushed");
            assertEquals(0x7000 - 4, r.gpr[X86Registers.ESP] & 0xffff, "FLAGS and CS still on the stack");
        }
    }

    @Test
    void undefinedOpcodeExitsWhenTheBitmapSaysSo() {
        try (Guest g = Guest.flat32(0x1000, Guest.hex("90 0fff"))) {
            g.vcpu.vmcs.set("EXCEPTION_BITMAP", 1 << 6);
            ExitInfo e = g.run();
            assertEquals(ExitReason.EXCEPTION_NMI, e.reason);
            assertEquals(6, e.vector);
            assertEquals(0x1001, e.rip);
            assertEquals(1, g.vcpu.instructionsRetired());
        }
    }

    @Test
    void int3ExitCarriesTheInstructionLength() {
        try (Guest g = Guest.flat32(0x1000, Guest.hex("cc f4"))) {
            g.vcpu.vmcs.set("EXCEPTION_BITMAP", 1 << 3);
            ExitInfo e = g.run();
            assertEquals(ExitReason.EXCEPTION_NMI, e.reason);
            assertEquals(3, e.vector);
            assertEquals(1, e.instructionLength);
        }
    }

    @Test
    void privilegedInstructionsNeedCpl0AndLockNeedsMemory() {
        try (Guest g = Guest.flat32(0x1000, Guest.hex("f0 01 c0 f4"))) { // lock add eax,eax
            g.vcpu.vmcs.set("EXCEPTION_BITMAP", 1 << 6);
            ExitInfo e = g.run();
            assertEquals(6, e.vector);
        }
    }

    @Test
    void cpuidExitsAtTheInstructionAndTheHandlerAdvances() {
        try (Guest g = Guest.flat32(0x1000, Guest.hex("31c0 0fa2 f4"))) {
            ExitInfo e = g.run();
            assertEquals(ExitReason.CPUID, e.reason);
            assertEquals(0x1002, e.rip);
            assertEquals(2, e.instructionLength);
            X86Registers r = g.regs();
            assertEquals(0x1002, r.eip);
            r.gpr[X86Registers.EBX] = 0x756e6547;
            r.eip += e.instructionLength;
            g.vcpu.setRegisters(r);
            assertEquals(ExitReason.HLT, g.run().reason);
            assertEquals(0x756e6547, g.reg(X86Registers.EBX));
        }
    }

    @Test
    void pageFaultThroughPagingReportsTheAddress() {
        // Paging on: page directory at 0x20000 maps 0-4 MiB through a table at 0x21000 with page 0x5000 absent.
        try (Guest g = Guest.flat32(0x1000, Guest.hex("a100500000 f4"))) { // mov eax,[0x5000]
            for (int p = 0; p < 1024; p++) g.memory.write32(0x21000 + p * 4, p == 5 ? 0 : (p << 12) | 3);
            g.memory.write32(0x20000, 0x21000 | 3);
            X86Registers r = g.regs();
            r.cr3 = 0x20000;
            r.cr0 |= 0x80000000L;
            g.vcpu.setRegisters(r);
            g.vcpu.vmcs.set("EXCEPTION_BITMAP", 1 << 14);
            ExitInfo e = g.run();
            assertEquals(ExitReason.EXCEPTION_NMI, e.reason, e.message);
            assertEquals(14, e.vector);
            assertEquals(0, e.errorCode, "not present, read, supervisor");
            assertEquals(0x5000, e.qualification);
            assertEquals(0x20, g.memory.read32(0x21000 + 4) & 0x20, "accessed bit set on the code page's PTE");
        }
    }

    @Test
    void boundRaisesBoundRangeExceeded() {
        // bounds [10, 20] at 0x2000; mov ecx,15; bound ecx,[0x2000]; mov ecx,21; bound ecx,[0x2000]
        try (Guest g = Guest.flat32(0x1000, Guest.hex("b90f000000 620d00200000 b915000000 620d00200000 f4"))) {
            g.memory.write32(0x2000, 10);
            g.memory.write32(0x2004, 20);
            g.vcpu.vmcs.set("EXCEPTION_BITMAP", 1 << 5);
            ExitInfo e = g.run();
            assertEquals(ExitReason.EXCEPTION_NMI, e.reason);
            assertEquals(5, e.vector);
            assertEquals(0x1010, e.rip);
        }
    }

    @Test
    void x87IsDeviceNotAvailableWithEmulationOnAndExecutesOtherwise() {
        try (Guest g = Guest.flat32(0x1000, Guest.hex("d9c0 f4"))) { // fld st(0)
            g.vcpu.vmcs.set("EXCEPTION_BITMAP", (1 << 6) | (1 << 7));
            X86Registers r = g.regs();
            r.cr0 |= 4; // EM
            g.vcpu.setRegisters(r);
            assertEquals(7, g.run().vector);
            r.cr0 &= ~4;
            g.vcpu.setRegisters(r);
            assertEquals(ExitReason.HLT, g.run().reason);
            // ST(0) was empty: the masked stack underflow pushes the real indefinite.
            assertEquals(7, g.vcpu.fpu().top());
            assertEquals(0xffff, g.vcpu.fpu().stSe(0));
            assertEquals(0xc000000000000000L, g.vcpu.fpu().stSig(0));
        }
    }

    @Test
    void arplRaisesTheRequestedPrivilegeLevel() {
        // mov ax,0x10; mov cx,0x1b; arpl ax,cx; setz bl; hlt
        try (Guest g = Guest.flat32(0x1000, Guest.hex("66b81000 66b91b00 63c8 0f94c3 f4"))) {
            assertEquals(ExitReason.HLT, g.run().reason);
            assertEquals(0x13, g.reg(X86Registers.EAX) & 0xffff);
            assertEquals(1, g.reg(X86Registers.EBX) & 0xff);
        }
    }

    @Test
    void debugRegistersHoldTheirValuesWithFixedBits() {
        // nopl 0(%eax,%eax,1); mov eax,0x12345678; mov dr0,eax; mov ebx,dr0; xor eax,eax; mov dr7,eax; mov ecx,dr7; mov edx,dr5(=dr7)
        try (Guest g = Guest.flat32(0x1000, Guest.hex("0f1f440000 b878563412 0f23c0 0f21c3 31c0 0f23f8 0f21f9 0f21ea f4"))) {
            assertEquals(ExitReason.HLT, g.run().reason);
            X86Registers r = g.regs();
            assertEquals(0x12345678, r.gpr[X86Registers.EBX]);
            assertEquals(0x400, r.gpr[X86Registers.ECX], "DR7 bit 10 reads as one");
            assertEquals(0x400, r.gpr[X86Registers.EDX], "DR5 aliases DR7 with CR4.DE clear");
        }
    }

    @Test
    void trapFlagSingleStepsAfterTheInstructionFollowingPopf() {
        // pushf; or dword [esp],0x100; popf; nop; nop; hlt
        try (Guest g = Guest.flat32(0x1000, Guest.hex("9c 810c2400010000 9d 90 90 f4"))) {
            g.vcpu.vmcs.set("EXCEPTION_BITMAP", 1 << 1);
            ExitInfo e = g.run();
            assertEquals(ExitReason.EXCEPTION_NMI, e.reason, e.message);
            assertEquals(1, e.vector);
            assertEquals(0x100a, e.rip, "trap: reported after the first nop");
            e = g.run();
            assertEquals(1, e.vector);
            assertEquals(0x100b, e.rip, "and after the second");
        }
    }
}
