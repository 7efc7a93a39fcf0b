package dev.trapdoor.api;

import dev.trapdoor.devices.PioDevice;
import dev.trapdoor.vmx.ExitReason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class VcpuRunLoopTest {
    private static final int PORT = 0x500;
    private Hypervisor hv;
    private ScriptedBackend backend;
    private Vm vm;
    private final List<Integer> written = new ArrayList<>();

    @BeforeEach
    void setUp() {
        hv = Hypervisor.create();
        backend = new ScriptedBackend();
        vm = hv.newVm().backend(backend).memory("64K").build();
        vm.io().map("recorder", PORT, 4, new PioDevice() {
            @Override public int read(int offset, int size) { return 0x5a; }
            @Override public void write(int offset, int size, int value) { written.add(value); }
        });
    }

    @AfterEach
    void tearDown() {
        hv.close();
    }

    @Test
    void outExitsReachTheBusAndHltStops() {
        backend.out(PORT, 1, 'h').out(PORT, 1, 'i').exit(ExitReason.HLT, 1);
        RunResult r = vm.run();
        assertEquals(StopReason.HALTED, r.reason());
        assertEquals(List.of((int) 'h', (int) 'i'), written);
        assertEquals(2, vm.getExits().get("IO_INSTRUCTION"));
        assertEquals(1, vm.getExits().get(12));
        assertEquals(3, vm.getExits().total());
    }

    @Test
    void breakpointStopsBeforeTheDefaultHandlerAndContinueFinishesTheExit() {
        backend.out(PORT, 1, 'a').out(PORT, 1, 'b').exit(ExitReason.HLT, 1);
        Breakpoint bp = vm.breakOn("io_instruction");
        RunResult r = vm.run();
        assertEquals(StopReason.BREAKPOINT, r.reason());
        assertSame(bp, r.breakpoint());
        assertEquals('a', r.exit().getValue());
        assertTrue(written.isEmpty(), "the OUT is still pending at the breakpoint");
        assertSame(r.exit(), vm.getVcpu().getPendingExit());

        r = vm.cont();
        assertEquals(StopReason.BREAKPOINT, r.reason());
        assertEquals('b', r.exit().getValue());
        assertEquals(List.of((int) 'a'), written);

        vm.delete(bp.id());
        assertEquals(StopReason.HALTED, vm.cont().reason());
        assertEquals(List.of((int) 'a', (int) 'b'), written);
        assertEquals(2, bp.getHits());
    }

    @Test
    void conditionSelectsExitsAndTemporaryBreakpointsGoAway() {
        backend.out(PORT, 1, 1).out(PORT, 1, 2).out(PORT, 1, 3).exit(ExitReason.HLT, 1);
        vm.breakOnce(ExitReason.IO_INSTRUCTION, e -> e.getValue() == 2);
        RunResult r = vm.run();
        assertEquals(2, r.exit().getValue());
        assertTrue(vm.getBreakpoints().isEmpty());
        assertEquals(StopReason.HALTED, vm.cont().reason());
        assertEquals(List.of(1, 2, 3), written);
    }

    @Test
    void hookThatHandlesSkipsTheDefaultHandlerAndCanAnswerIn() {
        backend.out(PORT, 1, 7).in(PORT, 2).in(PORT, 1).exit(ExitReason.HLT, 1);
        List<Long> seen = new ArrayList<>();
        vm.onExit(ExitReason.IO_INSTRUCTION, e -> {
            seen.add(e.getValue());
            if (e.isIn() && e.getSize() == 2) {
                e.setValue(0xbeef);
                return Action.HANDLED;
            }
            return e.isOut() ? Action.HANDLED : null;
        });
        assertEquals(StopReason.HALTED, vm.run().reason());
        assertTrue(written.isEmpty(), "the hook handled the OUT");
        assertEquals(List.of(0xbeefL, 0x5aL), backend.inResults, "hook answer, then the device's answer");
        assertEquals(7, seen.get(0));
    }

    @Test
    void aThrowingHookStopsWithOneMessageAndTheVmStaysUsable() {
        backend.out(PORT, 1, 'x').exit(ExitReason.HLT, 1);
        vm.onExit("IO_INSTRUCTION", e -> {
            throw new IllegalStateException("boom");
        });
        RunResult r = vm.run();
        assertEquals(StopReason.ERROR, r.reason());
        assertTrue(r.message().contains("boom"), r.message());
        assertEquals(StopReason.HALTED, vm.cont().reason(), "the pending exit finishes past the failed hook");
        assertEquals(List.of((int) 'x'), written);
    }

    @Test
    void hookStopIsReportedAndExitsStayReadableAfterRetirement() {
        backend.out(PORT, 2, 0x1234).exit(ExitReason.HLT, 1);
        vm.onExit(null, e -> Action.STOP);
        RunResult r = vm.run();
        assertEquals(StopReason.HOOK_STOP, r.reason());
        assertEquals(0x1234, r.exit().getValue());
        vm.clearWatches();
        vm.cont();
        assertEquals(0x1234, r.exit().getValue(), "a retired exit keeps its data");
        assertThrows(IllegalStateException.class, () -> r.exit().setValue(1));
    }

    @Test
    void watchingAReasonTheBackendNeverReportsIsRefusedWithTheList() {
        backend.reasons = java.util.EnumSet.of(ExitReason.IO_INSTRUCTION, ExitReason.HLT);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> vm.breakOn(ExitReason.CPUID));
        assertTrue(e.getMessage().contains("never reports CPUID"), e.getMessage());
        assertTrue(e.getMessage().contains("HLT"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> vm.breakOn("NOT_A_REASON"));
    }

    @Test
    void cpuidIsAnsweredFromTheTableAndSkipped() {
        backend.exit(ExitReason.CPUID, 2).exit(ExitReason.HLT, 1);
        Vcpu cpu = vm.getVcpu();
        cpu.setEax(0);
        cpu.setEip(0x1000);
        vm.run();
        assertEquals(0x1002, cpu.getEip());
        assertEquals(0x756e6547L, cpu.getEbx(), "Genu");
        assertEquals(0x49656e69L, cpu.getEdx(), "ineI");
        assertEquals(0x6c65746eL, cpu.getEcx(), "ntel");
    }

    @Test
    void deviceShutdownEndsTheRunWithItsStatus() {
        vm.io().map("stopper", 0x600, 1, new PioDevice() {
            @Override public int read(int offset, int size) { return 0; }
            @Override public void write(int offset, int size, int value) { vm.requestShutdown(value, "test"); }
        });
        backend.out(0x600, 1, 42).exit(ExitReason.HLT, 1);
        RunResult r = vm.run();
        assertEquals(StopReason.SHUTDOWN, r.reason());
        assertEquals(42, r.status());
    }

    @Test
    void registersByNameIncludingParts() {
        Vcpu cpu = vm.getVcpu();
        cpu.set("eax", 0x11223344L);
        assertEquals(0x3344, cpu.get("ax"));
        assertEquals(0x44, cpu.get("al"));
        assertEquals(0x33, cpu.get("ah"));
        cpu.set("ah", 0xff);
        assertEquals(0x1122ff44L, cpu.getEax());
        cpu.set("ds", 0x1234);
        assertEquals(0x12340L, cpu.getRegisters().seg[3].base);
        assertThrows(IllegalArgumentException.class, () -> cpu.get("rax"));
        backend.exit(ExitReason.HLT, 1);
        vm.run();
        assertEquals(0x1122ff44, backend.regs.gpr[0], "dirty registers reach the backend at entry");
    }

    @Test
    void stopRequestEndsTheRunAsInterrupted() {
        backend.out(PORT, 1, 1);
        vm.stop();
        assertEquals(StopReason.INTERRUPTED, vm.run().reason());
    }
}
