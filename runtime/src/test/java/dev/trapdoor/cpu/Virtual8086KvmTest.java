package dev.trapdoor.cpu;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.backend.Backend;
import dev.trapdoor.backend.VcpuBackend;
import dev.trapdoor.kvm.KvmBackend;
import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The v86 monitor of {@link V86Image} on KVM and on the interpreter: the same exits, the same
 * trap log (every frame the CPU pushed, EFLAGS included), the same memory the program and the
 * monitor wrote and the same final registers. Skips, saying why, where /dev/kvm cannot run it.
 */
class Virtual8086KvmTest {
    /** What a run leaves: the exits' summaries, the memory that the guest wrote, the final registers. */
    private record Outcome(String exits, byte[] monitorData, byte[] programData, byte[] v86Stack, byte[] ring0Stack, X86Registers regs) {
    }

    private static Outcome run(Backend backend, PhysicalMemory memory) {
        V86Image.load(memory);
        backend.syncMemory(memory);
        try (VcpuBackend vcpu = backend.createVcpu(0)) {
            vcpu.setRegisters(X86Registers.flat32(0x1000));
            ExitInfo e = new ExitInfo();
            StringBuilder exits = new StringBuilder();
            vcpu.run(e);
            exits.append(e.reason);
            if (e.reason == ExitReason.IO_INSTRUCTION) {
                exits.append(" port ").append(Integer.toHexString(e.port)).append(e.in ? " in " : " out ").append(e.size)
                        .append(" data ").append(Integer.toHexString(e.data.get(ValueLayout.JAVA_BYTE, 0) & 0xff));
                vcpu.run(e);
                exits.append(", ").append(e.reason);
            }
            if (e.reason != ExitReason.HLT) exits.append(" (").append(e.message).append(")");
            X86Registers r = new X86Registers();
            vcpu.getRegisters(r);
            return new Outcome(exits.toString(), memory.readBytes(0x6ff0, 0x10 + 6 * 64), memory.readBytes(0x21000, 8),
                    memory.readBytes(0x3ffe0, 0x20), memory.readBytes(0x7f00, 0x100), r);
        }
    }

    @Test
    void kvmAndTheInterpreterAgree() {
        String why = KvmBackend.availability();
        Assumptions.assumeTrue(why == null, () -> "KVM: " + why);
        Outcome interp;
        try (PhysicalMemory m = new PhysicalMemory(); InterpreterBackend b = new InterpreterBackend()) {
            m.addRam("ram", 0, 1 << 20);
            interp = run(b, m);
        }
        Outcome kvm;
        try (PhysicalMemory m = new PhysicalMemory(); KvmBackend b = new KvmBackend()) {
            m.addRam("ram", 0, 1 << 20);
            kvm = run(b, m);
        }
        assertEquals("IO_INSTRUCTION port 80 out 1 data 55, HLT", interp.exits());
        if (KvmBackend.isSoftwareKvm()) {
            Assumptions.assumeTrue(kvm.exits().equals(interp.exits()), () -> KvmBackend.softwareKvmNote()
                    + "; it does not run this virtual-8086 guest (exits: " + kvm.exits() + "; dmesg | grep kvm-pvm says why)");
        }
        assertEquals(interp.exits(), kvm.exits());
        assertArrayEquals(interp.monitorData(), kvm.monitorData(), "trap log, count, virtual IF, port");
        assertArrayEquals(interp.programData(), kvm.programData(), "what the v86 program wrote");
        assertArrayEquals(interp.v86Stack(), kvm.v86Stack(), "the v86 stack");
        assertArrayEquals(interp.ring0Stack(), kvm.ring0Stack(), "the ring-0 stack");
        assertArrayEquals(interp.regs().gpr, kvm.regs().gpr, "general registers");
        assertEquals(interp.regs().eip, kvm.regs().eip, "EIP");
        assertEquals(interp.regs().eflags, kvm.regs().eflags, "EFLAGS");
        for (int s = 0; s < 6; s++) assertEquals(interp.regs().seg[s].selector, kvm.regs().seg[s].selector, "selector " + s);
    }
}
