package dev.trapdoor.api;

import dev.trapdoor.cpu.fpu.X87;
import dev.trapdoor.debug.gdb.BreakpointType;
import dev.trapdoor.debug.gdb.I386Layout;
import dev.trapdoor.debug.gdb.I386Registers;
import dev.trapdoor.debug.gdb.StopEvent;
import dev.trapdoor.memory.MmioDevice;
import dev.trapdoor.vmx.ExitReason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** The GDB target over an interpreter vCPU, driven directly (the protocol side is GdbServer's tests). */
class VcpuGdbTargetTest {
    private static final byte[] SPIN = {(byte) 0xEB, (byte) 0xFE}; // jmp $
    private Hypervisor hv;
    private Vm vm;
    private VcpuGdbTarget target;

    @BeforeEach
    void setUp() {
        hv = Hypervisor.create();
        vm = hv.newVm().name("t").backend("interp").memory("1M").build();
        target = new VcpuGdbTarget(vm.getVcpu());
    }

    @AfterEach
    void tearDown() {
        target.close();
        hv.close();
    }

    private void hello() throws IOException {
        vm.load(Files.readAllBytes(Path.of("../examples/hello/hello.bin")), 0x1000);
        vm.getVcpu().resetRealMode(0, 0x1000);
    }

    private void code(byte... bytes) {
        vm.load(bytes, 0x1000);
        vm.getVcpu().resetRealMode(0, 0x1000);
    }

    private int eip() {
        I386Registers r = new I386Registers();
        target.readRegisters(r);
        return r.get(I386Layout.EIP);
    }

    @Test
    void breakpointsOfBothKindsStopBeforeTheInstruction() throws Exception {
        hello();
        assertEquals(StopEvent.stepped(), target.attach());
        assertTrue(target.insertBreakpoint(BreakpointType.HARDWARE, 0x104c, 1));
        target.resume();
        assertEquals(StopEvent.hardwareBreakpoint(), target.waitForStop());
        assertEquals(0x104c, eip());
        assertTrue(target.removeBreakpoint(BreakpointType.HARDWARE, 0x104c, 1));
        assertFalse(target.removeBreakpoint(BreakpointType.HARDWARE, 0x104c, 1), "already removed");
        assertTrue(target.insertBreakpoint(BreakpointType.SOFTWARE, 0x104e, 1));
        target.step(); // the rep outsb, whole
        assertEquals(StopEvent.stepped(), target.waitForStop());
        assertEquals(0x104e, eip());
        assertEquals("Hello from the guest!\nNow in 32-bit protected mode.\n", vm.getSerialOutput());
        assertEquals(1, vm.getBreakpoints().size(), "gdb's breakpoints are the VM's address breakpoints");
        target.detach();
        assertTrue(vm.getBreakpoints().isEmpty());
    }

    @Test
    void watchpointsOfEachKindStopAfterTheAccessWithTheWatchedAddress() throws Exception {
        // xor si,si; loop: inc si; mov [0x2000],si; mov ax,[0x2002]; jmp loop
        code(DebugStopsTest.hex("31f6 46 89360020 a10220 ebf6"));
        target.attach();
        for (BreakpointType t : new BreakpointType[] {BreakpointType.WRITE_WATCH, BreakpointType.READ_WATCH, BreakpointType.ACCESS_WATCH})
            assertTrue(target.supports(t), t.name());
        assertTrue(target.insertBreakpoint(BreakpointType.WRITE_WATCH, 0x2000, 2));
        target.resume();
        assertEquals(StopEvent.watchpoint(BreakpointType.WRITE_WATCH, 0x2000), target.waitForStop());
        assertEquals(0x1007, eip(), "after the mov [0x2000],si");
        assertEquals(1, vm.getMem().peek16(0x2000));
        assertTrue(target.removeBreakpoint(BreakpointType.WRITE_WATCH, 0x2000, 2));
        assertTrue(target.insertBreakpoint(BreakpointType.READ_WATCH, 0x2002, 2));
        target.resume();
        assertEquals(StopEvent.watchpoint(BreakpointType.READ_WATCH, 0x2002), target.waitForStop());
        assertEquals(0x100a, eip());
        assertTrue(target.insertBreakpoint(BreakpointType.ACCESS_WATCH, 0x2001, 1));
        target.step(); // the jmp
        assertEquals(StopEvent.stepped(), target.waitForStop());
        target.step(); // inc si
        target.waitForStop();
        target.step(); // the write of 0x2000-1: a step that hits a watchpoint reports the watchpoint
        assertEquals(StopEvent.watchpoint(BreakpointType.ACCESS_WATCH, 0x2001), target.waitForStop());
        target.detach();
        assertTrue(vm.getBreakpoints().isEmpty(), "the watchpoints went with the debugger");
    }

    @Test
    void memoryIsLinearPageByPageAndStopsAtUnmappedPagesAndMmio() {
        code(SPIN);
        // Paging with a 4 KiB page table: linear 0x400000 -> physical 0x5000, linear 0x401000 unmapped (SDM Vol. 3A, 4.3).
        vm.getMem().poke32(0x3000 + 4 * 1, 0x4000 | 0x3);  // PDE 1 -> page table at 0x4000
        vm.getMem().poke32(0x4000, 0x5000 | 0x3);          // PTE 0 -> 0x5000
        vm.getMem().write(0x5ffe, "AB");
        var regs = vm.getVcpu().getRegisters();
        regs.cr3 = 0x3000;
        regs.cr0 |= 0x80000001L;
        vm.getVcpu().setRegisters(regs);
        byte[] b = new byte[4];
        assertEquals(2, target.readMemory(0x400ffe, b, 0, 4), "short at the unmapped page");
        assertEquals("AB", new String(b, 0, 2));
        assertEquals(0, target.readMemory(0x401000, b, 0, 4));
        assertEquals(2, target.writeMemory(0x400ffe, new byte[] {'x', 'y', 'z', 'w'}, 0, 4));
        assertEquals("xy", vm.getMem().readString(0x5ffe, 2));

        vm.getMem().physical().addMmio("probe", 0x200000, 0x1000, new MmioDevice() {
            @Override public long read(long offset, int size) { throw new AssertionError("the debugger must not read a device"); }
            @Override public void write(long offset, int size, long value) { throw new AssertionError("nor write one"); }
        });
        regs.cr0 &= ~0x80000000L; // paging off: linear = physical
        vm.getVcpu().setRegisters(regs);
        assertEquals(0, target.readMemory(0x200000, b, 0, 4));
        assertEquals(0, target.writeMemory(0x200000, b, 0, 4));
        assertEquals(0, target.readMemory(0xfff00000L, b, 0, 4), "unassigned space");
    }

    @Test
    void aWriteOverDecodedCodeTakesEffect() throws Exception {
        code(SPIN);
        target.attach();
        target.step();
        target.waitForStop();
        vm.getVcpu().step(100); // the jmp $ block is decoded and cached now
        assertEquals(1, target.writeMemory(0x1000, new byte[] {(byte) 0xF4}, 0, 1)); // hlt
        target.resume();
        assertEquals(StopEvent.stepped(), target.waitForStop());
        assertTrue(target.monitor("why").startsWith("halted"), target.monitor("why"));
        assertEquals(0x1001, eip());
    }

    @Test
    void writingBackTheSameRegistersKeepsAPendingExitAndARealChangeLands() throws Exception {
        hello();
        vm.breakOnce(ExitReason.IO_INSTRUCTION, e -> e.isOut());
        assertEquals(StopReason.BREAKPOINT, vm.run().reason());
        I386Registers r = new I386Registers();
        target.readRegisters(r);
        target.writeRegisters(r);
        assertNotNull(vm.getVcpu().getPendingExit(), "gdb's write-back of unchanged registers is not a change");
        r.set(I386Layout.EBP, 0x1234);
        target.writeRegisters(r);
        assertEquals(0x1234, vm.getVcpu().getEbp());
    }

    @Test
    void interruptStopsARunAndARequestWhileStoppedDoesNotStopTheNextOne() throws Exception {
        code(SPIN);
        target.attach();
        target.interrupt(); // stopped: nothing to stop
        target.step();
        assertEquals(StopEvent.stepped(), target.waitForStop(), "the step was not cut short");
        target.resume();
        awaitRunning();
        target.interrupt();
        assertEquals(StopEvent.interrupted(), target.waitForStop());
        assertEquals(0x1000, eip());
    }

    @Test
    void attachStopsARunOfAnotherThreadAndTheNextResumeRuns() throws Exception {
        code(SPIN);
        CompletableFuture<RunResult> script = CompletableFuture.supplyAsync(vm::run);
        awaitRunning();
        assertEquals(StopEvent.stepped(), target.attach());
        assertEquals(StopReason.INTERRUPTED, script.get(10, TimeUnit.SECONDS).reason());
        long before = vm.getVcpu().getInstructions();
        target.resume();
        awaitRunning();
        while (vm.getVcpu().getInstructions() < before + 1000) Thread.sleep(5);
        target.interrupt();
        assertEquals(StopEvent.interrupted(), target.waitForStop());
    }

    @Test
    void detachRunsFreeAndTheNextAttachTellsHowItEnded() throws Exception {
        code((byte) 0xB0, (byte) 0x05, (byte) 0xE6, (byte) 0xF4, (byte) 0xF4); // mov al, 5; out 0xf4, al (isa-debug-exit); hlt
        target.attach();
        target.detach();
        StopEvent s = null;
        for (int i = 0; i < 1000 && s == null; i++) {
            Thread.sleep(5);
            if (vm.getExits().get(ExitReason.IO_INSTRUCTION) >= 1 && !vm.getVcpu().isRunning()) s = target.attach();
        }
        assertEquals(StopEvent.exited(11), s, "(5 << 1) | 1");
        assertTrue(target.monitor("why").contains("exited with status 11"), target.monitor("why"));
    }

    @Test
    void killStopsTheGuestForGood() throws Exception {
        code(SPIN);
        target.attach();
        target.resume();
        awaitRunning();
        target.kill();
        assertFalse(vm.getVcpu().isRunning());
        assertTrue(target.isKilled());
        assertEquals(StopEvent.terminated(StopEvent.SIGKILL), target.attach());
    }

    @Test
    void monitorKnowsItsCommandsAndHandsTheRestOn() {
        code(SPIN);
        assertTrue(target.monitor("exits").contains("total"));
        assertTrue(target.monitor("regs").contains("eip=00001000"));
        assertTrue(target.monitor("help").contains("exits"));
        assertTrue(target.monitor("frob").startsWith("unknown monitor command 'frob'"));
        target.setMonitorFallback(c -> "shell: " + c);
        assertEquals("shell: mem 0 4\n", target.monitor("mem 0 4"));
    }

    @Test
    void x87RegistersRoundTripThroughFrstor() {
        X87 fpu = new X87();
        fpu.fldcw(0x027F);
        fpu.fldM80(0x3FFF, 0x8000_0000_0000_0000L); // 1.0
        fpu.fldM80(0xC000, 0xC000_0000_0000_0000L); // -3.0
        target.x87 = () -> fpu;
        I386Registers r = new I386Registers();
        target.readRegisters(r);
        assertEquals(0xC000, r.stSignExponent(0));
        assertEquals(0x3FFF, r.stSignExponent(1));
        assertEquals(6 << 11, r.get(I386Layout.FSTAT) & 0x3800, "TOP = 6");
        assertEquals(0x0FFF, r.get(I386Layout.FTAG), "R6 and R7 valid, the rest empty");
        assertEquals(0x027F, r.get(I386Layout.FCTRL));
        r.setSt(1, 0x4000, 0x8000_0000_0000_0000L); // 2.0
        r.set(I386Layout.FCTRL, 0x037F);
        target.writeRegisters(r);
        assertEquals(0x4000, fpu.stSe(1));
        assertEquals(0xC000, fpu.stSe(0));
        assertEquals(0x037F, fpu.controlWord());
        assertEquals(6, fpu.top());

        target.x87 = () -> null;
        target.readRegisters(r);
        assertEquals(0xFFFF, r.get(I386Layout.FTAG), "no x87 state: all empty");
        assertEquals(0, r.stSignExponent(0));
    }

    @Test
    void runResultsBecomeGdbStops() {
        assertEquals(StopEvent.exited(3), GdbStops.of(new RunResult(StopReason.SHUTDOWN, null, 3, null, ""), null));
        assertEquals(StopEvent.signal(StopEvent.SIGSEGV), GdbStops.of(new RunResult(StopReason.TRIPLE_FAULT, null, 0, null, ""), null));
        assertEquals(StopEvent.signal(GdbStops.SIGABRT), GdbStops.of(new RunResult(StopReason.ERROR, null, 0, null, "boom"), null));
        assertEquals(StopEvent.signal(StopEvent.SIGTRAP), GdbStops.of(new RunResult(StopReason.BREAKPOINT, null, 0, null, ""), null));
        assertEquals(StopEvent.softwareBreakpoint(), GdbStops.of(new RunResult(StopReason.BREAKPOINT, null, 0, null, ""), BreakpointType.SOFTWARE));
        assertEquals(GdbStops.SIGILL, GdbStops.forVector(6));
        assertEquals(GdbStops.SIGFPE, GdbStops.forVector(0));
        assertEquals(StopEvent.SIGSEGV, GdbStops.forVector(14));
    }

    @Test
    void vmGdbIsOnePerVmAndClosesWithTheVm() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> vm.gdb(70000));
        GdbStub stub = vm.gdb(0);
        assertSame(stub, vm.gdb(0));
        assertSame(stub, vm.gdb(stub.getPort()));
        assertThrows(IllegalStateException.class, () -> vm.gdb(stub.getPort() == 65535 ? 65534 : stub.getPort() + 1));
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), stub.getPort())) {
            assertTrue(s.isConnected());
        }
        vm.close();
        assertThrows(ConnectException.class, () -> new Socket(InetAddress.getLoopbackAddress(), stub.getPort()).close());
    }

    private void awaitRunning() throws InterruptedException {
        for (int i = 0; i < 2000 && !vm.getVcpu().isRunning(); i++) Thread.sleep(1);
        assertTrue(vm.getVcpu().isRunning());
    }
}
