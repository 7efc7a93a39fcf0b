package dev.trapdoor.e2e;

import dev.trapdoor.api.DeprivilegedMonitor;
import dev.trapdoor.api.Hypervisor;
import dev.trapdoor.api.RunResult;
import dev.trapdoor.api.StopReason;
import dev.trapdoor.api.Vm;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * examples/depriv/kernel.bin run two ways: at ring 0 under the interpreter's VMX-style controls,
 * and deprivileged at ring 3 under the trap-and-emulate monitor.
 */
class DeprivilegedMonitorTest {
    static final Path KERNEL = Path.of("../examples/depriv/kernel.bin");
    static final long CONFIG = 0x1f00, IF_FLAGS = 0x3008, NSYSCALLS = 0x3004, TICKS = 0x300c, IF_TICKS = 0x3010;

    record Outcome(RunResult result, String serial, long exits, DeprivilegedMonitor monitor, long ifFlags, long nullCalls) {}

    static Outcome run(boolean deprivileged, int nullCalls, int writes) throws Exception {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = hv.newVm().memory("1M").build();
            vm.load(Files.readAllBytes(KERNEL), 0x1000);
            vm.getMem().poke32(CONFIG, nullCalls);
            vm.getMem().poke32(CONFIG + 4, writes);
            DeprivilegedMonitor m = null;
            if (deprivileged) { m = new DeprivilegedMonitor(vm).boot(0x1000); if (System.getenv("DEPRIV_TRACE") != null) m.trace(System.out::println); }
            else vm.getVcpu().resetFlat32(0x1000);
            RunResult r = vm.run();
            return new Outcome(r, vm.getSerialOutput(), vm.getExits().total(), m, vm.getMem().peek32(IF_FLAGS), vm.getMem().peek32(NSYSCALLS));
        }
    }

    @Test
    void vmxModeRunsTheKernelAtRingZero() throws Exception {
        Outcome o = run(false, 3, 2);
        assertEquals(StopReason.SHUTDOWN, o.result().reason(), o.result().toString());
        assertEquals(1, o.result().status(), "exit(0) through isa-debug-exit: (0 << 1) | 1");
        assertEquals("kernel: up\nkernel: IF after popf = 1\nuser: hello\n..\nuser: done\n", o.serial());
        assertEquals(1 + 3, o.nullCalls(), "the kernel's own system call and the user's three");
    }

    @Test
    void deprivilegedRunsTheSameKernelAtRingThree() throws Exception {
        Outcome o = run(true, 3, 2);
        assertEquals(StopReason.SHUTDOWN, o.result().reason(), o.result() + " " + o.monitor());
        assertEquals(1, o.result().status(), o.monitor().toString());
        assertTrue(o.serial().startsWith("kernel: up\nkernel: IF after popf = "), o.serial());
        assertTrue(o.serial().endsWith("user: hello\n..\nuser: done\n"), o.serial());
        assertEquals(1 + 3, o.nullCalls(), "every null system call reached the guest kernel's handler");
        var kinds = o.monitor().getTrapsByKind();
        assertEquals(1 + 1 + 3 + 2 + 1 + 1, kinds.get("int 0x80"), kinds.toString()); // kernel's own, hello, 3 null, 2 writes, done, exit
        assertEquals(1 + kinds.get("int 0x80") - 1, kinds.get("iret"),
                "the boot IRET to user mode and every system call but exit (the kernel's own returns to ring 0) went through an emulated IRET");
        assertEquals(o.monitor().getTraps(), o.exits(), "every exit is one trap into the monitor");
        assertEquals(0, o.monitor().getVirtual().getCpl(), "exit: the guest kernel wrote isa-debug-exit in its kernel mode");
        assertEquals(0, o.result().exit().getVcpu().get("eflags") & 0x3000, "the real IOPL stayed 0");
    }

    /** The guest's popf that should restore IF=1: found by its bytes (popf; pushf; pop %eax). */
    static long popfAddress() throws Exception {
        byte[] b = Files.readAllBytes(KERNEL);
        for (int i = 0; i + 2 < b.length; i++)
            if (b[i] == (byte) 0x9d && b[i + 1] == (byte) 0x9c && b[i + 2] == 0x58) return 0x1000 + i;
        throw new AssertionError("no popf; pushf; pop %eax in the kernel");
    }

    @Test
    void popfRestoresIfAtRingZeroButIsSilentlyIgnoredDeprivileged() throws Exception {
        long popf = popfAddress();
        for (boolean deprivileged : new boolean[] {false, true}) {
            try (Hypervisor hv = Hypervisor.create()) {
                Vm vm = hv.newVm().memory("1M").build();
                vm.load(Files.readAllBytes(KERNEL), 0x1000);
                DeprivilegedMonitor m = deprivileged ? new DeprivilegedMonitor(vm).boot(0x1000) : null;
                if (!deprivileged) vm.getVcpu().resetFlat32(0x1000);
                vm.breakAt(popf);
                vm.breakAt(popf + 1);
                assertEquals(StopReason.BREAKPOINT, vm.run().reason());
                long eflagsBefore = vm.getVcpu().get("eflags");
                long trapsBefore = deprivileged ? m.getTraps() : 0;
                assertEquals(0, eflagsBefore & 0x200, "after cli");
                assertEquals(StopReason.BREAKPOINT, vm.run().reason());
                long eflagsAfter = vm.getVcpu().get("eflags");
                if (deprivileged) {
                    assertEquals(trapsBefore, m.getTraps(), "popf at CPL 3 with IOPL 0 does not trap");
                    assertFalse(m.getVirtual().isInterruptFlag(), "the monitor never saw the guest re-enable interrupts");
                    assertEquals(0, eflagsAfter & 0x200, "and the real IF kept its value: popf ignored IF silently");
                } else {
                    assertEquals(0x200, eflagsAfter & 0x200, "popf at ring 0 restores IF");
                }
                vm.getBreakpoints().forEach(bp -> vm.delete(bp.id()));
                RunResult r = vm.run();
                assertEquals(StopReason.SHUTDOWN, r.reason(), r.toString());
                assertTrue(vm.getSerialOutput().contains("kernel: IF after popf = " + (deprivileged ? "0" : "1") + "\n"), vm.getSerialOutput());
                assertEquals(deprivileged ? 0 : 0x200, vm.getMem().peek32(IF_FLAGS) & 0x200, "what the guest's pushf saw");
            }
        }
    }

    @Test
    void anInterruptPendingDuringTheCriticalSectionComesInAtThePopfOnlyAtRingZero() throws Exception {
        long popf = popfAddress();
        for (boolean deprivileged : new boolean[] {false, true}) {
            try (Hypervisor hv = Hypervisor.create()) {
                Vm vm = kernelVm(hv);
                DeprivilegedMonitor m = deprivileged ? new DeprivilegedMonitor(vm).boot(0x1000) : null;
                if (!deprivileged) vm.getVcpu().resetFlat32(0x1000);
                var bp = vm.breakAt(popf);
                assertEquals(StopReason.BREAKPOINT, vm.run().reason());
                if (deprivileged) m.raise(0x20);
                else vm.getVcpu().injectInterrupt(0x20);
                vm.delete(bp.id());
                RunResult r = vm.run();
                assertEquals(StopReason.SHUTDOWN, r.reason(), r.toString());
                assertEquals(1, vm.getMem().peek32(TICKS), "the interrupt was taken once in the end");
                assertEquals(deprivileged ? 0 : 1, vm.getMem().peek32(IF_TICKS), "taken right at the popf that set IF");
                if (deprivileged) {
                    assertEquals(1, m.getInterruptsDelivered());
                    assertFalse(m.getVirtual().isInterruptPending());
                }
            }
        }
    }

    /** The kernel's call to iftest, which follows its own system call (int $0x80; call iftest). */
    static long iftestCall(byte[] b) {
        for (int i = 0; i + 2 < b.length; i++)
            if (b[i] == (byte) 0xcd && b[i + 1] == (byte) 0x80 && b[i + 2] == (byte) 0xe8) return 0x1000 + i + 2;
        throw new AssertionError("no int $0x80; call");
    }

    @Test
    void stiHltWaitsForThePendingInterruptInBothModes() throws Exception {
        byte[] image = Files.readAllBytes(KERNEL);
        for (boolean deprivileged : new boolean[] {false, true}) {
            try (Hypervisor hv = Hypervisor.create()) {
                Vm vm = kernelVm(hv);
                long sti = iftestCall(image);
                vm.getMem().write(sti, new byte[] {(byte) 0xfb, (byte) 0xf4, (byte) 0x90, (byte) 0xfa, (byte) 0x90}); // sti; hlt; nop; cli; nop
                DeprivilegedMonitor m = deprivileged ? new DeprivilegedMonitor(vm).boot(0x1000) : null;
                if (!deprivileged) vm.getVcpu().resetFlat32(0x1000);
                var bp = vm.breakAt(sti);
                assertEquals(StopReason.BREAKPOINT, vm.run().reason());
                vm.delete(bp.id());
                if (deprivileged) m.raise(0x20); // pending while IF=0, as a device would raise it
                else vm.getVcpu().injectInterrupt(0x20);
                RunResult r = vm.run();
                if (!deprivileged) {
                    // The default HLT handler stops the run unless a device timer is due; the
                    // injected interrupt wakes the guest when the run goes on.
                    assertEquals(StopReason.HALTED, r.reason(), r.toString());
                    r = vm.run();
                }
                assertEquals(StopReason.SHUTDOWN, r.reason(), r + (m == null ? "" : " " + m));
                assertEquals(1, r.status(), "the kernel went on after the hlt and the user program exited with 0");
                assertEquals(1, vm.getMem().peek32(TICKS));
                assertFalse(vm.getSerialOutput().contains("IF after popf"), vm.getSerialOutput());
                if (deprivileged) assertEquals(1L, m.getTrapsByKind().get("hlt"), "the interrupt waited for the hlt (STI's shadow)");
            }
        }
    }

    @Test
    void nullSystemCallsExitOnlyDeprivileged() throws Exception {
        int n = 20;
        long vmx = run(false, n, 0).exits() - run(false, 0, 0).exits();
        Outcome d0 = run(true, 0, 0), dn = run(true, n, 0);
        assertEquals(0, vmx, "at ring 0 a system call is an IDT transfer inside the guest: no exit");
        assertEquals(4L * n, dn.exits() - d0.exits(), "int 0x80, sti, cli, iret per null system call");
        assertEquals((long) n, dn.monitor().getTrapsByKind().get("int 0x80") - d0.monitor().getTrapsByKind().get("int 0x80"));
    }

    // ---- addresses read out of the image itself, so the tests follow the kernel's layout

    static int le32(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }

    /** The operand of the lgdt (0f 01 15) or lidt (0f 01 1d) at the start of the kernel. */
    static long tableRegister(byte[] b, int modrm) {
        for (int i = 0; i + 6 < b.length; i++)
            if (b[i] == 0x0f && b[i + 1] == 0x01 && b[i + 2] == (byte) modrm) return le32(b, i + 3) & 0xffffffffL;
        throw new AssertionError("no lgdt/lidt");
    }

    /** The user program's entry: the EIP the boot iret frame pushes (push $0x1b; push $user; iret). */
    static long userEntry(byte[] b) {
        for (int i = 0; i + 7 < b.length; i++)
            if (b[i] == 0x6a && b[i + 1] == 0x1b && b[i + 2] == 0x68 && b[i + 7] == (byte) 0xcf) return le32(b, i + 3) & 0xffffffffL;
        throw new AssertionError("no iret to user mode");
    }

    static Vm kernelVm(Hypervisor hv) throws Exception {
        Vm vm = hv.newVm().memory("1M").build();
        vm.load(Files.readAllBytes(KERNEL), 0x1000);
        return vm;
    }

    @Test
    void aPrivilegedInstructionInUserModeIsTheGuestsOwnGeneralProtectionFaultInBothModes() throws Exception {
        byte[] image = Files.readAllBytes(KERNEL);
        for (boolean deprivileged : new boolean[] {false, true}) {
            try (Hypervisor hv = Hypervisor.create()) {
                Vm vm = kernelVm(hv);
                vm.getMem().poke8(userEntry(image), 0xfa); // the user program starts with cli
                DeprivilegedMonitor m = deprivileged ? new DeprivilegedMonitor(vm).boot(0x1000) : null;
                if (!deprivileged) vm.getVcpu().resetFlat32(0x1000);
                RunResult r = vm.run();
                assertEquals(StopReason.SHUTDOWN, r.reason(), r.toString());
                assertEquals((13 << 1) | 1, r.status(), "the guest's #GP handler exits with 13");
                assertTrue(vm.getSerialOutput().endsWith("kernel: #GP in user mode\n"), vm.getSerialOutput());
                if (deprivileged) assertEquals(1L, m.getTrapsByKind().get("#13 reflected"), m.toString());
            }
        }
    }

    @Test
    void aSystemCallBeyondTheGuestsIdtIsAVirtualShutdownNotAHostError() throws Exception {
        byte[] image = Files.readAllBytes(KERNEL);
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = kernelVm(hv);
            vm.getMem().poke16(tableRegister(image, 0x1d), 8 * 14 - 1); // IDT limit: vectors 0-13 only
            DeprivilegedMonitor m = new DeprivilegedMonitor(vm).boot(0x1000);
            RunResult r = vm.run();
            assertEquals(StopReason.SHUTDOWN, r.reason(), r.toString());
            assertTrue(r.message().contains("vector 128 is beyond the guest's IDT"), r.message());
            assertEquals(1L, m.getTrapsByKind().get("virtual shutdown"));
        }
    }

    @Test
    void theMonitorNeverWritesIntoItsOwnWindowForTheGuest() throws Exception {
        byte[] image = Files.readAllBytes(KERNEL);
        long gdt = le32(image, (int) (tableRegister(image, 0x15) - 0x1000 + 2)) & 0xffffffffL;
        long tssDescriptor = gdt + 0x28;
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = kernelVm(hv);
            long d = vm.getMem().peek64(tssDescriptor);
            long tss = ((d >>> 16) & 0xffffff) | ((d >>> 32) & 0xff000000L);
            vm.getMem().poke32(tss + 4, DeprivilegedMonitor.DEFAULT_BASE + 0x1800); // ESP0 inside the monitor's stubs
            new DeprivilegedMonitor(vm).boot(0x1000);
            byte[] stubs = vm.getMem().read(DeprivilegedMonitor.DEFAULT_BASE + 0x1000, 0x800);
            RunResult r = vm.run();
            assertEquals(StopReason.SHUTDOWN, r.reason(), r.toString());
            assertTrue(r.message().contains("inside the monitor"), r.message());
            assertArrayEquals(stubs, vm.getMem().read(DeprivilegedMonitor.DEFAULT_BASE + 0x1000, 0x800));
        }
    }

    @Test
    void randomUserCodeEndsAsAGuestEventNeverAsAHostError() throws Exception {
        byte[] image = Files.readAllBytes(KERNEL);
        var random = new java.util.Random(8);
        for (int round = 0; round < 40; round++) {
            try (Hypervisor hv = Hypervisor.create()) {
                Vm vm = kernelVm(hv);
                byte[] junk = new byte[64];
                random.nextBytes(junk);
                vm.getMem().write(userEntry(image), junk);
                DeprivilegedMonitor m = new DeprivilegedMonitor(vm).boot(0x1000);
                RunResult r = vm.getVcpu().step(200_000);
                if (System.getenv("DEPRIV_TRACE") != null) System.out.println("round " + round + ": " + r.reason() + " " + r.message());
                assertNotEquals(StopReason.ERROR, r.reason(), "round " + round + ": " + r + " " + m);
                assertNotEquals(StopReason.UNHANDLED_EXIT, r.reason(), "round " + round + ": " + r + " " + m);
            }
        }
    }
}
