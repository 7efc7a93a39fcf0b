package dev.trapdoor.cpu.diff;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.cpu.InterpreterBackend;
import dev.trapdoor.cpu.InterpreterVcpu;
import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;

import java.util.Arrays;

/**
 * Runs a harness image on the interpreter: flat 32-bit protected mode at CPL 0, paging off, the
 * image at the same addresses as in the native process. The IDT is empty and every exception
 * exits (exception bitmap all ones), so the harness's INT 80h arrives as #GP(0x402) and is
 * served here as the Linux write/exit system calls; any other exception ends only its own case.
 */
final class InterpRunner {
    private static final int SYS_EXIT = 1, SYS_WRITE = 4;

    private InterpRunner() {}

    static Harness.Outcome[] run(Harness.Image image) {
        int cases = image.caseStarts().length - 1;
        Harness.Outcome[] out = new Harness.Outcome[cases];
        try (PhysicalMemory mem = new PhysicalMemory(); InterpreterBackend backend = new InterpreterBackend()) {
            mem.addRam("diff", Harness.BASE, image.bytes().length);
            mem.write(Harness.BASE, image.bytes());
            backend.syncMemory(mem);
            InterpreterVcpu vcpu = (InterpreterVcpu) backend.createVcpu(0);
            vcpu.vmcs.set("EXCEPTION_BITMAP", -1);
            X86Registers r = X86Registers.flat32(image.entry());
            r.idtBase = 0;
            r.idtLimit = 0;
            vcpu.setRegisters(r);
            ExitInfo exit = new ExitInfo();
            int next = 0;
            while (true) {
                vcpu.run(exit);
                vcpu.getRegisters(r);
                int at = (int) exit.rip;
                if (exit.reason != ExitReason.EXCEPTION_NMI) {
                    throw new IllegalStateException("interpreter exit " + exit.reason + " at " + Integer.toHexString(at) + ": " + exit.message);
                }
                boolean syscall = exit.vector == 13 && mem.read8(at) == 0xcd && mem.read8(at + 1) == 0x80;
                if (syscall && r.gpr[X86Registers.EAX] == SYS_EXIT) break;
                if (syscall && r.gpr[X86Registers.EAX] == SYS_WRITE) {
                    byte[] rec = mem.readBytes(r.gpr[X86Registers.ECX] & 0xffffffffL, Harness.RECORD_SIZE);
                    out[next++] = Harness.Outcome.parse(rec, 0);
                    r.eip = at + 2;
                } else {
                    // A fault inside case k: record it and go on with case k + 1.
                    int k = caseAt(image.caseStarts(), at);
                    if (k < 0 || k >= cases) {
                        throw new IllegalStateException("exception " + exit.vector + " outside the cases at " + Integer.toHexString(at));
                    }
                    while (next < k) out[next++] = Harness.Outcome.faulted(-2); // cannot happen: cases run in order
                    out[next++] = Harness.Outcome.faulted(exit.vector);
                    r.eip = image.caseStarts()[k + 1];
                }
                vcpu.setRegisters(r);
            }
            vcpu.close();
        }
        return Arrays.copyOf(out, cases);
    }

    private static int caseAt(int[] starts, int eip) {
        int i = Arrays.binarySearch(starts, eip);
        return i >= 0 ? i : -i - 2;
    }
}
