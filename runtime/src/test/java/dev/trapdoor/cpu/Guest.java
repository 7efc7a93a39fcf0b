package dev.trapdoor.cpu;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.vmx.ExitInfo;

import java.lang.foreign.ValueLayout;

/** A test machine: 1 MiB of RAM at 0, one interpreter vCPU, helpers to load code and run to the next exit. */
final class Guest implements AutoCloseable {
    final PhysicalMemory memory = new PhysicalMemory();
    final InterpreterBackend backend = new InterpreterBackend();
    final InterpreterVcpu vcpu;
    final ExitInfo exit = new ExitInfo();
    final X86Registers regs;

    Guest(X86Registers initial) {
        memory.addRam("ram", 0, 1 << 20);
        backend.syncMemory(memory);
        vcpu = (InterpreterVcpu) backend.createVcpu(0);
        regs = initial;
        vcpu.setRegisters(initial);
    }

    static Guest realMode(int loadAt, byte[] code) {
        Guest g = new Guest(X86Registers.realMode(0, loadAt));
        g.regs.gpr[X86Registers.ESP] = 0x7000;
        g.vcpu.setRegisters(g.regs);
        g.memory.write(loadAt, code);
        return g;
    }

    static Guest flat32(int loadAt, byte[] code) {
        Guest g = new Guest(X86Registers.flat32(loadAt));
        g.regs.gpr[X86Registers.ESP] = 0x80000;
        g.vcpu.setRegisters(g.regs);
        g.memory.write(loadAt, code);
        return g;
    }

    /** Page directory of {@link #pagedFlat32}: one 4-MiB page maps linear 0-4 MiB to itself. */
    static final int PAGED_PD = 0x9000;

    /** Flat 32-bit protected mode with paging on (CR4.PSE, one 4-MiB page at 0): a guest that enters without "unrestricted guest". */
    static Guest pagedFlat32(int loadAt, byte[] code) {
        Guest g = flat32(loadAt, code);
        g.memory.write32(PAGED_PD, 0x87); // present, writable, user, PS
        g.regs.cr3 = PAGED_PD;
        g.regs.cr4 |= 1 << 4;
        g.regs.cr0 |= 0x80000000L;
        g.vcpu.setRegisters(g.regs);
        return g;
    }

    ExitInfo run() {
        vcpu.run(exit);
        return exit;
    }

    X86Registers regs() {
        X86Registers r = new X86Registers();
        vcpu.getRegisters(r);
        return r;
    }

    int reg(int r) {
        return regs().gpr[r];
    }

    int dataByte(int k) {
        return exit.data.get(ValueLayout.JAVA_BYTE, k) & 0xff;
    }

    String dataString() {
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < exit.count * exit.size; k++) sb.append((char) dataByte(k));
        return sb.toString();
    }

    static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) b[i] = (byte) v[i];
        return b;
    }

    static byte[] hex(String s) {
        s = s.replaceAll("\\s+", "");
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        return b;
    }

    @Override
    public void close() {
        vcpu.close();
        backend.close();
        memory.close();
    }
}
