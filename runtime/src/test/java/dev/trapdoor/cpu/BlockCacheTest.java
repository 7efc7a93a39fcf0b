package dev.trapdoor.cpu;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

class BlockCacheTest {
    /**
     * At 0x1000: xor ecx,ecx; xor ebx,ebx; again: mov eax,1; add ecx,eax; movb $5,again+1;
     * movb $0x43,next; next: nop; cmp ecx,2; jb again; hlt. The first store patches the immediate
     * of an instruction already run; the second turns the very next instruction (same block) into
     * inc ebx. With working invalidation: ecx = 1 + 5, ebx = 2. With stale blocks: ecx = 2, ebx = 0.
     */
    @Test
    void selfModifyingCodeIsSeen() {
        byte[] code = Guest.hex("31c931dbb80100000001c1c6050510000005c60519100000439083f90272e5f4");
        try (Guest g = Guest.flat32(0x1000, code)) {
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason, e.message);
            assertEquals(6, g.reg(X86Registers.ECX));
            assertEquals(2, g.reg(X86Registers.EBX));
        }
    }

    /** A guest that runs code at ever new addresses cannot grow the cache without bound: at the limit it starts afresh. */
    @Test
    void theCacheIsBoundedAndAFlushInvalidatesEveryBlockAndCodePage() {
        try (dev.trapdoor.memory.PhysicalMemory m = new dev.trapdoor.memory.PhysicalMemory()) {
            m.addRam("ram", 0, 1 << 20);
            BlockCache cache = new BlockCache(m, 8);
            java.util.List<Block> made = new java.util.ArrayList<>();
            for (int k = 0; k < 20; k++) {
                long phys = 0x1000L * (k + 1);
                Block b = new Block(phys, true, new Insn[0], 0, phys >>> 12, -1, 1, 1);
                cache.put(b);
                made.add(b);
                assertTrue(cache.size() <= 8, "size " + cache.size());
            }
            assertEquals(2, cache.flushes());
            assertFalse(made.get(0).valid, "blocks dropped by a flush are invalid");
            assertFalse(m.isCodePage(0x1000), "and their pages are no longer code pages");
            assertTrue(made.get(19).valid);
            assertTrue(m.isCodePage(0x14000));
            assertSame(made.get(19), cache.get(0x14000, true));
            assertNull(cache.get(0x1000, true));
        }
    }

    @Test
    void hostWritesToCodeInvalidateDecodedBlocks() {
        try (Guest g = Guest.flat32(0x1000, Guest.hex("ba01000000 f4"))) { // mov edx,1; hlt
            assertEquals(ExitReason.HLT, g.run().reason);
            assertEquals(1, g.reg(X86Registers.EDX));
            g.memory.write(0x1000, Guest.hex("ba07000000 f4")); // the loader patches the code
            X86Registers r = g.regs();
            r.eip = 0x1000;
            g.vcpu.setRegisters(r);
            assertEquals(ExitReason.HLT, g.run().reason);
            assertEquals(7, g.reg(X86Registers.EDX));
        }
    }

    @Test
    void dataWritesNextToCodeDoNotDisturbIt() {
        // loop 1000 times storing into the code page (after the code): mov ecx,1000; l: mov [0x1800],ecx; loop l; hlt
        try (Guest g = Guest.flat32(0x1000, Guest.hex("b9e8030000 890d00180000 e2f8 f4"))) {
            assertEquals(ExitReason.HLT, g.run().reason);
            assertEquals(1, g.memory.read32(0x1800));
            assertEquals(2 + 2 * 1000, g.vcpu.instructionsRetired());
        }
    }

    @Test
    void requestStopEndsAnInfiniteLoopFromAnotherThread() {
        try (Guest g = Guest.flat32(0x1000, Guest.hex("ebfe"))) { // jmp .
            AtomicReference<ExitInfo> result = new AtomicReference<>();
            Thread t = new Thread(() -> result.set(g.run()));
            t.start();
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                while (g.vcpu.instructionsRetired() < 10_000) Thread.onSpinWait();
                g.vcpu.requestStop();
                t.join();
            });
            assertEquals(ExitReason.STOP_REQUEST, result.get().reason);
            assertEquals(0x1000, result.get().rip);
            // The flag is cleared once seen: the next run goes on (and is stopped again).
            Thread t2 = new Thread(() -> result.set(g.run()));
            t2.start();
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                long before = g.vcpu.instructionsRetired();
                while (g.vcpu.instructionsRetired() < before + 10_000) Thread.onSpinWait();
                g.vcpu.requestStop();
                t2.join();
            });
            assertEquals(ExitReason.STOP_REQUEST, result.get().reason);
        }
    }

    /** Prints the interpreter's speed on a tight loop; informative only, nothing is asserted about time. */
    @Test
    void tightLoopSpeed() {
        // mov ecx,N; l: add eax,ecx; dec ecx; jnz l; hlt
        int n = 20_000_000;
        try (Guest g = Guest.flat32(0x1000, Guest.hex("b9" + AluFlagsTest.le(n) + "01c8 49 75fb f4"))) {
            for (int warm = 0; warm < 2; warm++) {
                X86Registers r = g.regs();
                r.eip = 0x1000;
                g.vcpu.setRegisters(r);
                long before = g.vcpu.instructionsRetired();
                long t0 = System.nanoTime();
                assertEquals(ExitReason.HLT, g.run().reason);
                long ns = System.nanoTime() - t0;
                long count = g.vcpu.instructionsRetired() - before;
                assertEquals(2 + 3L * n, count);
                System.out.printf("interp tight loop (run %d): %d instructions in %.1f ms = %.0f MIPS%n",
                        warm + 1, count, ns / 1e6, count * 1e3 / ns);
            }
        }
    }
}
