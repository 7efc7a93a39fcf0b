package dev.trapdoor.cpu.diff;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.cpu.InterpreterBackend;
import dev.trapdoor.cpu.InterpreterVcpu;
import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Random byte streams as code on the interpreter, in real mode, 32-bit ring 0 and 32-bit ring 3
 * (a GDT, a TSS for the ring-0 stack, and an IDT whose handlers step the return address one byte
 * forward so that execution goes on through the junk). Each stream runs until an exit that
 * ends it or a watchdog's stop request (a few milliseconds); I/O, CPUID and MSR exits are
 * answered and the run resumed. INTERNAL_ERROR (a host exception inside the interpreter) is a
 * failure, reported with the stream's seed and first bytes.
 */
final class FuzzRunner {
    enum Mode { REAL, RING0, RING3 }

    static final int CODE = 0x10000, CODE_SIZE = 0x10000;
    private static final int GDT = 0x500, IDT = 0x800, STUBS = 0x1000, TSS = 0x2000, STACK0 = 0x9000, STACK3 = 0x8000;
    private static final int MAX_RESUMES = 32;

    final Map<ExitReason, Long> outcomes = new EnumMap<>(ExitReason.class);
    final List<String> failures = new ArrayList<>();
    long streams;
    long instructions;

    private final PhysicalMemory memory = new PhysicalMemory();
    private final InterpreterBackend backend = new InterpreterBackend();
    private final InterpreterVcpu vcpu;
    private final ExitInfo exit = new ExitInfo();
    private volatile long running = -1;

    FuzzRunner() {
        memory.addRam("ram", 0, 1 << 20);
        backend.syncMemory(memory);
        vcpu = (InterpreterVcpu) backend.createVcpu(0);
    }

    /** Runs count streams per mode from seed, each stopped after about sliceMillis. */
    void run(long seed, int count, int sliceMillis) {
        Thread watchdog = Thread.ofPlatform().daemon().start(() -> {
            long seen = -2;
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(sliceMillis);
                } catch (InterruptedException e) {
                    return;
                }
                long now = running;
                if (now >= 0 && now == seen) vcpu.requestStop();
                seen = now;
            }
        });
        try {
            for (int k = 0; k < count; k++) {
                for (Mode m : Mode.values()) runOne(seed * 1_000_003L + 3L * k + m.ordinal(), m);
            }
        } finally {
            watchdog.interrupt();
        }
    }

    private void runOne(long streamSeed, Mode mode) {
        Random rnd = new Random(streamSeed);
        byte[] junk = new byte[CODE_SIZE];
        rnd.nextBytes(junk);
        memory.write(0, new byte[1 << 20]);
        memory.write(CODE, junk);
        X86Registers r = setUp(mode, rnd);
        vcpu.vmcs.set("EXCEPTION_BITMAP", rnd.nextInt(4) == 0 ? -1 : 0);
        vcpu.setRegisters(r);
        long before = vcpu.instructionsRetired();
        running = streams;
        ExitReason last = null;
        for (int resumes = 0; resumes < MAX_RESUMES; resumes++) {
            vcpu.run(exit);
            last = exit.reason;
            if (last == ExitReason.INTERNAL_ERROR) {
                failures.add(String.format("%s seed %d: %s; bytes at %x: %s", mode, streamSeed, exit.message, exit.rip,
                        HexFormat.of().formatHex(memory.readBytes(exit.rip & 0xfffff, 16))));
                break;
            }
            if (!answer()) break;
        }
        running = -1;
        instructions += vcpu.instructionsRetired() - before;
        streams++;
        outcomes.merge(last, 1L, Long::sum);
    }

    /** Answers the exits a VMM would complete and resume from; false for the ones that end the stream. */
    private boolean answer() {
        switch (exit.reason) {
            case IO_INSTRUCTION -> {
                return true; // IN data stays as the buffer holds it; the next run completes the instruction
            }
            case CPUID, RDMSR, WRMSR -> {
                X86Registers r = new X86Registers();
                vcpu.getRegisters(r);
                r.eip += exit.instructionLength;
                vcpu.setRegisters(r);
                return true;
            }
            default -> {
                return false;
            }
        }
    }

    private X86Registers setUp(Mode mode, Random rnd) {
        X86Registers r;
        if (mode == Mode.REAL) {
            r = X86Registers.realMode(CODE >>> 4, 0);
            for (int v = 0; v < 256; v++) memory.write32(v * 4L, STUBS >>> 4 << 16 | (v * 16)); // IVT: stub v at 0100:v*16
            for (int v = 0; v < 256; v++) {
                // push bp; mov bp,sp; inc word [bp+2]; pop bp; iret
                memory.write(STUBS + v * 16L, new byte[] {0x55, (byte) 0x89, (byte) 0xe5, (byte) 0xff, 0x46, 0x02, 0x5d, (byte) 0xcf});
            }
            r.seg[X86Registers.SS].realMode(0, false);
            r.gpr[X86Registers.ESP] = STACK3;
        } else {
            writeGdtIdtTss();
            r = X86Registers.flat32(CODE);
            r.gdtBase = GDT;
            r.gdtLimit = 0x2f;
            r.idtBase = IDT;
            r.idtLimit = 0x7ff;
            r.tr.selector = 0x28;
            r.tr.base = TSS;
            r.tr.limit = 0x67;
            r.tr.access = 0x8b;
            r.gpr[X86Registers.ESP] = STACK0;
            if (mode == Mode.RING3) {
                r.seg[X86Registers.CS].flat32(0x1b, true);
                r.seg[X86Registers.CS].access |= 3 << 5;
                for (int s : new int[] {X86Registers.ES, X86Registers.SS, X86Registers.DS, X86Registers.FS, X86Registers.GS}) {
                    r.seg[s].flat32(0x23, false);
                    r.seg[s].access |= 3 << 5;
                }
                r.gpr[X86Registers.ESP] = STACK3;
            }
        }
        for (int g = 0; g < 8; g++) if (g != X86Registers.ESP) r.gpr[g] = rnd.nextInt() & (mode == Mode.REAL ? 0xffff : 0xfffff);
        r.eflags = 0x202;
        return r;
    }

    private void writeGdtIdtTss() {
        long[] gdt = {0, 0x00cf9a000000ffffL, 0x00cf92000000ffffL, 0x00cffa000000ffffL, 0x00cff2000000ffffL,
                0x00008b0000000067L | ((long) TSS << 16)};
        for (int i = 0; i < gdt.length; i++) memory.write64(GDT + 8L * i, gdt[i]);
        memory.write32(TSS + 4, STACK0);
        memory.write32(TSS + 8, 0x10);
        for (int v = 0; v < 256; v++) {
            int stub = STUBS + v * 16;
            // 32-bit interrupt gate, DPL 3 so that INT n works from ring 3 (SDM Vol. 3A, 6.11)
            memory.write64(IDT + 8L * v, (stub & 0xffffL) | (0x08L << 16) | ((long) (stub & 0xffff0000) << 32) | (0xee00L << 32));
            boolean errorCode = v == 8 || (v >= 10 && v <= 14) || v == 17;
            // [add esp,4;] inc dword [esp]; iret  -- skip the error code, step the return EIP by one byte
            byte[] s = errorCode
                    ? new byte[] {(byte) 0x83, (byte) 0xc4, 0x04, (byte) 0xff, 0x04, 0x24, (byte) 0xcf}
                    : new byte[] {(byte) 0xff, 0x04, 0x24, (byte) 0xcf};
            memory.write(stub, s);
        }
    }

    String report() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("streams %d, instructions %d, outcomes %s%n", streams, instructions, outcomes));
        for (String f : failures) sb.append("  FAIL ").append(f).append('\n');
        return sb.toString();
    }

    void close() {
        vcpu.close();
        backend.close();
        memory.close();
    }

    /** {@code FuzzRunner [streamsPerMode] [seed] [sliceMillis]}. */
    public static void main(String[] args) {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        long seed = args.length > 1 ? Long.decode(args[1]) : 1;
        int slice = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        FuzzRunner f = new FuzzRunner();
        long t0 = System.nanoTime();
        f.run(seed, count, slice);
        System.out.print(f.report());
        System.out.printf("%.1f s%n", (System.nanoTime() - t0) / 1e9);
        f.close();
        if (!f.failures.isEmpty()) System.exit(1);
    }
}
