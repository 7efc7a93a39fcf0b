package dev.trapdoor.kvm;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.backend.VcpuBackend;
import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.vmx.ExitInfo;

/** A one-vCPU KVM machine with 1 MiB of RAM at 0, for tests and the benchmark. */
final class KvmGuest implements AutoCloseable {
    final PhysicalMemory memory = new PhysicalMemory();
    final KvmBackend backend;
    final VcpuBackend vcpu;
    final ExitInfo exit = new ExitInfo();

    KvmGuest() {
        memory.addRam("ram", 0, 0x100000);
        backend = new KvmBackend();
        backend.syncMemory(memory);
        vcpu = backend.createVcpu(0);
    }

    static byte[] bytes(int... b) {
        byte[] r = new byte[b.length];
        for (int i = 0; i < b.length; i++) r[i] = (byte) b[i];
        return r;
    }

    /** Loads code at 0x1000 and points a real-mode CS:IP (0:0x1000) at it. */
    KvmGuest realMode(int... code) {
        memory.write(0x1000, bytes(code));
        vcpu.setRegisters(X86Registers.realMode(0, 0x1000));
        return this;
    }

    /** Loads code at 0x1000 and enters it in flat 32-bit protected mode. */
    KvmGuest flat32(int... code) {
        memory.write(0x1000, bytes(code));
        vcpu.setRegisters(X86Registers.flat32(0x1000));
        return this;
    }

    ExitInfo run() {
        vcpu.run(exit);
        return exit;
    }

    X86Registers registers() {
        X86Registers r = new X86Registers();
        vcpu.getRegisters(r);
        return r;
    }

    @Override
    public void close() {
        vcpu.close();
        backend.close();
        memory.close();
    }
}
