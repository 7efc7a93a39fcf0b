package dev.trapdoor.boot;

import dev.trapdoor.backend.VcpuBackend;
import dev.trapdoor.kvm.KvmBackend;
import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;

import static dev.trapdoor.boot.TestImages.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The 64-bit boot protocol's entry state on /dev/kvm: a synthetic x86-64 bzImage whose startup_64
 * runs instructions that only mean what they say in 64-bit mode, and reads the zero page through RSI.
 */
class Entry64OnKvmTest {
    @BeforeAll
    static void needKvm() {
        String why = KvmBackend.availability();
        Assumptions.assumeTrue(why == null, why);
    }

    // At load + 0x200 (startup_64):
    private static final int[] STARTUP_64 = {
            0x48, 0xb8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, // mov rax, 0x1122334455667788
            0x48, 0xc1, 0xe8, 0x20,                                     // shr rax, 32  -> eax = 0x11223344 only in 64-bit mode
            0x66, 0xba, 0x80, 0x00,                                     // mov dx, 0x80
            0xef,                                                       // out dx, eax
            0x8b, 0x86, 0x02, 0x02, 0x00, 0x00,                         // mov eax, [rsi + 0x202]: the header magic "HdrS"
            0xef,                                                       // out dx, eax
            0xf4,                                                       // hlt
    };

    @Test
    void startup64RunsInLongModeWithRsiAtTheZeroPage() {
        BzImage b = new BzImage();
        b.xloadflags = SetupHeader.XLF_KERNEL_64;
        b.kernel = new byte[0x3000];
        for (int i = 0; i < STARTUP_64.length; i++) b.kernel[0x200 + i] = (byte) STARTUP_64[i];
        try (PhysicalMemory m = ram(64L << 20); KvmBackend kvm = new KvmBackend()) {
            BootPlan plan = new LinuxBootLoader(b.build()).entry64(true).load(m);
            kvm.syncMemory(m);
            VcpuBackend vcpu = kvm.createVcpu(0);
            try {
                vcpu.setRegisters(plan.initialRegisters());
                ExitInfo e = new ExitInfo();
                vcpu.run(e);
                Assumptions.assumeTrue(e.reason == ExitReason.IO_INSTRUCTION || !KvmBackend.isSoftwareKvm(),
                        "this host's KVM is kvm_pvm, a software KVM that did not run a 64-bit guest: it exited with " + e.reason
                                + (e.message.isEmpty() ? "" : " (" + e.message + ")"));
                assertEquals(ExitReason.IO_INSTRUCTION, e.reason, String.valueOf(e.message));
                assertEquals(0x80, e.port);
                assertEquals(0x11223344, e.data.get(ValueLayout.JAVA_INT_UNALIGNED, 0), "REX.W arithmetic: the CPU is in 64-bit mode");
                vcpu.run(e);
                assertEquals(ExitReason.IO_INSTRUCTION, e.reason, String.valueOf(e.message));
                assertEquals(0x53726448, e.data.get(ValueLayout.JAVA_INT_UNALIGNED, 0), "RSI points at boot_params (its header magic)");
                vcpu.run(e);
                assertEquals(ExitReason.HLT, e.reason);
            } finally {
                vcpu.close();
            }
        }
    }
}
