package dev.trapdoor.api;

import dev.trapdoor.memory.MmioDevice;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Watchpoints and breakpoints on mnemonics, ports, MMIO and vectors on the interpreter, through the VM's API. */
@org.junit.jupiter.api.Timeout(20)
class DebugStopsTest {
    /**
     * Real mode at 0x1000: xor si,si; loop: inc si; mov [0x2000],si; mov ax,[0x2000]; cpuid; out 0x80,al; jmp loop.
     */
    private static final byte[] LOOP = hex("31f6 46 89360020 a10020 0fa2 e680 ebf2");
    private Hypervisor hv;
    private Vm vm;

    @BeforeEach
    void setUp() {
        hv = Hypervisor.create();
        vm = hv.newVm().name("t").backend("interp").memory("1M").build();
    }

    @AfterEach
    void tearDown() {
        hv.close();
    }

    static byte[] hex(String s) {
        s = s.replaceAll("\\s+", "");
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        return b;
    }

    private void loop() {
        vm.load(LOOP, 0x1000);
        vm.getVcpu().resetRealMode(0, 0x1000);
    }

    @Test
    void untilStopsBeforeTheAddressAndLeavesNoBreakpoint() {
        loop();
        RunResult r = vm.getVcpu().until(0x100a);                 // the cpuid
        assertEquals(StopReason.BREAKPOINT, r.reason(), r.toString());
        assertEquals(0x100a, vm.getVcpu().getEip());
        assertEquals(1, vm.getVcpu().getEsi(), "one pass of the loop so far");
        assertTrue(vm.getBreakpoints().isEmpty(), "the temporary breakpoint is gone: " + vm.getBreakpoints());
        r = vm.getVcpu().until(0x100a);                           // from the address itself: the next time round
        assertEquals(0x100a, vm.getVcpu().getEip(), r.toString());
        assertEquals(2, vm.getVcpu().getEsi());
    }

    @Test
    void writeWatchStopsAfterTheWriteWithTheAccess() {
        loop();
        vm.getVcpu().step(3); // the first iteration's write is done: the watch must see the next one
        Breakpoint w = vm.watch(0x2000, 2, "w");
        RunResult r = vm.run();
        assertEquals(StopReason.BREAKPOINT, r.reason(), r.toString());
        assertSame(w, r.breakpoint());
        MemoryAccess a = r.exit().getAccess();
        assertTrue(a.isWrite());
        assertEquals(0x2000, a.address());
        assertEquals(0x2000, a.physical());
        assertEquals(2, a.size());
        assertEquals(2, a.value());
        assertEquals(0x1003, a.eip(), "the writing instruction");
        assertEquals(0x1007, vm.getVcpu().getEip(), "stopped after it");
        r = vm.cont();
        assertEquals(3, r.exit().getAccess().value(), "the next iteration");
        assertEquals(2, w.getHits());
        assertTrue(vm.delete(w.id()));
        assertEquals(StopReason.STEPPED, vm.getVcpu().step(40).reason(), "deleted: no more stops");
    }

    @Test
    void readWatchWithAConditionAndAPhysicalWatch() {
        loop();
        Breakpoint w = vm.watch(0x2001, 1, "r", e -> e.getAccess().value() == 5);
        RunResult r = vm.run();
        assertSame(w, r.breakpoint());
        assertTrue(r.exit().getAccess().isRead());
        assertEquals(0x1007, r.exit().getAccess().eip());
        assertEquals(5, vm.getVcpu().getEax() & 0xffff, "the read completed");
        vm.delete(w.id());
        Breakpoint p = vm.watchPhysical(0x2000, 2, "rw");
        r = vm.run();
        assertSame(p, r.breakpoint());
        assertTrue(r.exit().getAccess().isWrite(), "the write of the next iteration comes first");
        assertEquals(6, r.exit().getAccess().value());
        assertTrue(r.toString().contains("write of 2 bytes at 0x2000"), r.toString());
    }

    @Test
    void mnemonicStopsBeforeEachOneEvenInCachedBlocks() {
        loop();
        assertEquals(StopReason.STEPPED, vm.getVcpu().step(60).reason()); // every block of the loop is decoded and chained now
        Breakpoint b = vm.breakOnMnemonic("CPUID");
        RunResult r = vm.run();
        assertSame(b, r.breakpoint(), r.toString());
        assertEquals(0x100a, vm.getVcpu().getEip(), "before the cpuid");
        assertEquals("cpuid", r.exit().getDebugHit().mnemonic());
        long si = vm.getVcpu().getEsi();
        r = vm.cont();
        assertSame(b, r.breakpoint());
        assertEquals(si + 1, vm.getVcpu().getEsi(), "the cpuid ran once, then the next iteration's stopped");
        vm.delete(b.id());
        assertEquals(StopReason.STEPPED, vm.getVcpu().step(30).reason());
        assertThrows(IllegalArgumentException.class, () -> vm.breakOnMnemonic("frobnicate"));
    }

    @Test
    void portRangeStopsBeforeTheInstruction() {
        loop();
        Breakpoint b = vm.breakOnPort(0x70, 0x80);
        RunResult r = vm.run();
        assertSame(b, r.breakpoint());
        assertEquals(0x100c, vm.getVcpu().getEip());
        assertEquals(0x80, r.exit().getPort());
        assertFalse(r.exit().isIn());
        assertTrue(b.toString().contains("ports 0x70-0x80"), b.toString());
    }

    @Test
    void vectorStopsInTheHandlerAfterDelivery() {
        // int 0x21; hlt.  IVT[0x21] = 0000:0x1100, where: mov bx,7; iret
        vm.load(hex("cd21 f4"), 0x1000);
        vm.load(hex("bb0700 cf"), 0x1100);
        vm.getMem().poke32(0x21 * 4, 0x1100);
        vm.getVcpu().resetRealMode(0, 0x1000);
        vm.getVcpu().setEsp(0x8000);
        Breakpoint b = vm.breakOnVector(0x21);
        RunResult r = vm.run();
        assertSame(b, r.breakpoint(), r.toString());
        assertEquals(0x1100, vm.getVcpu().getEip());
        assertEquals(0x1002, vm.getMem().peek16(0x8000 - 6), "the return IP is on the stack");
        assertEquals(0x21, r.exit().getDebugHit().value());
        assertEquals(StopReason.HALTED, vm.cont().reason());
        assertEquals(7, vm.getVcpu().getEbx());
    }

    @Test
    void mmioRangeStopsAfterTheAccess() {
        vm.getMem().physical().addMmio("probe", 0x200000, 0x1000, new MmioDevice() {
            @Override public long read(long offset, int size) { return 0xabcd0000L | offset; }
            @Override public void write(long offset, int size, long value) { }
        });
        vm.load(hex("a110002000 a100102000 f4"), 0x1000); // mov eax,[0x200010]; mov eax,[0x201000]; hlt
        vm.getVcpu().resetFlat32(0x1000);
        Breakpoint b = vm.breakOnMmio(0x200000, 0x200fff);
        RunResult r = vm.run();
        assertSame(b, r.breakpoint());
        assertEquals(0xabcd0010L, r.exit().getAccess().value());
        assertEquals(0x1005, vm.getVcpu().getEip());
        assertEquals(StopReason.HALTED, vm.cont().reason(), "0x201000 is outside the range");
    }

    @Test
    void aWatchOnWhatAnExitingOutsReadsStopsOnceTheOutsCompletes() throws Exception {
        vm.load(java.nio.file.Files.readAllBytes(java.nio.file.Path.of("../examples/hello/hello.bin")), 0x1000);
        vm.getVcpu().resetRealMode(0, 0x1000);
        Breakpoint w = vm.watch(0x1145, 1, "r"); // inside "Now in 32-bit protected mode.\n", which rep outsb sends
        RunResult r = vm.run();
        assertSame(w, r.breakpoint(), r.toString());
        assertEquals(0x104c, r.exit().getAccess().eip(), "the rep outsb");
        assertEquals('n', r.exit().getAccess().value());
        assertTrue(vm.getSerialOutput().contains("Now in"), "stopped after the OUTS that read it had sent it: " + vm.getSerialOutput());
        assertEquals(StopReason.HALTED, vm.cont().reason());
    }

    @Test
    void badArgumentsAreRefusedAndLeaveNothingBehind() {
        assertThrows(IllegalArgumentException.class, () -> vm.watch(0x1000, 0, "w"));
        assertThrows(IllegalArgumentException.class, () -> vm.watch(0x1000, 4, "x"));
        assertThrows(IllegalArgumentException.class, () -> vm.breakOnVector(256));
        assertTrue(vm.getBreakpoints().isEmpty(), "a refused stop leaves nothing behind");
    }
}
