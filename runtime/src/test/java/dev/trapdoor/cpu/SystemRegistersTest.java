package dev.trapdoor.cpu;

import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** CR4 bits by the CPUID features, SYSENTER MSRs answered inside the CPU, RDPMC without counters. */
class SystemRegistersTest {
    /**
     * <pre>
     *  0: mov $0x290,%eax; mov %eax,%cr4; mov %cr4,%ebx        (PSE | PGE | OSFXSR, what Linux 686 sets)
     *  b: mov $0x175,%ecx; mov $0xabcd,%eax; xor %edx,%edx; wrmsr; xor %eax,%eax; rdmsr; mov %eax,%esi; hlt
     * 20: mov $0x291,%eax; mov %eax,%cr4; hlt                   (VME is not offered)
     * 29: xor %ecx,%ecx; rdpmc; hlt
     * </pre>
     */
    static final String PROGRAM = "b8900200000f22e00f20e3b975010000b8cdab000031d20f3031c00f3289c6f4b8910200000f22e0f431c90f33f4";

    @Test
    void linuxCr4BitsAreAcceptedAndSysenterMsrsStayInTheCpu() {
        try (Guest g = Guest.flat32(0x1000, Guest.hex(PROGRAM))) {
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason, "no RDMSR/WRMSR exit for IA32_SYSENTER_ESP: " + e.reason);
            assertEquals(0x290, g.reg(3));
            assertEquals(0xabcd, g.reg(6));
            assertEquals(0x290, g.regs().cr4);
        }
    }

    @Test
    void unsupportedCr4BitsAndRdpmcAreGeneralProtection() {
        for (int start : new int[] {0x1020, 0x1029}) {
            try (Guest g = Guest.flat32(0x1000, Guest.hex(PROGRAM))) {
                g.vcpu.vmcs.set("EXCEPTION_BITMAP", 1 << 13);
                var r = g.regs();
                r.eip = start;
                g.vcpu.setRegisters(r);
                ExitInfo e = g.run();
                assertEquals(ExitReason.EXCEPTION_NMI, e.reason);
                assertEquals(13, e.vector);
                assertEquals(0, e.errorCode);
            }
        }
    }
}
